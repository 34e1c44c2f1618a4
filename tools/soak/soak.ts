// `npm run soak`: BFLY_SOAK_MESSAGES (default 10 million) numbered messages
// from this node to a process on a second node (its own OS process, on
// 127.0.0.1), flow-controlled by acks (at most WINDOW in flight), while
// SL1 rotates keys (every 2^20 frames by count, every 120 s by time; small
// messages travel in batch frames of up to 4096, so a default run is far
// from 2^20 frames and, at ~1 M msgs/s, shorter than 120 s: rotation is
// checked when the run lasts long enough for one by time, and rotation by
// count by crates/net's tests).
// Samples RSS and heap of both processes each second, and checks after a
// warm-up (the first 20% of messages) that each stays within BOUND of its
// first post-warm-up sample, that nothing was lost, duplicated or
// reordered, and that the sending key epoch advanced as SL1 requires.
// Prints a summary as JSON; exits 1 when a check fails.
import { fileURLToPath } from 'node:url'
import { run } from '../../__test__/helpers.ts'
import { newCookie, startPeer } from '../../__test__/nodes.ts'
import { call, type Pid, registerServer, remoteService, send, spawn, startNode, TIMEOUT } from '../../index.ts'

const TOTAL = Number(process.env.BFLY_SOAK_MESSAGES ?? 10_000_000)
const WINDOW = 100_000
const EVERY = 10_000
const BOUND = { rss: 96 * 2 ** 20, heap: 48 * 2 ** 20 }
const ROTATE_SECONDS = 120
const SINK = fileURLToPath(new URL('./sink.ts', import.meta.url))

interface Sample {
  t: number
  sent: number
  rssA: number
  heapA: number
  rssB: number
  heapB: number
  epochAB: number
  epochBA: number
}

const cookie = newCookie()
const me = (await startNode({ name: 'soak-a@127.0.0.1', listen: '127.0.0.1:0', cookie, quiet: true })).unref()
// The peer lets this node spawn the sink (peers spawn only the modules a node lists).
const peer = await startPeer('soak-b@127.0.0.1', cookie, { modules: [SINK] })
registerServer(peer.name, peer.addr)
const ctl = (...cmd: unknown[]) => call(remoteService(peer.name, { name: 'CTL' }), cmd, { timeout: 30_000 })
const gc = (globalThis as { gc?: () => void }).gc

const samples: Sample[] = []
let sent = 0
let acked = 0
let bad = 0
const t0 = performance.now()

async function sample(): Promise<void> {
  gc?.()
  const m = process.memoryUsage()
  const b = (await ctl('memory')) as { rss: number; heapUsed: number }
  const theirs = (await ctl('peers')) as { name: string; epoch: number }[]
  samples.push({
    t: Math.round(performance.now() - t0),
    sent,
    rssA: m.rss,
    heapA: m.heapUsed,
    rssB: b.rss,
    heapB: b.heapUsed,
    epochAB: me.peers().find((x) => x.name === peer.name)?.epoch ?? -1,
    epochBA: theirs.find((x) => x.name === me.name)?.epoch ?? -1,
  })
  const s = samples[samples.length - 1]
  if (samples.length % 10 === 1)
    process.stderr.write(
      `soak: ${s.sent} sent at ${s.t} ms, RSS ${(s.rssA / 2 ** 20).toFixed(0)}/${(s.rssB / 2 ** 20).toFixed(0)} MiB, epochs ${s.epochAB}/${s.epochBA}\n`,
    )
}

await run(async (p) => {
  const target = (await spawn({ module: SINK, fn: 'sink', args: [p.self, EVERY] }, { node: peer.name })) as Pid
  let nextSample = 0
  while (acked < TOTAL) {
    while (sent < TOTAL && sent - acked < WINDOW) {
      const end = Math.min(TOTAL, sent + EVERY)
      for (; sent < end; sent++) send(target, sent)
    }
    const m = await p.receive(undefined, { timeout: 30_000 })
    if (m === TIMEOUT) throw new Error(`no ack for 30 s at ${acked} of ${TOTAL}`)
    const [, n, b] = m as [string, number, number]
    acked = n
    bad = b
    if (performance.now() - t0 >= nextSample) {
      await sample()
      nextSample = performance.now() - t0 + 1000
    }
  }
  await sample()
}, 24 * 3600_000)

const secs = (performance.now() - t0) / 1000
const warm = samples.filter((s) => s.sent >= TOTAL * 0.2)
const base = warm[0] ?? samples[0]
const growth = (k: keyof Sample) => Math.max(...warm.map((s) => s[k])) - base[k]
const last = samples[samples.length - 1]
const MiB = (n: number) => Math.round((n / 2 ** 20) * 10) / 10
const checks = {
  allDelivered: acked === TOTAL,
  inOrderNoLossNoDup: bad === 0,
  rssFlatA: growth('rssA') <= BOUND.rss,
  rssFlatB: growth('rssB') <= BOUND.rss,
  heapFlatA: growth('heapA') <= BOUND.heap,
  heapFlatB: growth('heapB') <= BOUND.heap,
  // SL1 rotates at least every ROTATE_SECONDS; null (not judged) for a shorter run (see the header).
  epochsAdvanced: secs < ROTATE_SECONDS + 5 ? null : last.epochAB >= Math.floor(secs / ROTATE_SECONDS),
}
const every = Math.max(1, Math.floor(samples.length / 12))
console.log(
  JSON.stringify(
    {
      messages: TOTAL,
      seconds: Math.round(secs * 10) / 10,
      perSecond: Math.round(TOTAL / secs),
      bound: { rssMiB: MiB(BOUND.rss), heapMiB: MiB(BOUND.heap), after: '20% of messages' },
      growthAfterWarmupMiB: {
        rssA: MiB(growth('rssA')),
        heapA: MiB(growth('heapA')),
        rssB: MiB(growth('rssB')),
        heapB: MiB(growth('heapB')),
      },
      epochs: { aToB: last.epochAB, bToA: last.epochBA },
      samples: samples
        .filter((_, i) => i % every === 0 || i === samples.length - 1)
        .map((s) => ({
          t: s.t,
          sent: s.sent,
          rssA: MiB(s.rssA),
          heapA: MiB(s.heapA),
          rssB: MiB(s.rssB),
          heapB: MiB(s.heapB),
          epochAB: s.epochAB,
          epochBA: s.epochBA,
        })),
      checks,
    },
    null,
    1,
  ),
)
await peer.kill()
me.stop()
process.exit(Object.values(checks).every((ok) => ok !== false) ? 0 : 1)
