// `npm run chaos [-- --seconds 60] [--faults N]`: a cluster of 4 nodes (this one and three
// node processes on 127.0.0.1, the third reached through a TCP proxy this
// script controls) under steady traffic and injected faults: SIGKILL and
// restart, SIGSTOP past the idle limit, a cut link, a blackholed link.
//
// A supervisor here keeps one 'SINK' service on each peer (children started
// there with spawnLink, so the supervision tree spans the nodes); a sender
// per peer streams [self, epoch, seq] to it, starting a new epoch whenever
// its monitor fires. Checked: each fault fires the sender's monitor on that
// node exactly once with 'noconnection' (or the sink's exit); the supervisor
// restores every SINK; no sink saw a skipped or repeated seq within an
// epoch (on a link that stayed up nothing is lost, duplicated or
// reordered); no processes are left over; memory does not keep growing.
// Prints a summary as JSON and exits non-zero if a check failed.
import net from 'node:net'
import { parseArgs } from 'node:util'
import { newCookie, type Peer, SERVICES, startPeer, thisNode } from '../__test__/nodes.ts'
import {
  exit,
  type Pid,
  type Process,
  processCount,
  registerServer,
  remoteService,
  spawn,
  supervisor,
  TIMEOUT,
} from '../index.ts'

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '60' }, faults: { type: 'string', default: '1000000' } },
})
const SECONDS = Number(values.seconds)
const MAX_FAULTS = Number(values.faults)
const IDLE = 2000
const opts = { idleMs: IDLE, heartbeatMs: 250 }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A TCP proxy that can cut its connections or stop forwarding (blackhole). */
class TcpProxy {
  readonly pairs = new Set<[net.Socket, net.Socket]>()
  holed = false
  private server: net.Server
  constructor(readonly target: number) {
    this.server = net.createServer((a) => {
      const b = net.connect(target, '127.0.0.1')
      const pair: [net.Socket, net.Socket] = [a, b]
      this.pairs.add(pair)
      for (const [x, y] of [
        [a, b],
        [b, a],
      ]) {
        x.on('data', (d) => {
          if (!this.holed) y.write(d)
        })
        x.on('error', () => {})
        x.on('close', () => {
          y.destroy()
          this.pairs.delete(pair)
        })
      }
    })
  }
  listen(): Promise<number> {
    return new Promise((r) =>
      this.server.listen(0, '127.0.0.1', () => r((this.server.address() as net.AddressInfo).port)),
    )
  }
  cut(): void {
    for (const [a, b] of this.pairs) {
      a.destroy()
      b.destroy()
    }
  }
  close(): void {
    this.cut()
    this.server.close()
  }
}

const cookie = newCookie()
const me = await thisNode('chaos@127.0.0.1', cookie, opts)
const names = ['c1@127.0.0.1', 'c2@127.0.0.1', 'c3@127.0.0.1']
// Peers keep to the links this node makes (no mesh): c3 is reached through
// the proxy the faults act on, and with the mesh it would dial this node
// directly, having heard of it from c1 or c2.
const peerOpts = { ...opts, connectAll: false }
const peers: Peer[] = await Promise.all(names.map((n) => startPeer(n, cookie, peerOpts)))
const ports = peers.map((p) => Number(p.addr.split(':')[1]))
const proxy = new TcpProxy(ports[2])
const proxyPort = await proxy.listen()
registerServer(names[0], peers[0].addr)
registerServer(names[1], peers[1].addr)
registerServer(names[2], `127.0.0.1:${proxyPort}`)

/** A supervisor child is started synchronously, so the SINK on `node` is
 * started by a local bridge process linked to it (the child the supervisor
 * sees): the sink's death ends the bridge, the bridge's end ends the sink.
 * The bridge waits while the node is down. */
function startSink(sup: Process, node: string): Pid {
  return sup.spawnLink(async (bridge) => {
    for (;;) {
      try {
        await bridge.spawnLink({ module: SERVICES, fn: 'seqSink', args: ['SINK'] }, { node })
        break
      } catch {
        await sleep(200)
      }
    }
    await bridge.receive(() => false)
  })
}

const baseline = processCount()
const sup = supervisor({
  strategy: 'one_for_one',
  intensity: 1000,
  period: 1000,
  children: names.map((n) => ({ id: n, restart: 'permanent' as const, start: (s: Process) => startSink(s, n) })),
})

interface Track {
  sent: number
  epochs: number
  /** Fault number -> the reasons of the DOWNs seen meanwhile. */
  downs: Map<number, unknown[]>
  /** DOWNs of a monitor that had already fired (must stay 0). */
  repeated: number
  stats: { received: number; gaps: number; dups: number; epochs: number }[]
}
const tracks = new Map<string, Track>(
  names.map((n) => [n, { sent: 0, epochs: 0, downs: new Map(), repeated: 0, stats: [] }]),
)
let fault = 0
let running = true
const senders: Promise<void>[] = []

/** Streams to the SINK of `node`; each DOWN of the current sink ends an epoch. */
function sender(node: string): void {
  const tr = tracks.get(node) as Track
  const fired: Pid[] = []
  const done = new Promise<void>((resolve) => {
    spawn(async (p) => {
      const sink = remoteService(node, { name: 'SINK' })
      const isDownOf = (refs: { equals(x: unknown): boolean }[]) => (m: unknown) =>
        Array.isArray(m) && m[0] === 'DOWN' && refs.some((r) => r.equals(m[1]))
      const old: { equals(x: unknown): boolean }[] = []
      while (running) {
        let pid: Pid | null
        try {
          pid = (await p.call(remoteService(node, { name: 'CTL' }), ['whereis', 'SINK'], {
            timeout: 1000,
          })) as Pid | null
        } catch {
          pid = null
        }
        if (pid === null) {
          await sleep(100)
          continue
        }
        const ref = p.monitor(pid)
        const epoch = ++tr.epochs
        let seq = 0
        while (running) {
          for (let i = 0; i < 50; i++) p.send(sink, [p.self, epoch, seq++])
          tr.sent += 50
          const down = await p.receive(isDownOf([ref]), { timeout: 5 })
          if (Array.isArray(down)) {
            const list = tr.downs.get(fault) ?? []
            list.push(down[3])
            tr.downs.set(fault, list)
            old.push(ref)
            fired.push(pid)
            break
          }
        }
        if (!running) p.demonitor(ref)
      }
      // A monitor fires once: nothing more may come for the ones that did.
      while ((await p.receive(isDownOf(old), { timeout: 0 })) !== TIMEOUT) tr.repeated++
      resolve()
    })
  })
  senders.push(done)
}
for (const n of names) sender(n)

const recoveries: { fault: string; node: string; ms: number }[] = []
const memory: number[] = []

/** Waits until the SINK of `node` answers again; returns how long it took. */
async function recovered(node: string, since: number): Promise<number> {
  for (;;) {
    try {
      await remoteCall(node)
      return Date.now() - since
    } catch {
      await sleep(100)
    }
  }
}

function remoteCall(node: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    spawn(async (p) => {
      try {
        resolve(await p.call(remoteService(node, { name: 'SINK' }), 'stats', { timeout: 1000 }))
      } catch (e) {
        reject(e)
      }
    })
  })
}

const faults: [string, number, () => Promise<void>][] = [
  [
    'SIGKILL + restart',
    0,
    async () => {
      await peers[0].kill('SIGKILL')
      await sleep(500)
      peers[0] = await startPeer(names[0], cookie, { ...peerOpts, port: ports[0] })
    },
  ],
  [
    'SIGSTOP past the idle limit',
    1,
    async () => {
      peers[1].proc.kill('SIGSTOP')
      await sleep(IDLE + 1500)
      peers[1].proc.kill('SIGCONT')
    },
  ],
  ['cut link', 2, async () => proxy.cut()],
  [
    'blackholed link',
    2,
    async () => {
      proxy.holed = true
      await sleep(IDLE + 1500)
      proxy.holed = false
      proxy.cut()
    },
  ],
]

const end = Date.now() + SECONDS * 1000
await sleep(1000)
for (const n of names) await recovered(n, Date.now())
while (Date.now() < end && fault < MAX_FAULTS) {
  const [what, i, inject] = faults[fault % faults.length]
  fault++
  // Every sink's counts so far (a killed sink takes its own with it).
  for (const n of names) (tracks.get(n) as Track).stats.push((await remoteCall(n)) as Track['stats'][number])
  const t0 = Date.now()
  await inject()
  recoveries.push({ fault: what, node: names[i], ms: await recovered(names[i], t0) })
  memory.push(process.memoryUsage().rss)
  await sleep(1000)
}
running = false
await Promise.all(senders)
for (const n of names) {
  const s = (await remoteCall(n)) as Track['stats'][number]
  ;(tracks.get(n) as Track).stats.push(s)
}

const problems: string[] = []
for (let f = 1; f <= fault; f++) {
  const [what, i] = faults[(f - 1) % faults.length]
  for (const [n, tr] of tracks) {
    const downs = tr.downs.get(f) ?? []
    if (n === names[i] && downs.length === 0) problems.push(`fault ${f} (${what} on ${n}): no monitor fired`)
    if (n !== names[i] && downs.length > 0) problems.push(`fault ${f} (${what} on ${names[i]}): ${n}'s link fired too`)
    for (const r of downs) if (r !== 'noconnection') problems.push(`fault ${f} on ${n}: DOWN reason ${String(r)}`)
  }
}
for (const [n, tr] of tracks) if (tr.repeated > 0) problems.push(`${n}: ${tr.repeated} monitors fired twice`)
for (const [n, tr] of tracks)
  for (const s of tr.stats) if (s.gaps + s.dups > 0) problems.push(`${n}: ${s.gaps} gaps, ${s.dups} repeats`)
const grew = memory.length > 4 && memory[memory.length - 1] > 2 * memory[1]
if (grew) problems.push(`RSS grew from ${memory[1]} to ${memory[memory.length - 1]}`)
exit(sup, 'shutdown')
await sleep(500)
const leftover = processCount() - baseline
if (leftover > 3) problems.push(`${leftover} processes left over here`)

console.log(
  JSON.stringify(
    {
      seconds: SECONDS,
      faults: fault,
      recoveries,
      senders: Object.fromEntries(
        [...tracks].map(([n, t]) => [
          n,
          { sent: t.sent, epochs: t.epochs, samples: t.stats.length, last_sink: t.stats.at(-1), repeated: t.repeated },
        ]),
      ),
      rss_mb: memory.map((m) => Math.round(m / 1e6)),
      problems,
    },
    null,
    2,
  ),
)
for (const p of peers) await p.kill('SIGKILL')
proxy.close()
me.stop()
process.exit(problems.length === 0 ? 0 : 1)
