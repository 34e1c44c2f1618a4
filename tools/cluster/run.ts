// `npm run cluster [-- --nodes 16]`: a cluster of real nodes on one
// machine, each a separate OS process in its own network namespace on a
// bridge (netns.ts), under real network faults, measured. Needs root
// (namespaces) and Debian's iproute2 and nftables. Every node is given the
// others' addresses as seeds (as a headless service's DNS name would list
// them) and joins the full mesh and the process group 'all'.
//
// Phases: the mesh forms; idle (connections, CPU, bytes on the wire per
// node); all-to-all throughput; then, under a steady stream of messages on
// every link: 2 % random packet loss, a node killed (SIGKILL), a node's
// link taken down at the bridge and brought back, and the rest split in
// two halves by nftables and healed. Messages lost on links that stayed up
// must be 0. Prints a summary; the last line reads
//   cluster: <n> nodes, <lost> lost, detect <ms> ms, heal <ms> ms
// (detect: the partition seen by every node; heal: process-group
// membership whole again on every node after the partition healed). Exits
// non-zero when a check fails. Every process and namespace it made is
// removed at the end, also on failure or a signal.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { hasNetem, Network, sweepStale } from './netns.ts'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '16' },
    'idle-ms': { type: 'string', default: '5000' },
    'flood-ms': { type: 'string', default: '3000' },
    json: { type: 'boolean', default: false },
  },
})
const N = Number(values.nodes)
const IDLE_WINDOW = Number(values['idle-ms'])
const FLOOD_MS = Number(values['flood-ms'])
/** Link settings of every node: a heartbeat after 1 s without traffic (the default), lost after 3 s of silence. */
const HEARTBEAT_MS = 1000
const IDLE_MS = 3000
const PORT = 4370
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const MEMBER = fileURLToPath(new URL('./member.ts', import.meta.url))

if (!Number.isInteger(N) || N < 4) throw new RangeError('--nodes: at least 4')
if (process.getuid?.() !== 0) {
  console.error('npm run cluster: network namespaces need root')
  process.exit(2)
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Event {
  event: 'nodeup' | 'nodedown'
  peer: string
  t: number
}

/** A node process in its namespace, driven over its stdin and stdout. */
class Member {
  readonly events: Event[] = []
  readonly ready: Promise<number>
  #next = 1
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  #stderr = ''
  readonly ended: Promise<void>
  constructor(
    readonly i: number,
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    this.ended = new Promise((r) => proc.once('exit', () => r()))
    proc.stderr?.on('data', (b: Buffer) => {
      this.#stderr = (this.#stderr + b.toString()).slice(-4000)
    })
    let ready: (t: number) => void = () => {}
    let failed: (e: Error) => void = () => {}
    this.ready = new Promise<number>((res, rej) => {
      ready = res
      failed = rej
    })
    proc.once('exit', (code) => {
      failed(new Error(`${name} exited (${code}) before it was ready: ${this.#stderr}`))
      for (const [, p] of this.#pending) p.reject(new Error(`${name} exited`))
      this.#pending.clear()
    })
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      let m: { ready?: string; t: number; id?: number; value?: unknown; error?: string } & Partial<Event>
      try {
        m = JSON.parse(line)
      } catch {
        return
      }
      if (m.ready !== undefined) ready(m.t)
      else if (m.event !== undefined) this.events.push(m as Event)
      else if (m.id !== undefined) {
        const p = this.#pending.get(m.id)
        this.#pending.delete(m.id)
        if (m.error !== undefined) p?.reject(new Error(`${name}: ${m.error}`))
        else p?.resolve(m.value)
      }
    })
  }

  ask<T>(cmd: string, args?: unknown): Promise<T> {
    const id = this.#next++
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.proc.stdin?.write(`${JSON.stringify({ id, cmd, args })}\n`)
    })
  }

  /** When this node last saw its link to `peer` lost, at or after `since`. */
  lostAt(peer: string, since: number): number | undefined {
    return this.events.find((e) => e.event === 'nodedown' && e.peer === peer && e.t >= since)?.t
  }
}

interface Status {
  sink: number
  up: string[]
  members: number
}

const net = new Network(N)
const members: Member[] = []
let cleaned = false
function cleanup(): void {
  if (cleaned) return
  cleaned = true
  for (const m of members) m.proc.kill('SIGKILL')
  net.destroy()
}
process.on('exit', cleanup)
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.on(sig, () => {
    cleanup()
    process.exit(130)
  })

/** Polls until `f` holds; the time it took, in ms, from `from`. Throws after `ms`. */
async function until(f: () => Promise<boolean>, what: string, from = Date.now(), ms = 60_000): Promise<number> {
  while (!(await f())) {
    if (Date.now() - from > ms) throw new Error(`gave up after ${ms} ms waiting for ${what}`)
    await sleep(25)
  }
  return Date.now() - from
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const stats = (xs: number[]) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) })
const fmt = (s: { median: number; min: number; max: number }, d = 0) =>
  `${s.median.toFixed(d)} (min ${s.min.toFixed(d)}, max ${s.max.toFixed(d)})`

/** Messages each of `nodes` sent to each other and how many arrived, over the ordered pairs `keep` takes. */
async function tally(
  nodes: Member[],
  keep: (from: Member, to: Member) => boolean,
): Promise<{ pairs: number; sent: number; received: number; lost: number }> {
  const c = await Promise.all(
    nodes.map((m) => m.ask<{ sent: Record<string, number>; received: Record<string, number> }>('counts')),
  )
  const t = { pairs: 0, sent: 0, received: 0, lost: 0 }
  for (const [i, from] of nodes.entries())
    for (const [k, to] of nodes.entries()) {
      if (i === k || !keep(from, to)) continue
      const n = c[i].sent[to.name] ?? 0
      const got = c[k].received[from.name] ?? 0
      t.pairs++
      t.sent += n
      t.received += got
      t.lost += n - got
    }
  return t
}

async function main(): Promise<number> {
  sweepStale()
  const netem = hasNetem()
  net.create()
  const cookie = randomBytes(32).toString('hex')
  const addrs = net.slots.map((s) => `${s.ip}:${PORT}`)
  const t0 = Date.now()
  for (const [i, s] of net.slots.entries()) {
    const cfg = {
      name: `n${i}@${s.ip}`,
      listen: `${s.ip}:${PORT}`,
      cookie,
      seeds: addrs.filter((_, j) => j !== i),
      heartbeatMs: HEARTBEAT_MS,
      idleMs: IDLE_MS,
    }
    const [cmd, ...args] = net.exec(i, [process.execPath, '--import=tsx', MEMBER, JSON.stringify(cfg)])
    members.push(new Member(i, cfg.name, spawn(cmd, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] })))
  }
  const readyAt = Math.max(...(await Promise.all(members.map((m) => m.ready))))
  const statuses = () => Promise.all(members.map((m) => m.ask<Status>('status')))
  const whole = (live: Member[], n: number) => async () =>
    (await Promise.all(live.map((m) => m.ask<Status>('status')))).every((s) => s.up.length === n - 1 && s.members === n)
  const meshMs = await until(whole(members, N), 'the full mesh and every pg member', readyAt)
  const sinks = (await statuses()).map((s, i) => [members[i].name, s.sink] as [string, number])

  // Idle: connections, CPU and bytes on the wire per node (once the
  // handshakes that lost a race have been closed).
  await sleep(1500)
  const connections = net.slots.map((_, i) => net.established(i))
  await Promise.all(members.map((m) => m.ask('cpuMark')))
  const tx0 = net.slots.map((_, i) => net.txBytes(i))
  await sleep(IDLE_WINDOW)
  const cpu = await Promise.all(members.map((m) => m.ask<number>('cpu')))
  const txPerSec = net.slots.map((_, i) => ((net.txBytes(i) - tx0[i]) * 1000) / IDLE_WINDOW)

  // All to all, as fast as credit lets.
  await Promise.all(members.map((m) => m.ask('resetCounts')))
  const fStart = performance.now()
  await Promise.all(
    members.map((m, i) => m.ask('flood', { to: sinks.filter((_, j) => j !== i), ms: FLOOD_MS, size: 64 })),
  )
  const floodMs = performance.now() - fStart
  // What is still in flight (up to a credit window per sender and sink) arrives: count once nothing is missing,
  // or nothing more came in a second.
  let flooded = await tally(members, () => true)
  for (let seen = -1; flooded.lost !== 0 && flooded.received !== seen; ) {
    seen = flooded.received
    await sleep(1000)
    flooded = await tally(members, () => true)
  }
  const [floodSent, floodReceived, floodLost] = [flooded.sent, flooded.received, flooded.lost]

  // Faults, under a steady stream on every link.
  await Promise.all(members.map((m) => m.ask('resetCounts')))
  const streamStart = Date.now()
  await Promise.all(members.map((m, i) => m.ask('stream', { to: sinks.filter((_, j) => j !== i), everyMs: 20 })))

  // 2 % of every node's packets dropped for 2 s: TCP resends; nothing is lost.
  for (let i = 0; i < N; i++) net.lose(i, 2)
  await sleep(2000)
  net.heal()

  // A node killed: its sockets close, the others see it at once.
  const dead = members[N - 1]
  const killedAt = Date.now()
  dead.proc.kill('SIGKILL')
  await dead.ended
  const live = members.slice(0, N - 1)
  await until(
    async () => live.every((m) => m.lostAt(dead.name, killedAt) !== undefined),
    'every node to see the killed node',
  )
  const killDetect = live.map((m) => (m.lostAt(dead.name, killedAt) as number) - killedAt)
  const killPg = await until(
    async () => (await Promise.all(live.map((m) => m.ask<Status>('status')))).every((s) => s.members === N - 1),
    'the killed node to leave every pg view',
    killedAt,
  )

  // A node's link taken down at the bridge: silence, found by the idle limit.
  const cut = members[N - 2]
  const others = live.filter((m) => m !== cut)
  const cutAt = Date.now()
  net.setLink(cut.i, false)
  await until(
    async () => others.every((m) => m.lostAt(cut.name, cutAt) !== undefined),
    'every node to see the cut node lost',
    cutAt,
  )
  const cutDetect = others.map((m) => (m.lostAt(cut.name, cutAt) as number) - cutAt)
  await until(
    async () => others.every((m) => cut.lostAt(m.name, cutAt) !== undefined),
    'the cut node to see every other lost',
    cutAt,
  )
  const linkUpAt = Date.now()
  net.setLink(cut.i, true)
  const cutHeal = await until(whole(live, N - 1), 'the cut node back in the mesh and every pg view', linkUpAt)

  // A partition: two halves, every packet between them dropped by nftables.
  const half = Math.floor(live.length / 2)
  const a = live.slice(0, half)
  const b = live.slice(half)
  const partAt = Date.now()
  net.partition(
    a.map((m) => m.i),
    b.map((m) => m.i),
  )
  const sawOtherSide = (m: Member) => (a.includes(m) ? b : a).every((o) => m.lostAt(o.name, partAt) !== undefined)
  await until(async () => live.every(sawOtherSide), 'both halves to see the other lost', partAt).catch(async (e) => {
    const st = await Promise.all(live.map((m) => m.ask<Status>('status')))
    const missing = live.map(
      (m, k) =>
        `${m.name}: up ${st[k].up.join(',')}; not seen lost: ${(a.includes(m) ? b : a)
          .filter((o) => m.lostAt(o.name, partAt) === undefined)
          .map((o) => o.name)
          .join(',')}`,
    )
    throw new Error(`${(e as Error).message}\n${missing.join('\n')}`)
  })
  const partDetect = live.map((m) =>
    Math.max(...(a.includes(m) ? b : a).map((o) => (m.lostAt(o.name, partAt) as number) - partAt)),
  )
  const pgSplit = await until(
    async () =>
      (await Promise.all(live.map((m) => m.ask<Status>('status')))).every(
        (s, k) => s.members === (a.includes(live[k]) ? a.length : b.length),
      ),
    'each half to see only its own pg members',
    partAt,
  )
  const healAt = Date.now()
  net.heal()
  const healMesh = await until(
    async () =>
      (await Promise.all(live.map((m) => m.ask<Status>('status')))).every((s) => s.up.length === live.length - 1),
    'the mesh whole again',
    healAt,
  )
  const healPg = await until(whole(live, live.length), 'every pg view whole again', healAt)

  // Messages lost on links that stayed up: stop, let what is in flight arrive, count.
  await Promise.all(live.map((m) => m.ask('stopStream')))
  await sleep(1500)
  const streamedUp = await tally(
    live,
    (from, to) => from.lostAt(to.name, streamStart) === undefined && to.lostAt(from.name, streamStart) === undefined,
  )
  const [stayedUp, streamed, lost] = [streamedUp.pairs, streamedUp.sent, streamedUp.lost]

  const totalMs = Date.now() - t0
  const summary = {
    nodes: N,
    machine: { cores: (await import('node:os')).cpus().length, load: (await import('node:os')).loadavg() },
    settings: { heartbeatMs: HEARTBEAT_MS, idleMs: IDLE_MS, netem },
    meshMs,
    connectionsPerNode: stats(connections),
    idle: {
      windowMs: IDLE_WINDOW,
      cpuPercentOfCore: stats(cpu.map((c) => c * 100)),
      txBytesPerSec: stats(txPerSec),
      txBytesPerSecPerLink: stats(txPerSec.map((b) => b / (N - 1))),
    },
    throughput: {
      ms: Math.round(floodMs),
      messagesPerSec: Math.round((floodReceived * 1000) / floodMs),
      payloadBytes: 64,
      sent: floodSent,
      lost: floodLost,
    },
    killed: { detectMs: stats(killDetect), pgConvergedMs: killPg },
    linkDown: { detectMs: stats(cutDetect), healMs: cutHeal },
    partition: {
      halves: [a.length, b.length],
      detectMs: stats(partDetect),
      pgSplitMs: pgSplit,
      meshHealMs: healMesh,
      pgHealMs: healPg,
    },
    stream: { linksStayedUp: stayedUp, messages: streamed, lost },
    totalMs,
  }
  if (values.json) console.log(JSON.stringify(summary))
  console.log(`nodes                 ${N} (each its own network namespace, on one bridge)`)
  console.log(
    `machine               ${summary.machine.cores} cores, load ${summary.machine.load.map((l) => l.toFixed(1)).join(' ')}`,
  )
  console.log(
    `links                 heartbeat after ${HEARTBEAT_MS} ms idle, lost after ${IDLE_MS} ms silent; netem ${netem ? 'present' : 'absent (no latency phase)'}`,
  )
  console.log(
    `mesh formed           ${meshMs} ms after the last node was up (every node linked with ${N - 1}, pg whole)`,
  )
  console.log(`connections per node  ${fmt(summary.connectionsPerNode)} established TCP`)
  console.log(`idle CPU per node     ${fmt(summary.idle.cpuPercentOfCore, 2)} % of a core`)
  console.log(
    `idle bytes per node   ${fmt(summary.idle.txBytesPerSec)} B/s sent (${fmt(summary.idle.txBytesPerSecPerLink, 1)} B/s per link)`,
  )
  console.log(
    `all-to-all            ${summary.throughput.messagesPerSec} msg/s aggregate (${N * (N - 1)} links, 64-byte payloads, ${summary.throughput.ms} ms), ${floodLost} lost`,
  )
  console.log(`node killed           detected in ${fmt(summary.killed.detectMs)} ms; pg converged in ${killPg} ms`)
  console.log(
    `link taken down       detected in ${fmt(summary.linkDown.detectMs)} ms; healed (mesh and pg) ${cutHeal} ms after link up`,
  )
  console.log(
    `partition ${a.length}|${b.length}         detected in ${fmt(summary.partition.detectMs)} ms; pg split in ${pgSplit} ms`,
  )
  console.log(`partition healed      mesh whole in ${healMesh} ms, pg whole in ${healPg} ms`)
  console.log(`stream under faults   ${streamed} messages on ${stayedUp} links that stayed up, ${lost} lost`)
  console.log(`total                 ${(totalMs / 1000).toFixed(1)} s`)
  const lostAll = lost + floodLost
  console.log(`cluster: ${N} nodes, ${lostAll} lost, detect ${Math.max(...partDetect)} ms, heal ${healPg} ms`)
  return lostAll === 0 ? 0 : 1
}

main().then(
  (code) => {
    cleanup()
    process.exit(code)
  },
  (e: unknown) => {
    console.error(`npm run cluster: ${e instanceof Error ? e.message : String(e)}`)
    cleanup()
    process.exit(1)
  },
)
