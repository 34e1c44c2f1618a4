// Exit semantics (API.md, Processes: "Exit semantics are Erlang's"), one rule per test.
import test from 'ava'
import { exit, Pid, ProcessExit, send, spawn, TIMEOUT } from '../index.ts'
import {
  deadPid,
  deferred,
  isDown,
  isExitFrom,
  LONG,
  next,
  raised,
  reasonOf,
  run,
  SHORT,
  samePid,
  sameRef,
  tagged,
  view,
  within,
} from './helpers.ts'

// --- normal return and thrown errors -------------------------------------

test('normal return: a trapping linked process receives [EXIT, pid, normal]', async (t) => {
  const [got, want] = await run(async (p) => {
    p.trapExit(true)
    const child = p.spawnLink(() => 'done')
    const m = await next(p)
    return [view(m), view(['EXIT', child, 'normal'])]
  })
  t.deepEqual(got, want)
})

test('normal return: a monitor receives [DOWN, ref, pid, normal]', async (t) => {
  const [got, want] = await run(async (p) => {
    const child = spawn(async (c) => {
      await c.receive()
    })
    const ref = p.monitor(child)
    send(child, 'go')
    const m = await next(p)
    return [view(m, { ref }), view(['DOWN', ref, child, 'normal'], { ref })]
  })
  t.deepEqual(got, want)
})

test('a trapping process gets [EXIT, pid, normal] when a process it linked with p.link returns normally', async (t) => {
  const [got, want] = await run(async (p) => {
    p.trapExit(true)
    const child = spawn(async (c) => {
      await c.receive()
    })
    p.link(child)
    send(child, 'go')
    const m = await next(p)
    return [view(m), view(['EXIT', child, 'normal'])]
  })
  t.deepEqual(got, want)
})

test('a thrown error is the exit reason: the same Error object reaches a trapping link (synchronous throw)', async (t) => {
  const boom = new Error('boom')
  const { child, m } = await run(async (p) => {
    p.trapExit(true)
    const child = p.spawnLink(() => {
      throw boom
    })
    return { child, m: await next(p) }
  })
  t.deepEqual(view(m), view(['EXIT', child, boom]))
  t.is(Array.isArray(m) ? m[2] : m, boom)
})

test('a thrown error is the exit reason: the same Error object reaches a monitor (async throw)', async (t) => {
  const boom = new Error('async boom')
  const { child, ref, m } = await run(async (p) => {
    const child = spawn(async (c) => {
      await c.receive()
      throw boom
    })
    const ref = p.monitor(child)
    send(child, 'go')
    return { child, ref, m: await next(p) }
  })
  t.deepEqual(view(m, { ref }), view(['DOWN', ref, child, boom], { ref }))
  t.is(Array.isArray(m) ? m[3] : m, boom)
})

// --- links ----------------------------------------------------------------

test('links propagate child → parent: killing the child kills the non-trapping parent with the same reason', async (t) => {
  const [got, want] = await run(async (p) => {
    const childPid = deferred<Pid>()
    const parent = spawn(async (par) => {
      childPid.resolve(
        par.spawnLink(async (c) => {
          await c.receive()
        }),
      )
      await par.receive()
    })
    const parentRef = p.monitor(parent)
    const child = await within(childPid.promise, 'the child pid')
    const childRef = p.monitor(child)
    exit(child, 'boom')
    const downs = [await next(p, isDown(childRef)), await next(p, isDown(parentRef))]
    const refs = { childRef, parentRef }
    return [
      view(downs, refs),
      view(
        [
          ['DOWN', childRef, child, 'boom'],
          ['DOWN', parentRef, parent, 'boom'],
        ],
        refs,
      ),
    ]
  })
  t.deepEqual(got, want)
})

test('links propagate parent → child: killing the parent kills the non-trapping child with the same reason', async (t) => {
  const [got, want] = await run(async (p) => {
    const childPid = deferred<Pid>()
    const parent = spawn(async (par) => {
      childPid.resolve(
        par.spawnLink(async (c) => {
          await c.receive()
        }),
      )
      await par.receive()
    })
    const parentRef = p.monitor(parent)
    const child = await within(childPid.promise, 'the child pid')
    const childRef = p.monitor(child)
    exit(parent, 'boom')
    const downs = [await next(p, isDown(parentRef)), await next(p, isDown(childRef))]
    const refs = { childRef, parentRef }
    return [
      view(downs, refs),
      view(
        [
          ['DOWN', parentRef, parent, 'boom'],
          ['DOWN', childRef, child, 'boom'],
        ],
        refs,
      ),
    ]
  })
  t.deepEqual(got, want)
})

test('a non-trapping linked process dies with the same reason: the very Error object the other one threw', async (t) => {
  const boom = new Error('crash')
  const reason = await run(async (p) => {
    const childPid = deferred<Pid>()
    const parent = spawn(async (par) => {
      childPid.resolve(
        par.spawnLink(async (c) => {
          await c.receive()
          throw boom
        }),
      )
      await par.receive()
    })
    const ref = p.monitor(parent)
    send(await within(childPid.promise, 'the child pid'), 'go')
    return reasonOf(p, ref)
  })
  t.is(reason, boom)
})

test('a trapping process receives [EXIT, pid, reason] as a message and keeps running', async (t) => {
  const [got, want] = await run(async (p) => {
    p.trapExit(true)
    const child = p.spawnLink(async (c) => {
      await c.receive()
    })
    exit(child, 'boom')
    const m = await next(p)
    p.send(p.self, 'still alive')
    const after = await next(p)
    return [view([m, after]), view([['EXIT', child, 'boom'], 'still alive'])]
  })
  t.deepEqual(got, want)
})

test('a non-trapping process ignores a linked process returning normally', async (t) => {
  const [got, want] = await run(async (p) => {
    const parent = spawn(async (par) => {
      const child = par.spawnLink(() => undefined)
      const ref = par.monitor(child)
      await par.receive(isDown(ref), { timeout: LONG })
      await par.receive(undefined, { timeout: SHORT })
      par.send(p.self, ['survived'])
    })
    const ref = p.monitor(parent)
    const m = await next(p, tagged('survived'))
    return [view([m, await reasonOf(p, ref)]), [['survived'], 'normal']]
  })
  t.deepEqual(got, want)
})

test('unlink stops propagation: a trapping process gets no EXIT from an unlinked child', async (t) => {
  const [got, want] = await run(async (p) => {
    p.trapExit(true)
    const child = p.spawnLink(async (c) => {
      await c.receive()
    })
    p.unlink(child)
    const ref = p.monitor(child)
    exit(child, 'boom')
    const m = await next(p)
    const more = await next(p, undefined, SHORT)
    return [view([m, more], { ref }), view([['DOWN', ref, child, 'boom'], TIMEOUT], { ref })]
  })
  t.deepEqual(got, want)
})

test('unlink stops propagation: after the parent unlinks, killing the parent leaves the child alive', async (t) => {
  const [got, want] = await run(async (p) => {
    const childPid = deferred<Pid>()
    const parent = spawn(async (par) => {
      const child = par.spawnLink(async (c) => {
        const m = await c.receive()
        c.send(p.self, ['child got', m])
      })
      par.unlink(child)
      childPid.resolve(child)
      await par.receive()
    })
    const parentRef = p.monitor(parent)
    const child = await within(childPid.promise, 'the child pid')
    exit(parent, 'boom')
    const parentReason = await reasonOf(p, parentRef)
    send(child, 'hi')
    const m = await next(p, tagged('child got'))
    return [view([parentReason, m]), ['boom', ['child got', 'hi']]]
  })
  t.deepEqual(got, want)
})

test('unlink by the other side removes the link both ways', async (t) => {
  const [got, want] = await run(async (p) => {
    p.trapExit(true)
    const unlinked = deferred()
    const child = p.spawnLink(async (c) => {
      c.unlink(p.self)
      unlinked.resolve()
      await c.receive()
    })
    await within(unlinked.promise, 'the child to unlink')
    const ref = p.monitor(child)
    exit(child, 'boom')
    const m = await next(p)
    const more = await next(p, undefined, SHORT)
    return [view([m, more], { ref }), view([['DOWN', ref, child, 'boom'], TIMEOUT], { ref })]
  })
  t.deepEqual(got, want)
})

test('link(self) is a no-op: a trapping process gets no message and keeps running', async (t) => {
  const [got, want] = await run(async (p) => {
    p.trapExit(true)
    p.link(p.self)
    const m = await next(p, undefined, SHORT)
    p.unlink(p.self)
    p.send(p.self, 'fine')
    return [
      [m, await next(p)],
      [TIMEOUT, 'fine'],
    ]
  })
  t.deepEqual(got, want)
})

test('link(self) is a no-op: a non-trapping process keeps running and exits normally', async (t) => {
  const [got, want] = await run(async (p) => {
    const child = spawn(async (c) => {
      c.link(c.self)
      const m = await c.receive()
      c.send(p.self, ['echo', m])
    })
    const ref = p.monitor(child)
    send(child, 'x')
    return [
      [await next(p, tagged('echo')), await reasonOf(p, ref)],
      [['echo', 'x'], 'normal'],
    ]
  })
  t.deepEqual(got, want)
})

test('spawnLink is atomic: a child that throws at once still kills its non-trapping parent', async (t) => {
  const boom = new Error('immediate')
  const reason = await run(async (p) => {
    const parent = spawn(async (par) => {
      await par.receive()
      par.spawnLink(() => {
        throw boom
      })
      await par.receive()
    })
    const ref = p.monitor(parent)
    send(parent, 'go')
    return reasonOf(p, ref)
  })
  t.is(reason, boom)
})

test('spawnLink is atomic: a trapping parent gets the child’s real reason, never noproc', async (t) => {
  const boom = new Error('immediate')
  const { child, m } = await run(async (p) => {
    p.trapExit(true)
    const child = p.spawnLink(() => {
      throw boom
    })
    return { child, m: await next(p) }
  })
  t.deepEqual(view(m), view(['EXIT', child, boom]))
})

// --- exit/2 ---------------------------------------------------------------

test("exit(pid, 'kill') kills a trapping process; its links and monitors see 'killed'", async (t) => {
  const [got, want] = await run(async (p) => {
    p.trapExit(true)
    const ready = deferred()
    const target = p.spawnLink(async (c) => {
      c.trapExit(true)
      ready.resolve()
      const m = await c.receive()
      c.send(p.self, ['target got', m])
    })
    const ref = p.monitor(target)
    await within(ready.promise, 'the target to trap exits')
    exit(target, 'kill')
    const exitMsg = await next(p, isExitFrom(target))
    const down = await next(p, isDown(ref))
    const stray = await next(p, tagged('target got'), SHORT)
    return [
      view([exitMsg, down, stray], { ref }),
      view([['EXIT', target, 'killed'], ['DOWN', ref, target, 'killed'], TIMEOUT], { ref }),
    ]
  })
  t.deepEqual(got, want)
})

test("'killed' is an ordinary reason: a non-trapping link of a killed process dies with 'killed'", async (t) => {
  const [got, want] = await run(async (p) => {
    p.trapExit(true)
    const leafPid = deferred<Pid>()
    const middle = p.spawnLink(async (m) => {
      leafPid.resolve(
        m.spawnLink(async (leaf) => {
          leaf.trapExit(true)
          await leaf.receive()
        }),
      )
      await m.receive()
    })
    const leaf = await within(leafPid.promise, 'the leaf pid')
    exit(leaf, 'kill')
    const m = await next(p, isExitFrom(middle))
    return [view(m), view(['EXIT', middle, 'killed'])]
  })
  t.deepEqual(got, want)
})

test("exit(pid, 'normal') is ignored by a non-trapping process", async (t) => {
  const [got, want] = await run(async (p) => {
    const target = spawn(async (c) => {
      const m = await c.receive()
      c.send(p.self, ['got', m])
    })
    const ref = p.monitor(target)
    exit(target, 'normal')
    p.send(target, 'hello')
    const m = await next(p, tagged('got'))
    return [
      [m, await reasonOf(p, ref)],
      [['got', 'hello'], 'normal'],
    ]
  })
  t.deepEqual(got, want)
})

test("exit(pid, 'normal') reaches a trapping process as [EXIT, sender, 'normal'] (p.exit: sender is p.self)", async (t) => {
  const [got, want] = await run(async (p) => {
    const ready = deferred()
    const target = spawn(async (c) => {
      c.trapExit(true)
      ready.resolve()
      const m = await c.receive()
      c.send(p.self, ['got', m])
    })
    await within(ready.promise, 'the target to trap exits')
    p.exit(target, 'normal')
    const m = await next(p, tagged('got'))
    return [view(m), view(['got', ['EXIT', p.self, 'normal']])]
  })
  t.deepEqual(got, want)
})

test("exit(pid, 'normal') from outside any process reaches a trapping process as an EXIT message", async (t) => {
  const { target, m } = await run(async (p) => {
    const ready = deferred()
    const target = spawn(async (c) => {
      c.trapExit(true)
      ready.resolve()
      const m = await c.receive()
      c.send(p.self, ['got', m])
    })
    await within(ready.promise, 'the target to trap exits')
    exit(target, 'normal')
    return { target, m: await next(p, tagged('got')) }
  })
  const msg = Array.isArray(m) ? m[1] : undefined
  const [tag, sender, reason, ...extra] = Array.isArray(msg) ? msg : []
  t.plan(4)
  t.deepEqual([tag, reason, extra], ['EXIT', 'normal', []], `expected ['got', ['EXIT', sender, 'normal']]`)
  t.true(sender instanceof Pid, 'the EXIT message names a sender pid')
  t.false(samePid(sender, target), 'the sender is not the target itself')
  t.true(Array.isArray(m) && m.length === 2)
})

test('exit(pid, reason) to a trapping process arrives as [EXIT, sender, reason]; p.exit names p.self', async (t) => {
  const [got, want] = await run(async (p) => {
    const ready = deferred()
    const target = spawn(async (c) => {
      c.trapExit(true)
      ready.resolve()
      const m = await c.receive()
      c.send(p.self, ['got', m])
    })
    await within(ready.promise, 'the target to trap exits')
    p.exit(target, 'shutdown')
    return [view(await next(p, tagged('got'))), view(['got', ['EXIT', p.self, 'shutdown']])]
  })
  t.deepEqual(got, want)
})

// --- noproc -----------------------------------------------------------------

test("linking to a dead pid kills a non-trapping process with 'noproc'", async (t) => {
  const [got, want] = await run(async (p) => {
    const dead = await deadPid(p)
    const linker = spawn(async (c) => {
      await c.receive()
      c.link(dead)
      await c.receive()
    })
    const ref = p.monitor(linker)
    send(linker, 'go')
    return [view(await next(p, isDown(ref)), { ref }), view(['DOWN', ref, linker, 'noproc'], { ref })]
  })
  t.deepEqual(got, want)
})

test("linking to a dead pid from a trapping process delivers [EXIT, pid, 'noproc']", async (t) => {
  const [got, want] = await run(async (p) => {
    const dead = await deadPid(p)
    p.trapExit(true)
    p.link(dead)
    const m = await next(p)
    p.send(p.self, 'alive')
    return [view([m, await next(p)]), view([['EXIT', dead, 'noproc'], 'alive'])]
  })
  t.deepEqual(got, want)
})

test("monitoring a dead pid delivers [DOWN, ref, pid, 'noproc']", async (t) => {
  const [got, want] = await run(async (p) => {
    const dead = await deadPid(p)
    const ref = p.monitor(dead)
    return [view(await next(p), { ref }), view(['DOWN', ref, dead, 'noproc'], { ref })]
  })
  t.deepEqual(got, want)
})

test("monitoring a dead pid: the 'noproc' DOWN is there at once (a timeout-0 poll finds it)", async (t) => {
  const [got, want] = await run(async (p) => {
    const dead = await deadPid(p)
    const ref = p.monitor(dead)
    return [view(await p.receive(undefined, { timeout: 0 }), { ref }), view(['DOWN', ref, dead, 'noproc'], { ref })]
  })
  t.deepEqual(got, want)
})

// --- monitors ---------------------------------------------------------------

test('exactly one DOWN per monitor: two monitors, two DOWNs, then nothing', async (t) => {
  const [got, want, distinct] = await run(async (p) => {
    const target = spawn(async (c) => {
      await c.receive()
    })
    const a = p.monitor(target)
    const b = p.monitor(target)
    exit(target, 'boom')
    const downs = [await next(p, isDown(a)), await next(p, isDown(b))]
    const more = await next(p, undefined, SHORT)
    return [
      view([...downs, more], { a, b }),
      view([['DOWN', a, target, 'boom'], ['DOWN', b, target, 'boom'], TIMEOUT], { a, b }),
      !sameRef(a, b),
    ]
  })
  t.true(distinct, 'two monitors give two distinct refs')
  t.deepEqual(got, want)
})

test('exactly one DOWN per monitor of a dead pid', async (t) => {
  const [got, want] = await run(async (p) => {
    const dead = await deadPid(p)
    const ref = p.monitor(dead)
    const m = await next(p)
    const more = await next(p, undefined, SHORT)
    return [view([m, more], { ref }), view([['DOWN', ref, dead, 'noproc'], TIMEOUT], { ref })]
  })
  t.deepEqual(got, want)
})

test('demonitor prevents the DOWN', async (t) => {
  const [got, want] = await run(async (p) => {
    const target = spawn(async (c) => {
      await c.receive()
    })
    const gone = p.monitor(target)
    p.demonitor(gone)
    const kept = p.monitor(target)
    exit(target, 'boom')
    const m = await next(p)
    const more = await next(p, undefined, SHORT)
    return [view([m, more], { gone, kept }), view([['DOWN', kept, target, 'boom'], TIMEOUT], { gone, kept })]
  })
  t.deepEqual(got, want)
})

// --- unwinding a killed process ---------------------------------------------

test('killed while awaiting receive: the receive rejects with ProcessExit carrying the reason and finally runs', async (t) => {
  const ready = deferred()
  const caught = deferred<unknown>()
  const finallyRan = deferred<boolean>()
  const reason = await run(async (p) => {
    const target = spawn(async (c) => {
      try {
        ready.resolve()
        await c.receive().catch((err: unknown) => {
          caught.resolve(err)
          throw err
        })
      } finally {
        finallyRan.resolve(true)
      }
    })
    const ref = p.monitor(target)
    await within(ready.promise, 'the target to wait in receive')
    exit(target, 'boom')
    return reasonOf(p, ref)
  })
  const err = await within(caught.promise, 'the receive to reject')
  t.plan(4)
  t.is(reason, 'boom')
  t.true(err instanceof ProcessExit, `receive rejected with ${String(err)}`)
  t.is(err instanceof ProcessExit ? err.reason : undefined, 'boom')
  t.true(await within(finallyRan.promise, 'the finally block'))
})

test('killed while awaiting call: the call rejects with ProcessExit and finally runs', async (t) => {
  const ready = deferred()
  const caught = deferred<unknown>()
  const finallyRan = deferred<boolean>()
  const reason = await run(async (p) => {
    const silent = spawn(async (s) => {
      await s.receive()
      await s.receive()
    })
    const target = spawn(async (c) => {
      try {
        const pending = c.call(silent, 'hello', { timeout: 60_000 })
        ready.resolve()
        await pending.catch((err: unknown) => {
          caught.resolve(err)
          throw err
        })
      } finally {
        finallyRan.resolve(true)
      }
    })
    const ref = p.monitor(target)
    await within(ready.promise, 'the target to call')
    exit(target, 'boom')
    const r = await reasonOf(p, ref)
    exit(silent, 'kill')
    return r
  })
  const err = await within(caught.promise, 'the call to reject')
  t.plan(4)
  t.is(reason, 'boom')
  t.true(err instanceof ProcessExit, `call rejected with ${String(err)}`)
  t.is(err instanceof ProcessExit ? err.reason : undefined, 'boom')
  t.true(await within(finallyRan.promise, 'the finally block'))
})

test('a killed process that swallows ProcessExit and returns still exits with the kill reason', async (t) => {
  const ready = deferred()
  const reason = await run(async (p) => {
    const target = spawn(async (c) => {
      ready.resolve()
      try {
        await c.receive()
      } catch {
        return 'swallowed'
      }
    })
    const ref = p.monitor(target)
    await within(ready.promise, 'the target to wait in receive')
    exit(target, 'boom')
    return reasonOf(p, ref)
  })
  t.is(reason, 'boom')
})

test('later operations of a dead process throw ProcessExit: receive, send, link, spawnLink, monitor, call', async (t) => {
  const gate = deferred()
  const parked = deferred()
  const results = deferred<Record<string, unknown>>()
  let childRan = false
  const reason = await run(async (p) => {
    const other = spawn(async (o) => {
      await o.receive()
    })
    const target = spawn(async (c) => {
      parked.resolve()
      await gate.promise
      results.resolve({
        receive: await raised(() => c.receive(undefined, { timeout: 10 })),
        send: await raised(() => c.send(other, 'm')),
        link: await raised(() => c.link(other)),
        spawnLink: await raised(() =>
          c.spawnLink(() => {
            childRan = true
          }),
        ),
        monitor: await raised(() => c.monitor(other)),
        call: await raised(() => c.call(other, 'q', { timeout: 10 })),
      })
    })
    const ref = p.monitor(target)
    await within(parked.promise, 'the target to start')
    exit(target, 'boom')
    const r = await reasonOf(p, ref)
    gate.resolve()
    await within(results.promise, 'the dead process to try its operations')
    exit(other, 'kill')
    return r
  })
  const got = await results.promise
  const ops = ['receive', 'send', 'link', 'spawnLink', 'monitor', 'call']
  t.plan(2 + ops.length * 2)
  t.is(reason, 'boom')
  for (const op of ops) {
    const err = got[op]
    t.true(err instanceof ProcessExit, `${op} of a dead process gave ${String(err)}, expected ProcessExit`)
    t.is(err instanceof ProcessExit ? err.reason : undefined, 'boom', `${op}: ProcessExit carries the reason`)
  }
  t.false(childRan, 'spawnLink of a dead process must not start the child')
})

// --- signals never wait behind user messages --------------------------------

test('exit signals never wait behind user messages: a trapping process receives EXIT before messages already queued', async (t) => {
  const gate = deferred()
  const [got, want] = await run(async (p) => {
    const childPid = deferred<Pid>()
    const target = spawn(async (c) => {
      c.trapExit(true)
      childPid.resolve(
        c.spawnLink(async (k) => {
          await k.receive()
        }),
      )
      await gate.promise
      const seen = []
      for (let i = 0; i < 4; i++) seen.push(await c.receive(undefined, { timeout: LONG }))
      c.send(p.self, ['seen', seen])
    })
    const child = await within(childPid.promise, 'the child pid')
    for (const u of ['u1', 'u2', 'u3']) send(target, u)
    const ref = p.monitor(child)
    exit(child, 'boom')
    await reasonOf(p, ref)
    gate.resolve()
    return [view(await next(p, tagged('seen'))), view(['seen', [['EXIT', child, 'boom'], 'u1', 'u2', 'u3']])]
  })
  t.deepEqual(got, want)
})

test('DOWN never waits behind user messages: a monitor’s DOWN is received before messages already queued', async (t) => {
  const gate = deferred()
  const [got, want] = await run(async (p) => {
    const monitoring = deferred()
    const watched = spawn(async (w) => {
      await w.receive()
    })
    const target = spawn(async (c) => {
      const ref = c.monitor(watched)
      monitoring.resolve()
      await gate.promise
      const seen = []
      for (let i = 0; i < 3; i++) seen.push(await c.receive(undefined, { timeout: LONG }))
      c.send(p.self, ['seen', view(seen, { ref })])
    })
    await within(monitoring.promise, 'the target to monitor')
    for (const u of ['u1', 'u2']) send(target, u)
    const mine = p.monitor(watched)
    exit(watched, 'boom')
    await reasonOf(p, mine)
    gate.resolve()
    return [await next(p, tagged('seen')), ['seen', [view(['DOWN', 'ref ref', watched, 'boom']), 'u1', 'u2']]]
  })
  t.deepEqual(got, want)
})

test('a non-trapping process with 10,000 unread messages is killed at once by an exit signal', async (t) => {
  const reason = await run(async (p) => {
    const target = spawn(async (c) => {
      await c.receive((m) => m === 'never')
    })
    for (let i = 0; i < 10_000; i++) send(target, i)
    const ref = p.monitor(target)
    exit(target, 'boom')
    return reasonOf(p, ref)
  })
  t.is(reason, 'boom')
})

test('a busy process (not in receive) with queued messages is still killed by an exit signal', async (t) => {
  const gate = deferred()
  const reason = await run(async (p) => {
    const target = spawn(async () => {
      await gate.promise
    })
    for (let i = 0; i < 100; i++) send(target, i)
    const ref = p.monitor(target)
    exit(target, 'boom')
    const r = await reasonOf(p, ref)
    gate.resolve()
    return r
  })
  t.is(reason, 'boom')
})

test('linking twice is one link: one EXIT when the linked process dies', async (t) => {
  const [got, want] = await run(async (p) => {
    p.trapExit(true)
    const child = p.spawnLink(async (c) => {
      await c.receive()
    })
    p.link(child)
    p.link(child)
    exit(child, 'boom')
    const m = await next(p)
    const more = await next(p, undefined, SHORT)
    return [view([m, more]), view([['EXIT', child, 'boom'], TIMEOUT])]
  })
  t.deepEqual(got, want)
})

test('trapExit(false) after trapping: a linked crash kills the process again', async (t) => {
  const [got, want] = await run(async (p) => {
    const childPid = deferred<Pid>()
    const parent = spawn(async (par) => {
      par.trapExit(true)
      par.trapExit(false)
      childPid.resolve(
        par.spawnLink(async (c) => {
          await c.receive()
        }),
      )
      await par.receive()
    })
    const ref = p.monitor(parent)
    exit(await within(childPid.promise, 'the child pid'), 'boom')
    return [await reasonOf(p, ref), 'boom']
  })
  t.is(got, want)
})

test('a process killed before it first runs never runs its body', async (t) => {
  let ran = false
  const { reason, ranAtSpawn } = await run(async (p) => {
    const target = spawn(() => {
      ran = true
    })
    // API.md does not say whether spawn runs the body at once; if it did,
    // the body ran before the kill and only the rest of this test applies.
    const ranAtSpawn = ran
    const ref = p.monitor(target)
    exit(target, 'boom')
    return { reason: await reasonOf(p, ref), ranAtSpawn }
  })
  t.deepEqual(
    { ranAfterTheKill: ran && !ranAtSpawn, reason: ranAtSpawn ? 'ran at spawn' : reason },
    { ranAfterTheKill: false, reason: ranAtSpawn ? 'ran at spawn' : 'boom' },
  )
})
