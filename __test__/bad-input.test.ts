// Bad input (issue 2, "Bad input"; API.md, Values: "sending `undefined` throws a TypeError"):
// each a typed error whose message says what to do, and nothing left inconsistent.
import test, { type ExecutionContext } from 'ava'
import {
  call,
  type NodeOptions,
  type Pid,
  type Process,
  processCount,
  send,
  spawn,
  startNode,
  TIMEOUT,
} from '../index.ts'
import { next, raised, run, SHORT, thrownNow } from './helpers.ts'

const BAD_TIMEOUTS = [-1, Number.NaN]

/** Asserts `err` is a TypeError/RangeError with a helpful message (mentioning `keyword`). 3 assertions. */
function assertTyped(t: ExecutionContext, err: unknown, keyword: RegExp, what: string): void {
  t.true(
    err instanceof Error && (err.name === 'TypeError' || err.name === 'RangeError'),
    `${what}: expected a TypeError or RangeError, got ${String(err)}`,
  )
  const message = err instanceof Error ? err.message : ''
  t.true(message.length >= 20, `${what}: the message should say what to do, got '${message}'`)
  t.regex(message, keyword, `${what}: the message should mention ${keyword}`)
}

/** Asserts `err` is a TypeError (or subclass) with a helpful message. 3 assertions. */
function assertTypeError(t: ExecutionContext, err: unknown, keyword: RegExp, what: string): void {
  t.true(err instanceof TypeError, `${what}: expected a TypeError, got ${String(err)}`)
  const message = err instanceof Error ? err.message : ''
  t.true(message.length >= 20, `${what}: the message should say what to do, got '${message}'`)
  t.regex(message, keyword, `${what}: the message should mention ${keyword}`)
}

const noPid = undefined as unknown as Pid
const notAFunction = (v: unknown) => v as unknown as (p: Process) => unknown

function idle(): Pid {
  return spawn(async (c) => {
    await c.receive()
  })
}

test('send(undefined, m) throws a TypeError that names the destination', (t) => {
  t.plan(3)
  assertTypeError(
    t,
    thrownNow(() => send(noPid, 'm')),
    /pid|dest|name/i,
    'send(undefined, m)',
  )
})

test('send(pid, undefined) throws a TypeError that says undefined cannot be sent', (t) => {
  const pid = idle()
  t.plan(3)
  assertTypeError(
    t,
    thrownNow(() => send(pid, undefined)),
    /undefined/i,
    'send(pid, undefined)',
  )
  send(pid, 'done')
})

test('p.send(undefined, m) and p.send(pid, undefined) throw TypeErrors; the process carries on', async (t) => {
  const target = idle()
  const got = await run(async (p) => {
    const a = thrownNow(() => p.send(noPid, 'm'))
    const b = thrownNow(() => p.send(target, undefined))
    p.send(p.self, 'still fine')
    return [a, b, await next(p)]
  })
  send(target, 'done')
  t.plan(7)
  assertTypeError(t, got[0], /pid|dest|name/i, 'p.send(undefined, m)')
  assertTypeError(t, got[1], /undefined/i, 'p.send(pid, undefined)')
  t.is(got[2], 'still fine')
})

test('send(pid, undefined) delivers nothing', async (t) => {
  const got = await run(async (p) => {
    thrownNow(() => send(p.self, undefined))
    thrownNow(() => p.send(p.self, undefined))
    return next(p, undefined, SHORT)
  })
  t.is(got, TIMEOUT)
})

test.serial('spawn with a non-function throws a TypeError and leaves no process behind', (t) => {
  const before = processCount()
  const bad: unknown[] = ['not a function', undefined, 42, {}, null]
  t.plan(bad.length * 3 + 1)
  for (const v of bad) {
    assertTypeError(
      t,
      thrownNow(() => spawn(notAFunction(v))),
      /function/i,
      `spawn(${String(v)})`,
    )
  }
  t.is(processCount(), before, 'no process was added to the table')
})

test.serial(
  'p.spawnLink with a non-function throws a TypeError; the caller lives on and nothing is added',
  async (t) => {
    const got = await run(async (p) => {
      const before = processCount()
      const err = thrownNow(() => p.spawnLink(notAFunction('nope')))
      const after = processCount()
      p.send(p.self, 'alive')
      return { err, before, after, m: await next(p) }
    })
    t.plan(5)
    assertTypeError(t, got.err, /function/i, 'p.spawnLink(non-function)')
    t.is(got.after, got.before)
    t.is(got.m, 'alive')
  },
)

test('receive with a negative or NaN timeout fails with a TypeError/RangeError; the process can still receive', async (t) => {
  const got = await run(async (p) => {
    const errs = []
    for (const timeout of BAD_TIMEOUTS) errs.push(await raised(() => p.receive(undefined, { timeout })))
    for (const timeout of BAD_TIMEOUTS) errs.push(await raised(() => p.receive(() => true, { timeout })))
    p.send(p.self, 'after')
    return { errs, m: await next(p) }
  })
  t.plan(got.errs.length * 3 + 1)
  got.errs.forEach((err, i) => {
    assertTyped(t, err, /timeout/i, `receive with timeout ${BAD_TIMEOUTS[i % 2]}`)
  })
  t.is(got.m, 'after')
})

test('call with a negative or NaN timeout fails with a TypeError/RangeError and sends nothing', async (t) => {
  const got = await run(async (p) => {
    const target = spawn(async (c) => {
      const m = await c.receive(undefined, { timeout: SHORT })
      c.send(p.self, ['target got', m === TIMEOUT ? 'nothing' : m])
    })
    const errs = []
    for (const timeout of BAD_TIMEOUTS) errs.push(await raised(() => call(target, 'q', { timeout })))
    for (const timeout of BAD_TIMEOUTS) errs.push(await raised(() => p.call(target, 'q', { timeout })))
    return { errs, m: await next(p) }
  })
  t.plan(got.errs.length * 3 + 1)
  got.errs.forEach((err, i) => {
    assertTyped(t, err, /timeout/i, `call with timeout ${BAD_TIMEOUTS[i % 2]}`)
  })
  t.deepEqual(got.m, ['target got', 'nothing'])
})

test('startNode refuses a modules option that is not a list of strings or names a missing package; nothing starts', async (t) => {
  const opts = { name: 'bad-modules@127.0.0.1', listen: '127.0.0.1:0', cookie: '00'.repeat(32), quiet: true }
  for (const modules of ['/srv/', [42], [''], ['no-such-package-bfly-test']])
    await t.throwsAsync(startNode({ ...opts, modules } as NodeOptions), {
      instanceOf: TypeError,
      message: /modules/,
    })
  const node = await startNode({ ...opts, modules: ['./', 'msgpackr', 'data:text/javascript,'] })
  t.is(node.name, opts.name, 'good entries (a folder, a package, a URL) are accepted')
  node.stop()
})
