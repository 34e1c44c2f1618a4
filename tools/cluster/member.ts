// One node of the namespace cluster (tools/cluster/run.ts starts it with
// `ip netns exec`): a real bfly node at its namespace's address that finds
// the others through its seeds, joins the process group 'all', and does
// what the runner asks on stdin (one JSON command a line), answering on
// stdout (one JSON line each) and reporting each link that comes up or is
// lost, with the time, as it happens.
//   node --import=tsx member.ts '{"name","listen","cookie","seeds",...}'
import { createInterface } from 'node:readline'
import { join, members, Pid, type Process, registerService, send, spawn, startNode, startScope } from '../../index.ts'

interface Config {
  name: string
  listen: string
  cookie: string
  seeds: string[]
  heartbeatMs: number
  idleMs: number
  everyMs: number
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as Config
const out = (v: unknown) => process.stdout.write(`${JSON.stringify(v)}\n`)

const node = await startNode({
  name: cfg.name,
  listen: cfg.listen,
  cookie: cfg.cookie,
  seeds: cfg.seeds,
  discover: undefined,
  heartbeatMs: cfg.heartbeatMs,
  idleMs: cfg.idleMs,
  quiet: true,
})
node.on('nodeup', (peer: string) => out({ event: 'nodeup', peer, t: Date.now() }))
node.on('nodedown', (peer: string) => out({ event: 'nodedown', peer, t: Date.now() }))

/** Messages received by the sink, per sending node. */
const received = new Map<string, number>()
async function sink(p: Process): Promise<void> {
  for (;;) {
    const m = (await p.receive()) as [string, number]
    received.set(m[0], (received.get(m[0]) ?? 0) + 1)
  }
}
const sinkPid = spawn(sink)
registerService('SINK', sinkPid)

startScope()
const member = spawn(async (p) => {
  for (;;) await p.receive()
})
await join('all', member)

/** Sent to each node's sink, per node. */
const sent = new Map<string, number>()
let streaming = false

/** Sends to `to` as fast as credit lets until `end` (ms since the epoch); counts what was handed over. */
async function flood(to: Pid, end: number, payload: string): Promise<void> {
  let n = 0
  while (Date.now() < end) {
    const r = send(to, [cfg.name, payload])
    if (r !== undefined) await r
    n++
    // Let the link's flush and the event loop run.
    if (n % 256 === 0) await new Promise((res) => setImmediate(res))
  }
  sent.set(to.node, (sent.get(to.node) ?? 0) + n)
}

/** One message to each of `to` whose node is linked, every `everyMs`, until stopped (as a program sends to the
 * members it sees: a send to a node that is down would only dial it again). */
async function stream(to: Pid[], everyMs: number): Promise<void> {
  streaming = true
  while (streaming) {
    const up = new Set(node.peers().flatMap((p) => (p.state === 'up' ? [p.name] : [])))
    for (const pid of to) {
      if (!up.has(pid.node)) continue
      const r = send(pid, [cfg.name, 's'])
      sent.set(pid.node, (sent.get(pid.node) ?? 0) + 1)
      if (r !== undefined) void r.catch(() => {})
    }
    await new Promise((res) => setTimeout(res, everyMs))
  }
}

const sinks = (list: [string, number][]) => list.map(([n, id]) => new Pid(n, id))
let cpuMark = process.cpuUsage()
let cpuAt = performance.now()

async function run(cmd: string, a: unknown): Promise<unknown> {
  switch (cmd) {
    case 'status':
      return {
        sink: sinkPid.id,
        up: node
          .peers()
          .filter((p) => p.state === 'up')
          .map((p) => p.name),
        members: members('all').length,
      }
    case 'cpuMark':
      cpuMark = process.cpuUsage()
      cpuAt = performance.now()
      return null
    case 'cpu': {
      // CPU time (user + system) per wall-clock time since the mark, as a fraction of one core.
      const u = process.cpuUsage(cpuMark)
      return (u.user + u.system) / 1000 / (performance.now() - cpuAt)
    }
    case 'flood': {
      const { to, ms, size } = a as { to: [string, number][]; ms: number; size: number }
      const end = Date.now() + ms
      await Promise.all(sinks(to).map((pid) => flood(pid, end, 'x'.repeat(size))))
      return null
    }
    case 'stream':
      void stream(sinks((a as { to: [string, number][] }).to), (a as { everyMs: number }).everyMs)
      return null
    case 'stopStream':
      streaming = false
      return null
    case 'counts':
      return { sent: Object.fromEntries(sent), received: Object.fromEntries(received) }
    case 'resetCounts':
      sent.clear()
      received.clear()
      return null
    default:
      throw new Error(`unknown command ${cmd}`)
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, cmd, args } = JSON.parse(line) as { id: number; cmd: string; args: unknown }
  run(cmd, args).then(
    (value) => out({ id, value }),
    (e: unknown) => out({ id, error: e instanceof Error ? e.message : String(e) }),
  )
})
process.stdin.on('end', () => process.exit(0))
out({ ready: node.address, t: Date.now() })
