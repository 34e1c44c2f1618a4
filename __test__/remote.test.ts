// Every primitive on a pid of another node (API.md, Names and nodes): the
// peer is a separate OS process on 127.0.0.1 (fixtures/node.ts), this test
// process is a node too.
import { randomBytes } from 'node:crypto'
import test from 'ava'
import {
  call,
  exit,
  NoProcError,
  NotPortableError,
  Pid,
  Ref,
  registerServer,
  registerService,
  remoteService,
  send,
  spawn,
  TIMEOUT,
  TimeoutError,
  unregisterService,
} from '../index.ts'
import { isDown, isExitFrom, next, run, SHORT, tagged } from './helpers.ts'
import { newCookie, type Peer, SERVICES, startPeer, thisNode } from './nodes.ts'

const A = 'ra@127.0.0.1'
let peer: Peer

test.before(async () => {
  const cookie = newCookie()
  peer = await startPeer(A, cookie)
  await thisNode('rb@127.0.0.1', cookie)
  registerServer(A, peer.addr)
})

test.after.always(() => peer?.kill())

const spec = (fn: string, ...args: unknown[]) => ({ module: SERVICES, fn, args })

test('the seed example: a remote service registered locally answers call', async (t) => {
  registerService('ECHO-A', remoteService(A, { name: 'ECHO' }))
  t.is(await call('ECHO-A', 'Hello'), 'Hello')
  t.is(await call(remoteService(A, { name: 'ECHO' }), 'direct'), 'direct')
  t.true(unregisterService('ECHO-A'))
})

test('pids, refs, Maps, Sets, bigints, dates, errors and a 1 MB value round trip equal', async (t) => {
  await run(async (p) => {
    const ref = new Ref('elsewhere@h', 77)
    const big = randomBytes(1 << 20)
    const v = {
      self: p.self,
      ref,
      map: new Map<unknown, unknown>([
        [1, 2n ** 70n],
        ['k', [p.self]],
      ]),
      set: new Set(['x', 3]),
      when: new Date(1_700_000_000_000),
      sym: Symbol.for('A'),
      err: new TypeError('bad'),
      big,
    }
    const back = (await call(remoteService(A, { name: 'ECHO' }), v, { timeout: 20_000 })) as typeof v
    t.true(back.self instanceof Pid && back.self.equals(p.self), 'the pid came back as this process')
    t.true(back.ref instanceof Ref && back.ref.equals(ref))
    t.deepEqual([...back.map.keys()], [1, 'k'])
    t.is(back.map.get(1), 2n ** 70n)
    t.true((back.map.get('k') as Pid[])[0].equals(p.self))
    t.deepEqual(back.set, v.set)
    t.is(back.when.getTime(), v.when.getTime())
    t.is(back.sym, Symbol.for('A'))
    t.is(back.err.name, 'TypeError')
    t.is(back.err.message, 'bad')
    t.true(Buffer.from(back.big).equals(big), 'the 1 MB value is intact')
  })
})

test('remote spawn, send and receive; per-sender order over 100,000 messages', async (t) => {
  await run(async (p) => {
    const echo = await spawn(spec('echo'), { node: A })
    t.true(echo instanceof Pid && echo.node === A)
    send(echo, [p.self, 'ping'])
    t.is(await next(p), 'ping')
    const n = 100_000
    const counter = await spawn(spec('counter', p.self, n), { node: A })
    for (let i = 0; i < n; i++) p.send(counter, i)
    t.deepEqual(await next(p, tagged('counted'), 30_000), ['counted', n, true])
  }, 60_000)
})

test('large messages across fragment boundaries arrive intact and in order, to a pid and to a name', async (t) => {
  await run(async (p) => {
    // Sizes around the 16 KiB frame payload (the frame's head shifts the
    // message's bytes across it), several fragments, and small ones between
    // (batched), to the pid (credited) and to the name (uncredited): each
    // comes back as [destination, its number there, bytes].
    const F = 16 * 1024
    const sizes = [4097, F - 40, F - 9, F, F + 1, 2 * F - 20, 2 * F + 3, 64 * 1024, 3 * F + 1, 200_000, 5, 1]
    const to = { pid: await spawn(spec('echo'), { node: A }), name: remoteService(A, { name: 'ECHO' }) }
    const sent = { pid: [] as Buffer[], name: [] as Buffer[] }
    let k = 0
    for (let round = 0; round < 3; round++) {
      for (const n of sizes) {
        const dest = k++ % 2 === 0 ? 'pid' : 'name'
        const b = randomBytes(n)
        send(to[dest], [p.self, [dest, sent[dest].length, b]])
        sent[dest].push(b)
        // A small message right behind it, to the other destination.
        const other = dest === 'pid' ? 'name' : 'pid'
        const s = randomBytes(3)
        send(to[other], [p.self, [other, sent[other].length, s]])
        sent[other].push(s)
      }
    }
    const got = { pid: 0, name: 0 }
    const total = sent.pid.length + sent.name.length
    for (let i = 0; i < total; i++) {
      const [dest, j, b] = (await next(p, undefined, 20_000)) as ['pid' | 'name', number, Uint8Array]
      t.is(j, got[dest], `${dest}: message ${j} came back in order`)
      t.true(Buffer.from(b).equals(sent[dest][j] as Buffer), `${dest}: message ${j} (${b.length} bytes) is intact`)
      got[dest] = j + 1
    }
    t.deepEqual(got, { pid: sent.pid.length, name: sent.name.length })
  }, 60_000)
})

test('a remote link carries the exit reason both ways; unlink removes it', async (t) => {
  await run(async (p) => {
    p.trapExit(true)
    const s = await p.spawnLink(spec('sleeper'), { node: A })
    exit(s, 'custom')
    t.deepEqual((await next(p, isExitFrom(s))) as unknown[], ['EXIT', s, 'custom'])
    // This side dying reaches a trapping remote process as EXIT.
    const trap = await spawn(spec('trapper', p.self), { node: A })
    await next(p, tagged('trapping'))
    const doomed = spawn(async (q) => {
      q.link(trap)
      await q.receive()
    })
    await new Promise((r) => setTimeout(r, 50))
    exit(doomed, 'boom')
    const got = (await next(p, tagged('got'))) as [string, unknown[]]
    t.is(got[1][0], 'EXIT')
    t.true((got[1][1] as Pid).equals(doomed))
    t.is(got[1][2], 'boom')
    // After unlink, the remote exit is not seen.
    const s2 = await spawn(spec('sleeper'), { node: A })
    p.link(s2)
    p.unlink(s2)
    exit(s2, 'kill')
    t.is(await next(p, isExitFrom(s2), 300), TIMEOUT)
  })
})

test('remote monitor: DOWN with the reason, once; demonitor stops it; a dead pid gives noproc', async (t) => {
  await run(async (p) => {
    const s = await spawn(spec('sleeper'), { node: A })
    const ref = p.monitor(s)
    t.true(ref instanceof Ref)
    exit(s, 'kill')
    const down = (await next(p, isDown(ref))) as unknown[]
    t.is(down[3], 'killed')
    t.true((down[2] as Pid).equals(s))
    t.is(p.mailboxSize, 0)
    // A monitor on the now-dead pid: noproc.
    const again = p.monitor(s)
    t.is(((await next(p, isDown(again))) as unknown[])[3], 'noproc')
    // Demonitored: no DOWN.
    const s2 = await spawn(spec('sleeper'), { node: A })
    const r2 = p.monitor(s2)
    t.true(p.demonitor(r2))
    const ref3 = p.monitor(s2)
    exit(s2, 'kill')
    t.is(((await next(p, isDown(ref3))) as unknown[])[3], 'killed')
    await new Promise((r) => setTimeout(r, 50))
    t.is(p.mailboxSize, 0, 'no DOWN for the demonitored ref')
    // A crash reason (an Error) travels as an Error.
    const c = await spawn(spec('sleeper'), { node: A })
    const r4 = p.monitor(c)
    exit(c, new RangeError('out of range'))
    const e = ((await next(p, isDown(r4))) as unknown[])[3] as Error
    t.is(e.name, 'RangeError')
    t.is(e.message, 'out of range')
  })
})

test("exit(pid, 'kill') kills a remote trapping process; its links see 'killed'", async (t) => {
  await run(async (p) => {
    p.trapExit(true)
    const trap = await spawn(spec('trapper', p.self), { node: A })
    await next(p, tagged('trapping'))
    p.link(trap)
    exit(trap, 'not-kill')
    const got = (await next(p, tagged('got'))) as [string, unknown[]]
    t.deepEqual(got[1].slice(0, 1), ['EXIT'])
    t.is(got[1][2], 'not-kill', 'a trapping remote process gets exit() as a message')
    exit(trap, 'kill')
    t.deepEqual(((await next(p, isExitFrom(trap))) as unknown[])[2], 'killed')
  })
})

test('linking to a dead remote pid gives noproc', async (t) => {
  await run(async (p) => {
    p.trapExit(true)
    const s = await spawn(spec('sleeper'), { node: A })
    const ref = p.monitor(s)
    exit(s, 'kill')
    await next(p, isDown(ref))
    p.link(s)
    t.is(((await next(p, isExitFrom(s))) as unknown[])[2], 'noproc')
  })
})

test('calls: a dying target rejects with NoProcError, silence with TimeoutError, a missing name at once', async (t) => {
  const s = await spawn(spec('sleeper'), { node: A })
  const dying = call(s, 'hello', { timeout: 10_000 })
  setTimeout(() => exit(s, 'kill'), 50)
  const e1 = await t.throwsAsync(dying, { instanceOf: NoProcError })
  t.regex(e1?.message ?? '', /killed/)
  const s2 = await spawn(spec('sleeper'), { node: A })
  await t.throwsAsync(call(s2, 'hello', { timeout: SHORT }), { instanceOf: TimeoutError })
  exit(s2, 'kill')
  const start = Date.now()
  const e3 = await t.throwsAsync(call(remoteService(A, { name: 'NOBODY' }), 'x', { timeout: 10_000 }), {
    instanceOf: NoProcError,
  })
  t.is(e3?.message, `no service 'NOBODY' is registered on ${A}`)
  t.true(Date.now() - start < 9_000, 'rejected by the DOWN, not the timeout')
})

test('a non-portable message to a remote pid throws NotPortableError naming the path', async (t) => {
  const s = await spawn(spec('sleeper'), { node: A })
  const e = t.throws(() => send(s, { ok: 1, f: () => 1 }), { instanceOf: NotPortableError })
  t.regex(e?.message ?? '', /msg\.f/)
  t.throws(() => send(s, undefined), { instanceOf: TypeError })
  exit(s, 'kill')
})

test('remote spawn of a missing export: the process dies with a clear reason', async (t) => {
  await run(async (p) => {
    // Linked at spawn, so the reason arrives even though it dies at once.
    p.trapExit(true)
    const pid = await p.spawnLink(spec('nope'), { node: A })
    const reason = ((await next(p, isExitFrom(pid))) as unknown[])[2]
    t.true(reason instanceof Error, `reason was ${String(reason)}`)
    t.regex((reason as Error).message, /no exported function 'nope'/)
  })
})

test('spawn with { node } needs a spec, not a closure', async (t) => {
  await t.throwsAsync(spawn((() => {}) as never, { node: A }), { instanceOf: TypeError, message: /cannot travel/ })
})

test('a message over the link limit is refused at the send with a RangeError', async (t) => {
  const s = await spawn(spec('sleeper'), { node: A })
  const huge = new Uint8Array(65 << 20)
  t.throws(() => send(s, huge), { instanceOf: RangeError, message: /over the .* bytes a node link carries/ })
  await t.throwsAsync(call(s, huge), { instanceOf: RangeError })
  exit(s, 'kill')
})

test('a getter that sends to another node while its message is being encoded: every message arrives whole', async (t) => {
  await run(async (p) => {
    const echo = await spawn(spec('echo'), { node: A })
    // The outer message is being written into the thread's byte block when the getter sends; the inner send
    // reuses the block, so the outer one is encoded again (src/kernel/writer.ts), and the getter runs again.
    let reads = 0
    const outer = {
      get inner() {
        reads++
        send(echo, [p.self, ['inner', 'x'.repeat(50)]])
        return 'y'.repeat(50)
      },
      n: 7,
    }
    send(echo, [p.self, outer])
    t.deepEqual(await next(p, (m) => !Array.isArray(m)), { inner: 'y'.repeat(50), n: 7 })
    for (let i = 0; i < reads; i++) t.deepEqual(await next(p, tagged('inner')), ['inner', 'x'.repeat(50)])
    // A call by name with such a request: its request, its monitor's name and its own name share the block.
    const asks = {
      get q() {
        send(echo, [p.self, 'from-getter'])
        return 'q'
      },
    }
    t.deepEqual(await call(remoteService(A, { name: 'ECHO' }), asks), { q: 'q' })
    t.is(await next(p, (m) => m === 'from-getter'), 'from-getter')
  })
})
