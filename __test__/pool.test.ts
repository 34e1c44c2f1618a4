// The foundation's local semantics, run with the two processes on one
// thread and again on different threads: every body comes from
// fixtures/pool-bodies.ts and is spawned by spec, either on this thread or
// with { thread: 'pool' }, so each test states what both placements must do.
import test from 'ava'
import {
  atomically,
  configurePool,
  exit,
  NoProcError,
  NotPortableError,
  type Pid,
  type Process,
  type Ref,
  registerService,
  type SpawnSpec,
  send,
  spawn,
  stopPool,
  TVar,
  whereis,
} from '../index.ts'
import { deadPid, isDown, isExitFrom, next, reasonOf, run, SHORT, samePid, tagged, uniqueName } from './helpers.ts'

configurePool({ size: 2 })

// Both workers are started before the tests (a worker's start under a
// loaded machine can outlast a test's call timeout), and stopped after
// them so no process left by a failed test holds the test process open.
test.before(async () => {
  await run(async (p) => {
    for (let i = 0; i < 2; i++) {
      const e = spawn(body('echo'), { thread: 'pool' })
      await p.call(e, 'warm', { timeout: 60_000 })
      send(e, 'stop')
    }
  }, 90_000)
})
test.after.always(() => stopPool())

const BODIES = new URL('./fixtures/pool-bodies.ts', import.meta.url).href
const body = (fn: string, ...args: unknown[]): SpawnSpec => ({ module: BODIES, fn, args })

type Place = 'same thread' | 'other thread'
const PLACES: Place[] = ['same thread', 'other thread']
const opts = (place: Place) => (place === 'other thread' ? ({ thread: 'pool' } as const) : undefined)
/** Spawns `spec` at `place`. */
const at = (place: Place, spec: SpawnSpec): Pid => spawn(spec, opts(place) as { thread: 'pool' })
/** `p.spawnLink(spec)` at `place`. */
const linkedAt = (p: Process, place: Place, spec: SpawnSpec): Pid =>
  p.spawnLink(spec, opts(place) as { thread: 'pool' })

/** The payload of the next ['tag', x] message. */
async function got(p: Process, tag: string): Promise<unknown> {
  const m = await next(p, tagged(tag))
  if (!Array.isArray(m)) throw new Error(`no '${tag}' message came`)
  return m[1]
}

for (const place of PLACES) {
  test(`${place}: messages from one sender arrive in send order, both ways, including those sent before it starts`, async (t) => {
    await run(async (p) => {
      const echo = at(place, body('echo'))
      for (let i = 0; i < 500; i++) send(echo, [p.self, { i, big: 2n ** 70n + BigInt(i), at: new Date(i) }])
      for (let i = 0; i < 500; i++) {
        const m = (await next(p)) as { i: number; big: bigint; at: Date }
        if (m.i !== i || m.big !== 2n ** 70n + BigInt(i) || m.at.getTime() !== i) t.fail(`message ${i} came as ${m.i}`)
      }
      at(place, body('sendSeq', p.self, 500))
      for (let i = 0; i < 500; i++) {
        const m = (await next(p)) as ['seq', Pid, number]
        if (m[2] !== i) t.fail(`seq ${i} came as ${m[2]}`)
      }
      send(echo, 'stop')
      t.pass()
    })
  })

  test(`${place}: a burst larger than one drain arrives whole and in order, and a receive for its last message finds it`, async (t) => {
    // Across threads the receiving thread takes a burst a bounded part at a time (src/threads/inbox.ts): 20,000
    // messages and three of 100 KiB (each over the drain block) must all arrive, in order, however it is cut.
    await run(async (p) => {
      const n = 20_000
      at(place, body('sendSeq', p.self, n, 100 * 1024))
      const last = await next(p, (m) => Array.isArray(m) && m[2] === n - 1)
      t.is((last as unknown[])[2], n - 1)
      let bad = 0
      for (let i = 0; i < n - 1; i++) {
        const m = (await next(p)) as ['seq', Pid, number, Uint8Array?]
        if (m[2] !== i || (i % 7000 === 0) !== (m[3]?.length === 100 * 1024)) bad++
      }
      t.is(bad, 0)
    })
  })

  test(`${place}: receive with a predicate takes the match and leaves the others in order`, async (t) => {
    await run(async (p) => {
      const s = at(place, body('selective', p.self, 4))
      for (const m of [1, 2, 'go', 3, 4]) send(s, m)
      t.deepEqual(await got(p, 'rest'), [1, 2, 3, 4])
    })
  })

  test(`${place}: call gets the reply, from a process and from outside one; a callee that dies rejects with NoProcError`, async (t) => {
    await run(async (p) => {
      const echo = at(place, body('echo'))
      t.deepEqual(await p.call(echo, { q: [1, 'x'] }), { q: [1, 'x'] })
      const { call } = await import('../index.ts')
      t.is(await call(echo, 'outside'), 'outside')
      await t.throwsAsync(p.call(echo, 'die'), { instanceOf: NoProcError })
      await t.throwsAsync(p.call(echo, 'late'), { instanceOf: NoProcError })
      // And the other way: the spawned process calls one of this thread.
      const here = spawn(body('echo'))
      at(place, body('caller', p.self, here, 'from there'))
      t.is(await got(p, 'answer'), 'from there')
      send(here, 'stop')
    })
  })

  test(`${place}: a link carries a crash reason (an Error) to a trapping process, and kills one that does not trap`, async (t) => {
    await run(async (p) => {
      p.trapExit(true)
      const echo = at(place, body('echo'))
      p.link(echo)
      send(echo, 'crash')
      const m = (await next(p, isExitFrom(echo))) as [string, Pid, Error]
      // An Error crosses as an Error with its name, message and stack.
      t.true(m[2] instanceof Error)
      t.is(m[2].name, 'TypeError')
      t.is(m[2].message, 'crashed on request')
      t.regex(m[2].stack ?? '', /pool-bodies/)
      // A non-trapping process on the other side dies with the reason of
      // the process it linked to, here.
      const dier = spawn(async (q) => {
        await q.receive((x) => x === 'die')
        throw new Error('boom')
      })
      const victim = at(place, body('linker', p.self, dier, false))
      await got(p, 'linked')
      const ref = p.monitor(victim)
      send(dier, 'die')
      t.is(((await reasonOf(p, ref)) as Error).message, 'boom')
    })
  })

  test(`${place}: spawnLink links before the body runs: a body that throws at once is seen by the parent`, async (t) => {
    await run(async (p) => {
      p.trapExit(true)
      const child = linkedAt(p, place, body('crashNow', 'at once'))
      const m = (await next(p, isExitFrom(child))) as [string, Pid, Error]
      t.is(m[2].message, 'at once')
    })
    // Without trapping, the parent dies with the child's reason.
    await run(async (p) => {
      const parent = spawn(async (q) => {
        send(linkedAt(q, place, body('crashOnGo', 'child went')), 'go')
        await q.receive()
      })
      const r = (await reasonOf(p, p.monitor(parent))) as Error
      t.is(r.name, 'RangeError')
      t.is(r.message, 'child went')
    })
  })

  test(`${place}: exit 'kill' kills a trapping process ('killed' to its links); other reasons reach it as EXIT`, async (t) => {
    await run(async (p) => {
      p.trapExit(true)
      const tr = linkedAt(p, place, body('trapper', p.self))
      await got(p, 'ready')
      exit(tr, 'shutdown please')
      const m = (await got(p, 'got')) as [string, Pid, unknown]
      t.is(m[0], 'EXIT')
      t.is(m[2], 'shutdown please')
      exit(tr, 'kill')
      const e = (await next(p, isExitFrom(tr))) as unknown[]
      t.is(e[2], 'killed')
    })
  })

  test(`${place}: exit 'normal' is ignored by a process that does not trap`, async (t) => {
    await run(async (p) => {
      const echo = at(place, body('echo'))
      const ref = p.monitor(echo)
      exit(echo, 'normal')
      t.is(await p.call(echo, 'still here'), 'still here')
      send(echo, 'stop')
      t.is(await reasonOf(p, ref), 'normal')
    })
  })

  test(`${place}: linking to a dead pid gives noproc: EXIT to a trapping process, death to one that does not trap`, async (t) => {
    await run(async (p) => {
      const dead = await deadPid(p)
      const tr = at(place, body('linker', p.self, dead, true))
      const m = (await got(p, 'got')) as unknown[]
      t.deepEqual([m[0], samePid(m[1], dead), m[2]], ['EXIT', true, 'noproc'])
      send(tr, 'ignored')
      const nt = at(place, body('linker', p.self, dead, false))
      const ref = p.monitor(nt)
      t.is(await reasonOf(p, ref), 'noproc')
      // And from this thread to a dead process that lived over there.
      const gone = at(place, body('echo'))
      const r2 = p.monitor(gone)
      send(gone, 'stop')
      await reasonOf(p, r2)
      p.trapExit(true)
      p.link(gone)
      t.is(((await next(p, isExitFrom(gone))) as unknown[])[2], 'noproc')
      exit(tr, 'kill')
    })
  })

  test(`${place}: a monitor delivers DOWN once, noproc at once for a dead pid; demonitor stops it`, async (t) => {
    await run(async (p) => {
      const echo = at(place, body('echo'))
      const w = at(place, body('monitorer', p.self, echo, SHORT))
      const ref = (await got(p, 'ref')) as Ref
      send(echo, 'crash')
      const down = (await got(p, 'down')) as unknown[]
      t.true(isDown(ref)(down))
      t.true(samePid(down[2], echo))
      t.is((down[3] as Error).message, 'crashed on request')
      t.is(await got(p, 'more'), 'nothing', 'one DOWN only')
      at(place, body('monitorer', p.self, echo, SHORT))
      t.is(((await got(p, 'down')) as unknown[])[3], 'noproc')
      // demonitor: no DOWN when the target then dies.
      const e2 = at(place, body('echo'))
      const r = p.monitor(e2)
      p.demonitor(r)
      const r3 = p.monitor(e2)
      send(e2, 'stop')
      await reasonOf(p, r3)
      t.is(await next(p, isDown(r), SHORT), (await import('../index.ts')).TIMEOUT)
      t.truthy(w)
    })
  })

  test(`${place}: registered names are seen and reached from the other thread`, async (t) => {
    await run(async (p) => {
      const name = uniqueName('pool-reg')
      const r = at(place, body('registered', p.self, name))
      t.is(await next(p, (m) => m === 'registered'), 'registered')
      t.true(samePid(whereis(name), r))
      send(name, [p.self, 'by name'])
      t.is(await next(p, (m) => m === 'by name'), 'by name')
      // A name registered here, used over there.
      const mine = uniqueName('pool-here')
      registerService(mine, p.self)
      at(place, body('sendTo', mine, ['to-name', 42]))
      t.is(await got(p, 'to-name'), 42)
      send(r, 'stop')
    })
  })

  test(`${place}: a TVar passed as a spawn argument is the same TVar there`, async (t) => {
    await run(async (p) => {
      const tv = new TVar(10)
      at(place, body('bump', p.self, tv, 5))
      t.is(await got(p, 'bumped'), 15)
      t.is(
        atomically((tx) => tx.read(tv)),
        15,
      )
    })
  })
}

test('spawn on the pool refuses what cannot travel, with typed errors, and creates nothing', (t) => {
  t.throws(() => spawn((() => 1) as unknown as SpawnSpec, { thread: 'pool' }), {
    instanceOf: TypeError,
    message: /cannot travel to a pool thread/,
  })
  t.throws(() => spawn(body('echo'), { thread: 'gpu' as 'pool' }), { instanceOf: TypeError, message: /'pool'/ })
  const err = t.throws(() => spawn(body('echo', { f: () => 1 }), { thread: 'pool' }), { instanceOf: NotPortableError })
  t.is(err?.path, 'args[0].f')
  t.throws(() => configurePool({ size: 0 }), { instanceOf: TypeError })
  t.throws(() => configurePool({ size: 1.5 }), { instanceOf: TypeError })
})

test('a pool process whose module has no such export dies with a TypeError naming it', async (t) => {
  await run(async (p) => {
    const bad = spawn(body('nope'), { thread: 'pool' })
    const ref = p.monitor(bad)
    const r = (await reasonOf(p, ref)) as Error
    t.is(r.name, 'TypeError')
    t.regex(r.message, /no exported function 'nope'/)
  })
})
