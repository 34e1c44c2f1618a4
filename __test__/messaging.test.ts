// Messaging (API.md, Processes: send, receive, call/reply).
import test from 'ava'
import { call, exit, NoProcError, type Pid, reply, send, spawn, TIMEOUT, TimeoutError } from '../index.ts'
import { deadPid, deferred, isDown, LONG, next, reasonOf, run, SHORT, tagged, within } from './helpers.ts'

const N = 10_000

/** A raw server: answers every ['$call', from, request] with `answer(request)`, forever. */
function server(answer: (req: unknown) => unknown): Pid {
  return spawn(async (s) => {
    for (;;) {
      const m = await s.receive()
      if (Array.isArray(m) && m[0] === '$call') reply(m[1], answer(m[2]))
    }
  })
}

// --- ordering ---------------------------------------------------------------

test('per-sender FIFO: 10,000 messages from one process arrive in send order', async (t) => {
  const got = await run(async (p) => {
    spawn((s) => {
      for (let i = 0; i < N; i++) s.send(p.self, i)
    })
    const seen: unknown[] = []
    for (let i = 0; i < N; i++) seen.push(await next(p))
    return seen
  })
  t.deepEqual(
    got,
    Array.from({ length: N }, (_, i) => i),
  )
})

test('per-sender FIFO: 10,000 messages sent from outside any process arrive in send order', async (t) => {
  const ready = deferred<Pid>()
  const result = run(async (p) => {
    ready.resolve(p.self)
    const seen: unknown[] = []
    for (let i = 0; i < N; i++) seen.push(await next(p))
    return seen
  })
  const to = await within(ready.promise, 'the receiver')
  for (let i = 0; i < N; i++) send(to, i)
  t.deepEqual(
    await result,
    Array.from({ length: N }, (_, i) => i),
  )
})

test('per-sender FIFO: two interleaved senders, each one’s messages in its own order', async (t) => {
  const got = await run(async (p) => {
    for (const tag of ['a', 'b']) {
      spawn(async (s) => {
        for (let i = 0; i < N; i++) {
          s.send(p.self, [tag, i])
          if (i % 97 === 0) await Promise.resolve()
        }
      })
    }
    const seen: Record<string, number[]> = { a: [], b: [] }
    for (let i = 0; i < 2 * N; i++) {
      const m = await next(p)
      if (Array.isArray(m) && typeof m[0] === 'string' && typeof m[1] === 'number') seen[m[0]]?.push(m[1])
    }
    return seen
  })
  const want = Array.from({ length: N }, (_, i) => i)
  t.deepEqual(got, { a: want, b: want })
})

// --- selective receive ------------------------------------------------------

test('selective receive takes the first matching message and leaves the others in order', async (t) => {
  const got = await run(async (p) => {
    for (const m of [1, 'a', 2, 'b', 3]) p.send(p.self, m)
    const first = await next(p, (m) => typeof m === 'string')
    const rest = []
    for (let i = 0; i < 4; i++) rest.push(await next(p))
    return [first, rest]
  })
  t.deepEqual(got, ['a', [1, 2, 'b', 3]])
})

test('a receive waiting on a predicate takes the match that arrives later; earlier non-matches stay in order', async (t) => {
  const got = await run(async (p) => {
    const waiting = p.receive((m) => typeof m === 'string', { timeout: LONG })
    spawn(async (s) => {
      for (let i = 0; i < 5; i++) {
        s.send(p.self, i)
        await new Promise((r) => setTimeout(r, 1))
      }
      s.send(p.self, 'match')
      s.send(p.self, 'second match')
      s.send(p.self, 5)
    })
    const first = await waiting
    const rest = []
    for (let i = 0; i < 7; i++) rest.push(await next(p))
    return [first, rest]
  })
  t.deepEqual(got, ['match', [0, 1, 2, 3, 4, 'second match', 5]])
})

test('receive with a timeout returns TIMEOUT when nothing comes; a later message is not lost', async (t) => {
  const got = await run(async (p) => {
    const first = await p.receive(undefined, { timeout: 20 })
    p.send(p.self, 'late')
    return [first, await next(p)]
  })
  t.deepEqual(got, [TIMEOUT, 'late'])
})

test('receive with a predicate and a timeout returns TIMEOUT and leaves the non-matching messages in order', async (t) => {
  const got = await run(async (p) => {
    for (const m of [1, 2, 3]) p.send(p.self, m)
    const r = await p.receive((m) => m === 'nope', { timeout: 20 })
    const rest = []
    for (let i = 0; i < 3; i++) rest.push(await next(p))
    return [r, rest]
  })
  t.deepEqual(got, [TIMEOUT, [1, 2, 3]])
})

test('timeout 0 polls: a message sent after the poll is not taken by it', async (t) => {
  const got = await run(async (p) => {
    const polled = p.receive(undefined, { timeout: 0 })
    p.send(p.self, 'after the poll')
    return [await polled, await next(p)]
  })
  t.deepEqual(got, [TIMEOUT, 'after the poll'])
})

test('timeout 0 polls: TIMEOUT on an empty mailbox, the message when one is queued', async (t) => {
  const got = await run(async (p) => {
    const empty = await p.receive(undefined, { timeout: 0 })
    p.send(p.self, 'a')
    p.send(p.self, 'b')
    const a = await next(p)
    const b = await p.receive(undefined, { timeout: 0 })
    const none = await p.receive(undefined, { timeout: 0 })
    return [empty, a, b, none]
  })
  t.deepEqual(got, [TIMEOUT, 'a', 'b', TIMEOUT])
})

// --- call / reply -----------------------------------------------------------

test('call from inside a process returns the reply', async (t) => {
  const srv = server((req) => (typeof req === 'number' ? req * 2 : req))
  const got = await run((p) => p.call(srv, 21))
  exit(srv, 'kill')
  t.is(got, 42)
})

test('call from outside any process returns the reply', async (t) => {
  const srv = server((req) => ['echo', req])
  const got = await call(srv, 'hi')
  exit(srv, 'kill')
  t.deepEqual(got, ['echo', 'hi'])
})

test("a raw process receives a call as ['$call', from, request]", async (t) => {
  const seen = deferred<unknown>()
  const srv = spawn(async (s) => {
    const m = await s.receive()
    seen.resolve(m)
    if (Array.isArray(m)) reply(m[1], 'ok')
  })
  const answer = await call(srv, { q: 1 })
  const m = await within(seen.promise, 'the request')
  t.plan(4)
  t.is(answer, 'ok')
  t.true(Array.isArray(m) && m.length === 3, 'three elements')
  t.is(Array.isArray(m) ? m[0] : m, '$call')
  t.deepEqual(Array.isArray(m) ? m[2] : m, { q: 1 })
})

test('concurrent calls each get their own reply, even when answered out of order', async (t) => {
  const srv = spawn(async (s) => {
    const pending = []
    for (let i = 0; i < 3; i++) pending.push(await s.receive())
    for (const m of pending.reverse()) if (Array.isArray(m)) reply(m[1], ['re', m[2]])
  })
  const answers = await Promise.all([call(srv, 1), call(srv, 2), call(srv, 3)])
  t.deepEqual(answers, [
    ['re', 1],
    ['re', 2],
    ['re', 3],
  ])
})

test('the reply to a call does not also land in the caller’s mailbox', async (t) => {
  const srv = server((req) => req)
  const got = await run(async (p) => {
    const answer = await p.call(srv, 'x')
    return [answer, await next(p, undefined, SHORT)]
  })
  exit(srv, 'kill')
  t.deepEqual(got, ['x', TIMEOUT])
})

test('call times out with TimeoutError (inside and outside a process)', async (t) => {
  const silent = spawn(async (s) => {
    for (;;) await s.receive()
  })
  await t.throwsAsync(call(silent, 'q', { timeout: 30 }), { instanceOf: TimeoutError })
  const inside = await run(async (p) => {
    try {
      await p.call(silent, 'q', { timeout: 30 })
      return 'answered'
    } catch (err) {
      return err
    }
  })
  exit(silent, 'kill')
  t.true(inside instanceof TimeoutError, `p.call rejected with ${String(inside)}`)
})

test('call to a dead pid rejects with NoProcError', async (t) => {
  const dead = await run((p) => deadPid(p))
  await t.throwsAsync(call(dead, 'q'), { instanceOf: NoProcError })
  const inside = await run(async (p) => {
    try {
      await p.call(dead, 'q')
      return 'answered'
    } catch (err) {
      return err
    }
  })
  t.true(inside instanceof NoProcError, `p.call rejected with ${String(inside)}`)
})

test('call to a target that dies while handling it rejects with NoProcError (not TimeoutError)', async (t) => {
  const crasher = spawn(async (s) => {
    await s.receive()
    throw new Error('crashed while handling')
  })
  await t.throwsAsync(call(crasher, 'q', { timeout: LONG }), { instanceOf: NoProcError })
})

test('call to a target that returns without replying rejects with NoProcError', async (t) => {
  const quitter = spawn(async (s) => {
    await s.receive()
  })
  await t.throwsAsync(call(quitter, 'q', { timeout: LONG }), { instanceOf: NoProcError })
})

test('call to a target killed while handling it rejects with NoProcError', async (t) => {
  const got = deferred()
  const target = spawn(async (s) => {
    await s.receive()
    got.resolve()
    await s.receive()
  })
  const pending = call(target, 'q', { timeout: LONG })
  await within(got.promise, 'the request to arrive')
  exit(target, 'boom')
  await t.throwsAsync(pending, { instanceOf: NoProcError })
})

// --- send ---------------------------------------------------------------------

test('send to a dead pid does not throw (global send and p.send)', async (t) => {
  const dead = await run((p) => deadPid(p))
  t.notThrows(() => send(dead, 'hello'))
  const inside = await run((p) => {
    try {
      p.send(dead, 'hello')
      return 'ok'
    } catch (err) {
      return err
    }
  })
  t.is(inside, 'ok')
})

test('send to a process killed a moment ago does not throw', async (t) => {
  const got = await run(async (p) => {
    const target = spawn(async (c) => {
      await c.receive(tagged('never'))
    })
    const ref = p.monitor(target)
    exit(target, 'boom')
    send(target, 'just after')
    p.send(target, 'just after')
    return reasonOf(p, ref)
  })
  t.is(got, 'boom')
})

test('a message to a live process is delivered and its DOWN follows when it ends', async (t) => {
  const got = await run(async (p) => {
    const echo = spawn(async (c) => {
      const m = await c.receive()
      c.send(p.self, ['echo', m])
    })
    const ref = p.monitor(echo)
    send(echo, 'ping')
    const m = await next(p, tagged('echo'))
    const down = await next(p, isDown(ref))
    return [m, Array.isArray(down) ? down[3] : down]
  })
  t.deepEqual(got, [['echo', 'ping'], 'normal'])
})

// --- timeouts beyond Node's timer range ---------------------------------------

// setTimeout clamps any delay above 2^31 - 1 ms to 1 ms; a timeout that long
// must still mean "not yet" (API.md: TIMEOUT "when `timeout` ms pass").
const HUGE = 2 ** 31 + 1000

test('a receive timeout beyond 2^31 - 1 ms does not fire early', async (t) => {
  const got = await run(async (p) => {
    setTimeout(() => send(p.self, 'in time'), 50)
    return p.receive(undefined, { timeout: HUGE })
  })
  t.is(got, 'in time')
})

test('a receive timeout beyond 2^31 - 1 ms waits without spinning a 1 ms timer (no TimeoutOverflowWarning)', async (t) => {
  const overflows: string[] = []
  const onWarning = (w: Error) => {
    if (w.name === 'TimeoutOverflowWarning') overflows.push(w.message)
  }
  process.on('warning', onWarning)
  try {
    const got = await run(async (p) => {
      setTimeout(() => send(p.self, 'in time'), 50)
      return p.receive(undefined, { timeout: HUGE })
    })
    await new Promise((r) => setImmediate(r))
    t.deepEqual([got, overflows.length], ['in time', 0], `first warning: ${overflows[0]}`)
  } finally {
    process.off('warning', onWarning)
  }
})

test('a call timeout beyond 2^31 - 1 ms does not fire early', async (t) => {
  const slow = spawn(async (s) => {
    const m = await s.receive()
    await new Promise((r) => setTimeout(r, 50))
    if (Array.isArray(m)) reply(m[1], 'late but in time')
  })
  t.is(await call(slow, 'q', { timeout: HUGE }), 'late but in time')
})

// --- a predicate is asked afresh on every receive -----------------------------

test('a predicate reused across receives finds the first match in arrival order each time', async (t) => {
  const got = await run(async (p) => {
    let want = 'c'
    const pred = (m: unknown) => m === want
    for (const m of ['a', 'b', 'c']) p.send(p.self, m)
    const first = await p.receive(pred, { timeout: SHORT })
    want = 'a'
    const second = await p.receive(pred, { timeout: SHORT })
    return [first, second, await p.receive(undefined, { timeout: 0 })]
  })
  t.deepEqual(got, ['c', 'a', 'b'])
})

// --- selective receive against a naive model ----------------------------------

test('selective receive agrees with a naive mailbox model over 30,000 random operations', async (t) => {
  // Pure predicates, some reused (the same function object) and some fresh
  // each time, over a mailbox that grows past a few thousand messages.
  const reused = [
    (m: unknown) => typeof m === 'number' && m % 3 === 0,
    (m: unknown) => typeof m === 'number' && m % 7 === 2,
    (m: unknown) => typeof m === 'number' && m > 90,
  ]
  const mismatch = await run(async (p) => {
    let seed = 12345
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    const model: number[] = []
    for (let step = 0; step < 30_000; step++) {
      const sendBias = step < 8000 ? 0.75 : step < 20_000 ? 0.3 : 0.5
      if (rand() < sendBias) {
        const v = Math.floor(rand() * 100)
        p.send(p.self, v)
        model.push(v)
        continue
      }
      const k = Math.floor(rand() * 8)
      const mod = 2 + Math.floor(rand() * 9)
      const pred: ((m: unknown) => boolean) | undefined =
        k < 3 ? reused[k] : k < 7 ? (m) => typeof m === 'number' && m % mod === 0 : undefined
      const test = pred ?? (() => true)
      const i = model.findIndex((m) => test(m))
      if (i >= 0) {
        const want = model.splice(i, 1)[0]
        const got = await p.receive(pred, { timeout: 0 })
        if (got !== want) return { step, kind: 'poll', got, want, size: model.length }
        continue
      }
      const pending = p.receive(pred, { timeout: LONG })
      let want: number | undefined
      while (want === undefined) {
        const v = Math.floor(rand() * 100)
        p.send(p.self, v)
        if (test(v)) want = v
        else model.push(v)
      }
      const got = await pending
      if (got !== want) return { step, kind: 'wait', got, want, size: model.length }
    }
    const rest: unknown[] = []
    for (;;) {
      const m = await p.receive(undefined, { timeout: 0 })
      if (m === TIMEOUT) break
      rest.push(m)
    }
    return rest.length === model.length && rest.every((m, i) => m === model[i])
      ? null
      : { step: 'drain', got: rest.length, want: model.length }
  })
  t.is(mismatch, null)
})
