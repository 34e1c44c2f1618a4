// One side of bfly's process-level results of the `remote` suite, run by
// tools/bench/remote_proc.ts as its own OS process (same output as
// tools/bench/remote_node.ts):
//
//   node --import=tsx --import=./tools/bench/dist.mjs tools/bench/remote_bfly.ts (server|client) --mode M
//        --port P --size N --count C --cookie HEX64 [--to pid] [--probe PID]
//
// Both sides are bfly nodes on 127.0.0.1 linked by SL1. Modes:
// - stream: the client's process sends C messages (Uint8Array of N bytes,
//   sequence number u32 LE first) to the server's registered 'SINK',
//   which checks each and, after the last, sends the client an ack (to
//   its pid instead with `--to pid`: the credited path);
// - pingpong: the client's process sends [self, msg] to the server's
//   'ECHO' process, which sends msg back; C round trips, each checked;
// - call: `call('SRV', msg)` to a raw call server (`reply`), C times;
// - idle: connects (one round trip), then sends nothing for C ms (the
//   idle CPU of a connected node, read from /proc by remote_probe.ts).
// With `--probe PID` (PID the server's), the client also prints a
// {"probe": ...} line: the CPU and context switches of both processes
// over the timed loop, by thread kind (tools/bench/procstat.ts).
// The server prints {"listening": port, "pid"} first and its result last; the
// client prints {"msgs_per_s", "mb_per_s", "secs"}, timed from the first
// send to the last answer (connecting is not timed: one call first).
import {
  call,
  type From,
  type Pid,
  type Process,
  registerServer,
  registerService,
  remoteService,
  reply,
  send,
  spawn,
  startNode,
} from '../../index.ts'
import { delta, type Usage, usage } from './procstat.js'

const [role, ...rest] = process.argv.slice(2)
const flags = new Map<string, string>()
for (let i = 0; i < rest.length; i += 2) flags.set(rest[i].replace(/^--/, ''), rest[i + 1])
const mode = flags.get('mode') ?? 'stream'
const size = Number(flags.get('size'))
const count = Number(flags.get('count'))
const cookie = flags.get('cookie') ?? ''
const SERVER = 'bench-server@127.0.0.1'

function fail(msg: string): never {
  console.error(`remote_bfly: ${msg}`)
  process.exit(1)
}

function seq(b: unknown): number {
  if (!(b instanceof Uint8Array) || b.length !== size) fail(`got ${String(b)}, expected ${size} bytes`)
  return b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)
}

/** The body every message copies, as tools/bench/remote_node.ts builds its frames. */
const PAYLOAD = Buffer.alloc(size, 0xa5)

/** Message `i`, built as the Node baseline builds its frames (a pooled Buffer, the payload copied in): a
 * zeroed `new Uint8Array` per message cost the sender more than the send itself did. */
function message(i: number): Uint8Array {
  const m = Buffer.allocUnsafe(size)
  m.set(PAYLOAD)
  m[0] = i & 255
  m[1] = (i >> 8) & 255
  m[2] = (i >> 16) & 255
  m[3] = (i >>> 24) & 255
  return m
}

async function server(): Promise<void> {
  const node = await startNode({ name: SERVER, listen: `127.0.0.1:${flags.get('port') ?? 0}`, cookie })
  let received = 0
  let start = 0n
  let ended!: () => void
  const finished = new Promise<void>((r) => {
    ended = r
  })
  registerService(
    'SINK',
    spawn(async (p: Process) => {
      const [, client] = (await p.receive()) as ['hello', Pid]
      send(client, ['ready', p.self])
      while (received < count) {
        const m = await p.receive()
        if (received === 0) start = process.hrtime.bigint()
        if (seq(m) !== received) fail(`message ${received} carries ${seq(m)}`)
        received++
      }
      send(client, 'ack')
      ended()
    }),
  )
  registerService(
    'ECHO',
    spawn(async (p: Process) => {
      for (;;) {
        const [from, m] = (await p.receive()) as [Pid, unknown]
        if (received === 0 && m !== 'warm') start = process.hrtime.bigint()
        send(from, m)
        if (m === 'bye') break
        if (m !== 'warm') received++
      }
      ended()
    }),
  )
  registerService(
    'SRV',
    spawn(async (p: Process) => {
      for (;;) {
        const [, from, m] = (await p.receive()) as ['$call', From, unknown]
        if (received === 0 && m !== 'warm' && m !== 'bye') start = process.hrtime.bigint()
        reply(from, m)
        if (m === 'bye') break
        if (m !== 'warm') received++
      }
      ended()
    }),
  )
  console.log(JSON.stringify({ listening: Number(node.address.split(':')[1]), pid: process.pid }))
  await finished
  const secs = start === 0n ? 0 : Number(process.hrtime.bigint() - start) / 1e9
  const msgs = count / Math.max(secs, 1e-9)
  // Let the last answer leave before closing the link.
  await new Promise((r) => setTimeout(r, 200))
  console.log(JSON.stringify({ msgs_per_s: msgs, mb_per_s: (msgs * size) / 1e6, received, bytes: received * size }))
  node.stop()
}

async function client(): Promise<void> {
  const node = await startNode({ name: 'bench-client@127.0.0.1', listen: '127.0.0.1:0', cookie })
  registerServer(SERVER, `127.0.0.1:${flags.get('port')}`)
  const done = new Promise<number>((resolve, reject) => {
    spawn(async (p: Process) => {
      try {
        resolve(await run(p))
      } catch (e) {
        reject(e)
      }
    })
  })
  const secs = await done
  const msgs = count / secs
  console.log(JSON.stringify({ msgs_per_s: msgs, mb_per_s: (msgs * size) / 1e6, secs }))
  node.stop()
}

/** The server's pid when probing (--probe). */
const probed = Number(flags.get('probe') ?? 0)
let probeStart: [Usage | null, Usage | null] = [null, null]

function probeBegin(): void {
  if (probed > 0) probeStart = [usage(process.pid), usage(probed)]
}

function probeEnd(): void {
  if (probed === 0) return
  const [c0, s0] = probeStart
  const [c1, s1] = [usage(process.pid), usage(probed)]
  if (c0 === null || s0 === null || c1 === null || s1 === null) return
  console.log(JSON.stringify({ probe: { client: delta(c0, c1), server: delta(s0, s1) } }))
}

async function run(p: Process): Promise<number> {
  if (mode === 'idle') {
    const echo = remoteService(SERVER, { name: 'ECHO' })
    send(echo, [p.self, 'warm'])
    await p.receive()
    const t0 = process.hrtime.bigint()
    await new Promise((r) => setTimeout(r, count))
    const secs = Number(process.hrtime.bigint() - t0) / 1e9
    send(echo, [p.self, 'bye'])
    await p.receive()
    return secs
  }
  if (mode === 'stream') {
    const sink = remoteService(SERVER, { name: 'SINK' })
    send(sink, ['hello', p.self])
    const ready = await p.receive()
    if (!Array.isArray(ready) || ready[0] !== 'ready') fail('no ready')
    // `--to pid` streams to the sink's pid, the path that counts credit (a
    // name is resolved on the receiving node, uncounted).
    const to = flags.get('to') === 'pid' ? (ready[1] as Pid) : sink
    probeBegin()
    const t0 = process.hrtime.bigint()
    // A busy link (or, to a pid, a full credit window) returns a promise: waiting for it is what keeps the
    // link from being dropped past its bound, as the Node baseline waits for 'drain'.
    for (let i = 0; i < count; i++) {
      const w = send(to, message(i))
      if (w !== undefined) await w
    }
    if ((await p.receive()) !== 'ack') fail('no ack')
    const secs = Number(process.hrtime.bigint() - t0) / 1e9
    probeEnd()
    return secs
  }
  if (mode === 'pingpong') {
    const echo = remoteService(SERVER, { name: 'ECHO' })
    send(echo, [p.self, 'warm'])
    await p.receive()
    probeBegin()
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < count; i++) {
      send(echo, [p.self, message(i)])
      if (seq(await p.receive()) !== i) fail(`round trip ${i} came back wrong`)
    }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9
    probeEnd()
    send(echo, [p.self, 'bye'])
    await p.receive()
    return secs
  }
  const srv = remoteService(SERVER, { name: 'SRV' })
  await call(srv, 'warm')
  probeBegin()
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < count; i++) if (seq(await p.call(srv, message(i))) !== i) fail(`call ${i} answered wrong`)
  const secs = Number(process.hrtime.bigint() - t0) / 1e9
  probeEnd()
  await call(srv, 'bye')
  return secs
}

await (role === 'server' ? server() : role === 'client' ? client() : fail(`expected server|client, got ${role}`))
