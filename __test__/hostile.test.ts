// Slow and hostile peers against real node processes (issue 9, part 5):
// raw TCP clients that say nothing, trickle a byte a second, or open
// thousands of connections, and an authenticated peer that reads nothing
// while this node floods it. In each case the node under attack keeps
// answering calls from and to its healthy peers and its local calls; the
// time they take is logged, never asserted.
import { execSync } from 'node:child_process'
import { createConnection, type Socket } from 'node:net'
import test, { type ExecutionContext } from 'ava'
import { call, type Pid, registerServer, remoteService, send, spawn, TIMEOUT } from '../index.ts'
import { alive } from './guard.ts'
import { isDown, next, run } from './helpers.ts'
import { newCookie, type Peer, SERVICES, startPeer, thisNode } from './nodes.ts'

const cookie = newCookie()
const BOUND = 4 << 20
let me: Awaited<ReturnType<typeof thisNode>>
let victim: Peer
let healthy: Peer

const ctl = (node: string, ...cmd: unknown[]) => call(remoteService(node, { name: 'CTL' }), cmd, { timeout: 20_000 })

test.before(async () => {
  me = await thisNode('h@127.0.0.1', cookie, { maxQueuedBytes: BOUND, idleMs: 30_000 })
  ;[victim, healthy] = await Promise.all([startPeer('hv@127.0.0.1', cookie), startPeer('hg@127.0.0.1', cookie)])
  registerServer(victim.name, victim.addr)
  registerServer(healthy.name, healthy.addr)
  await ctl(victim.name, 'registerServer', healthy.name, healthy.addr)
  await ctl(victim.name, 'alias', 'HG', healthy.name, 'ECHO')
})

test.after.always(async () => {
  await Promise.all([victim?.kill(), healthy?.kill()])
})

/** The victim answers a call from here, a call of its own to a healthy
 * peer, and a local call; logs how long each took. */
async function responsive(t: ExecutionContext, label: string): Promise<void> {
  alive(t, victim.guarded, label)
  const t0 = performance.now()
  t.is(await call(remoteService(victim.name, { name: 'ECHO' }), label, { timeout: 20_000 }), label)
  const t1 = performance.now()
  t.is(await ctl(victim.name, 'call', 'HG', label, 20_000), label)
  const t2 = performance.now()
  t.is(await ctl(victim.name, 'call', 'ECHO', label, 20_000), label)
  const t3 = performance.now()
  t.log(
    `${label}: call in ${(t1 - t0).toFixed(1)} ms, its call out ${(t2 - t1).toFixed(1)} ms, its local call ${(t3 - t2).toFixed(1)} ms`,
  )
}

function open(addr: string): Promise<Socket> {
  const [host, port] = addr.split(':')
  return new Promise((resolve, reject) => {
    const s = createConnection({ host, port: Number(port) }, () => resolve(s))
    s.once('error', reject)
  })
}

/** Resolves when the node closes `s` (the test's timeout bounds the wait). */
function closedByPeer(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed || s.readableEnded) return resolve()
    s.on('error', () => {})
    s.once('close', () => resolve())
    // Read what the node says (its first handshake message) so 'end' comes.
    s.resume()
  })
}

test.serial('clients that say nothing or trickle a byte a second are closed; the node answers meanwhile', async (t) => {
  const silent = await Promise.all(Array.from({ length: 50 }, () => open(victim.addr)))
  const trickle = await Promise.all(Array.from({ length: 20 }, () => open(victim.addr)))
  const drip = setInterval(() => {
    for (const s of trickle) if (!s.destroyed) s.write(Buffer.of(0))
  }, 1000)
  try {
    await responsive(t, 'with 50 silent and 20 trickling clients')
    // The handshake deadline (5 s) closes every one of them.
    await Promise.all([...silent, ...trickle].map(closedByPeer))
    t.pass('all 70 were closed by the node')
    await responsive(t, 'after they were closed')
  } finally {
    clearInterval(drip)
    for (const s of [...silent, ...trickle]) s.destroy()
  }
})

test.serial('2,000 connections at once: the excess is refused and the node keeps answering', async (t) => {
  // This process holds every socket: stay inside its descriptor limit.
  const fds = Number(execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim()) || 1024
  const total = Math.min(2000, fds - 300)
  t.log(`opening ${total} connections (descriptor limit ${fds})`)
  const socks: Socket[] = []
  let failed = 0
  for (let i = 0; i < total; i += 200) {
    const batch = await Promise.allSettled(Array.from({ length: Math.min(200, total - i) }, () => open(victim.addr)))
    for (const r of batch) r.status === 'fulfilled' ? socks.push(r.value) : failed++
  }
  t.log(`${socks.length} connected, ${failed} refused by the kernel`)
  t.true(socks.length >= total / 2, 'most connections were made')
  try {
    await responsive(t, `with ${socks.length} connections open`)
    await Promise.all(socks.map(closedByPeer))
    t.pass('every connection was closed by the node (at once past 256 pending, else at the deadline)')
    await responsive(t, 'after the flood')
  } finally {
    for (const s of socks) s.destroy()
  }
})

test.serial(
  "a peer that reads nothing loses its link at the write bound ('noconnection'); memory stays bounded",
  async (t) => {
    const deaf = await startPeer('hd@127.0.0.1', cookie)
    registerServer(deaf.name, deaf.addr)
    try {
      await run(async (p) => {
        const target = (await spawn({ module: SERVICES, fn: 'sleeper', args: [] }, { node: deaf.name })) as Pid
        const ref = p.monitor(target)
        const echo = spawn({ module: SERVICES, fn: 'echo', args: [] })
        deaf.proc.kill('SIGSTOP')
        const chunk = new Uint8Array(64 << 10).fill(7)
        const rss0 = process.memoryUsage().rss
        let sent = 0
        let down: unknown = null
        // Flood until the link is lost; 1 GiB would mean there is no bound.
        while (down === null && sent < 1 << 30) {
          for (let i = 0; i < 16; i++) send(target, chunk)
          sent += 16 * chunk.length
          const m = await p.receive(isDown(ref), { timeout: 0 })
          if (m !== TIMEOUT) down = m
          if (sent % (1 << 20) === 0) await new Promise((r) => setTimeout(r, 1))
          if (sent === BOUND / 2) {
            // Mid-flood: this node still calls its healthy peer and itself.
            const t0 = performance.now()
            t.is(await call(remoteService(healthy.name, { name: 'ECHO' }), 'mid', { timeout: 20_000 }), 'mid')
            t.is(await call(echo, 'local', { timeout: 20_000 }), 'local')
            t.log(`mid-flood: a call out and a local call in ${(performance.now() - t0).toFixed(1)} ms`)
          }
        }
        const rss1 = process.memoryUsage().rss
        t.log(`sent ${sent >> 20} MiB before the link was lost; RSS +${((rss1 - rss0) / 2 ** 20).toFixed(1)} MiB`)
        t.truthy(down, 'the link was lost before 1 GiB was sent')
        t.true(Array.isArray(down))
        t.is((down as unknown[])[3], 'noconnection')
        t.regex(me.peers().find((x) => x.name === deaf.name)?.error ?? '', /peer not reading/)
        await responsive(t, 'after the deaf peer was cut off')
        t.is(await next(p, isDown(ref), 300), TIMEOUT, "'noconnection' fired once")
      }, 90_000)
    } finally {
      deaf.proc.kill('SIGCONT')
      await deaf.kill()
    }
  },
)
