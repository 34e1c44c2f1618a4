// Distribution under faults (API.md, Names and nodes; issue 5): SIGKILLed
// peers, reconnects, wrong cookies, allow-lists, names through a third
// node, a blocked event loop. Every peer is its own OS process.
import test from 'ava'
import {
  call,
  exit,
  loadCode,
  NoProcError,
  type Pid,
  RefusedError,
  registerServer,
  registerService,
  remoteService,
  spawn,
  TIMEOUT,
  upgrade,
} from '../index.ts'
import { eventually, isDown, isExitFrom, next, run } from './helpers.ts'
import { newCookie, SERVICES, startPeer, thisNode } from './nodes.ts'

const cookie = newCookie()
const ME = 'fz@127.0.0.1'
let me: Awaited<ReturnType<typeof thisNode>>

test.before(async () => {
  me = await thisNode(ME, cookie, { idleMs: 2000, heartbeatMs: 250 })
})

const spec = (fn: string, ...args: unknown[]) => ({ module: SERVICES, fn, args })
const ctl = (node: string, ...cmd: unknown[]) => call(remoteService(node, { name: 'CTL' }), cmd, { timeout: 10_000 })

test.serial(
  "a SIGKILLed peer fires its links and monitors with 'noconnection' once; again after a reconnect",
  async (t) => {
    const name = 'fk@127.0.0.1'
    let peer = await startPeer(name, cookie)
    const port = Number(peer.addr.split(':')[1])
    registerServer(name, peer.addr)
    await run(async (p) => {
      p.trapExit(true)
      for (let round = 1; round <= 2; round++) {
        const s = await spawn(spec('sleeper'), { node: name })
        p.link(s)
        const ref = p.monitor(s)
        const nodedown = new Promise((r) => me.once('nodedown', r))
        await peer.kill('SIGKILL')
        const exitMsg = (await next(p, isExitFrom(s))) as unknown[]
        t.is(exitMsg[2], 'noconnection', `round ${round}: the link fired`)
        t.is(((await next(p, isDown(ref))) as unknown[])[3], 'noconnection', `round ${round}: the monitor fired`)
        t.is(await nodedown, name)
        t.is(await next(p, undefined, 300), TIMEOUT, `round ${round}: each fired exactly once`)
        if (round === 1) peer = await startPeer(name, cookie, { port })
      }
    }, 60_000)
    // A call to the dead node fails clearly at once.
    const e = await t.throwsAsync(call(remoteService(name, { name: 'ECHO' }), 'x'), { instanceOf: NoProcError })
    t.regex(e?.message ?? '', /unreachable/)
  },
)

test.serial('a wrong-cookie node gets no answer and the caller a clear error', async (t) => {
  const name = 'fw@127.0.0.1'
  const peer = await startPeer(name, newCookie())
  registerServer(name, peer.addr)
  const e = await t.throwsAsync(call(remoteService(name, { name: 'ECHO' }), 'hello'), { instanceOf: NoProcError })
  t.regex(e?.message ?? '', /handshake .* failed .*wrong cookie/)
  // 'down' once every attempt failed (a send racing the first failure may start a second one).
  t.true(await eventually(() => me.peers().find((x) => x.name === name)?.state === 'down'))
  // The peer never saw this node come up.
  const rightCookie = 'fr@127.0.0.1'
  const other = await startPeer(rightCookie, cookie)
  registerServer(rightCookie, other.addr)
  t.deepEqual(await call(remoteService(rightCookie, { name: 'ECHO' }), 'ok'), 'ok')
  await Promise.all([peer.kill(), other.kill()])
})

test.serial('the allow-list refuses spawn, link and exit with a clear error, and the peer logs it', async (t) => {
  const name = 'fa@127.0.0.1'
  const peer = await startPeer(name, cookie, { allow: { [ME]: [], '*': ['spawn', 'exit', 'link'] } })
  registerServer(name, peer.addr)
  const e = await t.throwsAsync(spawn(spec('sleeper'), { node: name }), { instanceOf: RefusedError })
  t.regex(e?.message ?? '', /does not allow 'spawn' requests from 'fz@127\.0\.0\.1'/)
  const echo = (await ctl(name, 'whereis', 'ECHO')) as Pid
  await run(async (p) => {
    p.trapExit(true)
    p.link(echo)
    t.is(((await next(p, isExitFrom(echo))) as unknown[])[2], 'not_allowed')
    const refused = new Promise((r) => me.once('refused', r))
    exit(echo, 'kill')
    await refused
  })
  t.is(await call(echo, 'still alive'), 'still alive', 'the refused exit did not kill it')
  const log = (await ctl(name, 'log')) as string[]
  for (const what of ['spawn', 'link', 'exit'])
    t.true(
      log.some((l) => l.startsWith('refused') && l.includes(`'${what}'`)),
      `the peer logged the refused ${what}: ${log}`,
    )
  await peer.kill()
})

test.serial("three nodes: this node calls C's service through a name registered on B", async (t) => {
  const [b, c] = await Promise.all([startPeer('f3b@127.0.0.1', cookie), startPeer('f3c@127.0.0.1', cookie)])
  registerServer(b.name, b.addr)
  t.is(await ctl(b.name, 'registerServer', c.name, c.addr), 'ok')
  t.is(await ctl(b.name, 'alias', 'VIA', c.name, 'ECHO'), 'ok')
  registerService('THROUGH-B', remoteService(b.name, { name: 'VIA' }))
  t.is(await call('THROUGH-B', 'Hello', { timeout: 10_000 }), 'Hello')
  // C answered this node directly, having learned its address from B.
  t.is(me.peers().find((x) => x.name === c.name)?.state, 'up')
  await Promise.all([b.kill(), c.kill()])
})

test.serial(
  'a call through an alias whose node is down fails at once with NoProcError, as a direct call does',
  async (t) => {
    // Issue 16, item 4: B stands ACOUNTER for COUNTER of node A, which is not running (its port is
    // closed), or is SIGKILLed after a first call. The timeout is long: failing with NoProcError
    // rather than TimeoutError is what shows the call did not wait for it.
    const [b, a] = await Promise.all([startPeer('fab@127.0.0.1', cookie), startPeer('faa@127.0.0.1', cookie)])
    registerServer(b.name, b.addr)
    t.is(await ctl(b.name, 'registerServer', a.name, a.addr), 'ok')
    t.is(await ctl(b.name, 'alias', 'AECHO', a.name, 'ECHO'), 'ok')
    t.is(await ctl(b.name, 'alias', 'NOWHERE', 'nobody@127.0.0.1', 'ECHO'), 'ok')
    const viaB = remoteService(b.name, { name: 'AECHO' })
    t.is(await call(viaB, 'up', { timeout: 30_000 }), 'up', 'through B while A runs')
    await a.kill()
    for (const dest of [viaB, remoteService(b.name, { name: 'NOWHERE' })]) {
      const e = await t.throwsAsync(call(dest, 1, { timeout: 30_000 }), { instanceOf: NoProcError })
      t.regex(
        e?.message ?? '',
        new RegExp(
          `^node '(faa|nobody)@127\\.0\\.0\\.1' is unreachable from ${b.name}, where ${dest.name} stands for its service; the call to ${dest.name}@${b.name} got no answer$`,
        ),
      )
    }
    // Directly, for comparison: the same error class, from this node's own link.
    registerServer(a.name, a.addr)
    await t.throwsAsync(call(remoteService(a.name, { name: 'ECHO' }), 1, { timeout: 30_000 }), {
      instanceOf: NoProcError,
      message: /unreachable/,
    })
    await b.kill()
  },
)

test.serial(
  'a peer whose event loop is blocked for 3 s keeps its link (heartbeats run on native threads)',
  async (t) => {
    const name = 'fb@127.0.0.1'
    const peer = await startPeer(name, cookie, { idleMs: 2000, heartbeatMs: 250 })
    registerServer(name, peer.addr)
    t.is(await call(remoteService(name, { name: 'ECHO' }), 'before'), 'before')
    const downs: string[] = []
    const onDown = (n: string) => downs.push(n)
    me.on('nodedown', onDown)
    t.is(await ctl(name, 'block', 3000), 'unblocked')
    t.is(await call(remoteService(name, { name: 'ECHO' }), 'after'), 'after')
    me.off('nodedown', onDown)
    t.deepEqual(downs, [], 'no link was lost while the peer was blocked')
    t.true(await eventually(() => me.peers().find((x) => x.name === name)?.state === 'up'))
    await peer.kill()
  },
)

test.serial(
  "loadCode ships a module to a peer; upgrade switches the peer's server to it, keeping its state",
  async (t) => {
    const name = 'fc@127.0.0.1'
    const peer = await startPeer(name, cookie)
    registerServer(name, peer.addr)
    const counter = remoteService(name, { name: 'COUNTER' })
    t.deepEqual(await call(counter, 'x'), ['v1', 1])
    const source = 'export const v2 = { handle: (_req, n) => ({ answer: ["v2", n + 1], state: n + 1 }) }'
    const info = await loadCode(name, { name: 'counter', source })
    t.is(info.version, 1)
    t.deepEqual(info.exports, ['v2'])
    t.regex(info.url, /^file:.*counter/)
    await upgrade(counter, { module: info.url, export: 'v2' })
    t.deepEqual(await call(counter, 'x'), ['v2', 2], 'new code, old state')
    t.is((await loadCode(name, { name: 'counter', source })).version, 2, 'a second load is a new version')
    const bad = await t.throwsAsync(loadCode(name, { name: 'broken', source: 'export const = 1' }))
    t.regex(bad?.message ?? '', /Unexpected|Syntax/)
    t.deepEqual(await call(counter, 'x'), ['v2', 3], 'a failed load changes nothing')
    await peer.kill()
  },
)

test.serial("loadCode is refused when the peer's allow-list lacks 'code'", async (t) => {
  const name = 'fd@127.0.0.1'
  const peer = await startPeer(name, cookie, { allow: { [ME]: ['spawn'] } })
  registerServer(name, peer.addr)
  const e = await t.throwsAsync(loadCode(name, { name: 'm', source: 'export const x = 1' }), {
    instanceOf: RefusedError,
  })
  t.regex(e?.message ?? '', /does not allow 'code'/)
  t.true(((await ctl(name, 'log')) as string[]).some((l) => l.includes("refused 'code'")))
  await peer.kill()
})
