// p.recv with compiled matchers: arrival order, the rest left in order,
// timeout/after, the save position, and encoded messages from another
// thread decided on their bytes.
import test from 'ava'
import { match, P, TIMEOUT } from '../index.ts'
import { run, startEcho } from './helpers.ts'

test('recv takes the first message any clause accepts and leaves the rest in order', async (t) => {
  const m = match(
    [['b', P.select()], (x) => `b:${String(x)}`],
    [{ tag: 'c', n: P.select('n', P.number) }, ({ n }) => `c:${n}`],
  )
  const got = await run(async (p) => {
    for (const x of [['a', 1], { tag: 'c', n: 2 }, ['b', 3], ['a', 4]]) p.send(p.self, x)
    const first = await p.recv(m)
    const second = await p.recv(m)
    const rest = [await p.receive(), await p.receive()]
    return [first, second, rest]
  })
  t.deepEqual(got, [
    'c:2',
    'b:3',
    [
      ['a', 1],
      ['a', 4],
    ],
  ])
})

test('recv waits for a matching arrival, and times out to after() or TIMEOUT', async (t) => {
  const m = match([['go', P.select()], (x) => x])
  const got = await run(async (p) => {
    const later = p.self
    setTimeout(() => {
      p.send(later, ['skip'])
      p.send(later, ['go', 7])
    }, 20)
    const a = await p.recv(m, { timeout: 2000 })
    const b = await p.recv(m, { timeout: 10, after: () => 'after' })
    const c = await p.recv(m, { timeout: 0 })
    return [a, b, c === TIMEOUT, p.mailboxSize]
  })
  t.deepEqual(got, [7, 'after', true, 1])
})

test('a guard-free matcher keeps a save position; a guarded one is retested', async (t) => {
  let guardCalls = 0
  const pure = match([['hit', P.select()], (x) => x])
  const guarded = match([
    [
      'hit',
      P.when(() => {
        guardCalls++
        return true
      }),
    ],
    () => 'g',
  ])
  const got = await run(async (p) => {
    for (let i = 0; i < 100; i++) p.send(p.self, ['miss', i])
    p.send(p.self, ['hit', 1])
    const a = await p.recv(pure)
    p.send(p.self, ['hit', 2])
    const b = await p.recv(pure)
    p.send(p.self, ['hit', 3])
    const c = await p.recv(guarded)
    return [a, b, c, p.mailboxSize]
  })
  t.deepEqual(got, [1, 2, 'g', 100])
  // The guard ran only on the clause whose structural tests passed: once.
  t.is(guardCalls, 1)
})

test('otherwise makes recv take the next message', async (t) => {
  const m = match([['x'], () => 'x']).otherwise((v) => ['other', v])
  const got = await run(async (p) => {
    p.send(p.self, 42)
    return p.recv(m)
  })
  t.deepEqual(got, ['other', 42])
})

test('a handler that throws rejects recv in the receiving process', async (t) => {
  const m = match([
    P._,
    () => {
      throw new Error('handler failed')
    },
  ])
  await t.throwsAsync(
    run(async (p) => {
      p.send(p.self, 1)
      return p.recv(m)
    }),
    { message: 'handler failed' },
  )
})

test('bad matcher arguments are typed errors', async (t) => {
  await run(async (p) => {
    await t.throwsAsync(p.recv((() => 1) as never), { instanceOf: TypeError })
    await t.throwsAsync(p.recv(match([P._, () => 1]), { timeout: -1 }), { instanceOf: RangeError })
  })
})

test('messages from another thread are matched on their bytes and decoded only when taken', async (t) => {
  const { worker, pid: echo } = await startEcho()
  const m = match([['echo', { n: P.select('n', 3), tag: P.string }], ({ n }) => n * 10])
  const got = await run(async (p) => {
    for (let n = 0; n < 6; n++) p.send(echo, [p.self, { n, tag: 't' }])
    const hit = await p.recv(m, { timeout: 5000 })
    const rest: unknown[] = []
    for (let i = 0; i < 5; i++) rest.push(await p.receive(undefined, { timeout: 5000 }))
    return [hit, rest.map((x) => (x as [string, { n: number }])[1].n)]
  })
  t.deepEqual(got, [30, [0, 1, 2, 4, 5]])
  await worker.terminate()
})
