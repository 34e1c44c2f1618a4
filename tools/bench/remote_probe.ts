// Where the microseconds of one remote round trip go, and what an idle
// connected node costs: the figures `npm run bench -- remote` prints under
// its table (issue 18). Each is a pair of fresh bfly nodes
// (tools/bench/remote_bfly.ts) on 127.0.0.1:
// - per round trip: wall time; CPU time and sleeps (voluntary context
//   switches: each is one wake-up) of each side, by thread kind (the JS
//   thread, the tokio threads of the link, the rest), from /proc;
// - syscalls per round trip, by name: two runs under `strace -f -c` whose
//   counts are subtracted, so start-up and connecting cancel out (strace
//   slows the run: its counts are right, not its times);
// - crypto (SL1's seal + open of a 100 B message, crates/net's sealbench)
//   and codec (encode + decode of the message) per round trip;
// - the CPU of both nodes while connected and idle (heartbeats only).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { BENCH_DIR, loaderFlags, REPO_DIR } from './harness.js'
import { delta, type Kind, type Usage, usage } from './procstat.js'

const KINDS: Kind[] = ['js', 'tokio', 'other']

interface Pair {
  server: ChildProcess
  client: ChildProcess
  serverPid: number
  lines: string[]
  done: Promise<void>
}

function lineReader(c: ChildProcess, into: string[]): Promise<string> {
  return new Promise((resolve) => {
    let first = true
    createInterface({ input: c.stdout as NodeJS.ReadableStream }).on('line', (l) => {
      into.push(l)
      if (first) {
        first = false
        resolve(l)
      }
    })
    c.on('close', () => resolve(''))
  })
}

function exited(c: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    if (c.exitCode !== null) resolve()
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`exited with ${code}`))))
  })
}

/** Starts a server and client of remote_bfly.ts in `mode`, each command
 * prefixed by `wrap(side)` (e.g. strace). */
async function pair(mode: string, count: number, wrap: (side: string) => string[] = () => []): Promise<Pair> {
  const cookie = randomBytes(32).toString('hex')
  const args = (role: string, port: number, extra: string[]) => [
    ...wrap(role),
    process.execPath,
    ...loaderFlags(),
    join(BENCH_DIR, 'remote_bfly.ts'),
    role,
    '--mode',
    mode,
    '--port',
    String(port),
    '--size',
    '100',
    '--count',
    String(count),
    '--cookie',
    cookie,
    ...extra,
  ]
  const run = (a: string[]) =>
    spawn(a[0] as string, a.slice(1), { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'inherit'] })
  const server = run(args('server', 0, []))
  const first = JSON.parse((await lineReader(server, [])) || '{}') as { listening?: number; pid?: number }
  if (first.listening === undefined || first.pid === undefined) throw new Error(`${mode} probe: no server`)
  const lines: string[] = []
  const client = run(args('client', first.listening, ['--probe', String(first.pid)]))
  void lineReader(client, lines)
  const done = Promise.all([exited(server), exited(client)]).then(() => {})
  return { server, client, serverPid: first.pid, lines, done }
}

const us = (s: number) => (s * 1e6).toFixed(1)

/** Per round trip: wall, CPU and sleeps per side and thread kind. */
export async function perRoundTrip(mode: 'pingpong' | 'call', count: number): Promise<string[]> {
  const p = await pair(mode, count)
  await p.done
  const probe = p.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((o) => 'probe' in o)
  const result = JSON.parse(p.lines[p.lines.length - 1] ?? '{}') as { secs?: number }
  if (probe === undefined || result.secs === undefined) return [`${mode}: /proc not readable, no breakdown`]
  const { client, server } = probe.probe as { client: Usage; server: Usage }
  const side = (name: string, u: Usage) =>
    `  ${name}: ${KINDS.map((k) => `${k} ${us(u[k].cpu / count)} us CPU, ${(u[k].sleeps / count).toFixed(2)} wakes, ${(u[k].preempted / count).toFixed(2)} preempted`).join('; ')}`
  return [
    `${mode} round trip (100 B, ${count} rt): ${us(result.secs / count)} us wall`,
    side('client', client),
    side('server', server),
  ]
}

/** Syscalls per round trip by name, per side (two strace runs subtracted). */
async function syscalls(mode: 'pingpong' | 'call', small: number, large: number): Promise<string[]> {
  if (spawnSync('sh', ['-c', 'command -v strace'], { stdio: 'ignore' }).status !== 0)
    return ['syscalls: SKIPPED (strace not on PATH)']
  const dir = mkdtempSync(join(tmpdir(), 'bfly-probe-'))
  try {
    const counts = async (n: number) => {
      const files = { server: join(dir, `s${n}`), client: join(dir, `c${n}`) }
      const p = await pair(mode, n, (side) => ['strace', '-f', '-c', '-o', files[side as 'server' | 'client']])
      await p.done
      return { server: parseStrace(files.server), client: parseStrace(files.client) }
    }
    const a = await counts(small)
    const b = await counts(large)
    const n = large - small
    const side = (name: 'server' | 'client') => {
      const per = [...b[name]]
        .map(([sc, c]) => [sc, (c - (a[name].get(sc) ?? 0)) / n] as const)
        .filter(([, c]) => c >= 0.05)
        .sort((x, y) => y[1] - x[1])
      const total = per.reduce((s, [, c]) => s + c, 0)
      return `  ${name}: ${total.toFixed(1)} syscalls/rt: ${per.map(([sc, c]) => `${sc} ${c.toFixed(2)}`).join(', ')}`
    }
    return [
      `${mode} syscalls per round trip (strace -f -c, ${large} minus ${small} rt):`,
      side('client'),
      side('server'),
    ]
  } catch (e) {
    return [`syscalls: SKIPPED (${(e as Error).message})`]
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function parseStrace(file: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/)
    // % time, seconds, usecs/call, calls, [errors], syscall
    const name = f[f.length - 1] as string
    if (f.length >= 5 && name !== 'total' && /^\d/.test(f[0] ?? '') && /^\d+$/.test(f[3] ?? ''))
      out.set(name, Number(f[3]))
  }
  return out
}

/** Seal + open of a 100 B message, ns (crates/net/examples/sealbench.rs). */
function crypto(): number | null {
  const r = spawnSync('cargo', ['run', '--release', '-q', '-p', 'bfly-net', '--example', 'sealbench', '--', '100'], {
    cwd: REPO_DIR,
    encoding: 'utf8',
  })
  const line = r.stdout.trim().split('\n').pop() ?? ''
  try {
    const j = JSON.parse(line) as { seal_ns_per_msg: number; open_ns_per_msg: number }
    return j.seal_ns_per_msg + j.open_ns_per_msg
  } catch {
    return null
  }
}

/** Encode + decode of a ping-pong message ([pid, 100 B]), ns. */
async function codec(): Promise<number> {
  const { encode, decode } = await import('../../src/kernel/codec.js')
  const { Pid } = await import('../../src/kernel/values.js')
  const msg = [new Pid('bench-client@127.0.0.1', 7), new Uint8Array(100).fill(0xa5)]
  let sink = 0
  const n = 200_000
  for (let i = 0; i < 20_000; i++) sink += (decode(encode(msg)) as unknown[]).length
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) sink += (decode(encode(msg)) as unknown[]).length
  const ns = Number(process.hrtime.bigint() - t0) / n
  if (sink === 0) throw new Error('codec probe decoded nothing')
  return ns
}

/** CPU of both nodes of a connected, idle pair (% of one core). */
async function idleCpu(): Promise<string> {
  const p = await pair('idle', 8000)
  await new Promise((r) => setTimeout(r, 2500))
  const pids = [p.client.pid as number, p.serverPid]
  const before = pids.map(usage)
  const t0 = process.hrtime.bigint()
  await new Promise((r) => setTimeout(r, 4000))
  const after = pids.map(usage)
  const secs = Number(process.hrtime.bigint() - t0) / 1e9
  await p.done
  const pct = (i: number) => {
    const a = before[i]
    const b = after[i]
    if (a === null || a === undefined || b === null || b === undefined) return 'n/a'
    const d = delta(a, b)
    const cpu = KINDS.reduce((s, k) => s + d[k].cpu, 0)
    return `${((cpu / secs) * 100).toFixed(2)}% CPU, ${(KINDS.reduce((s, k) => s + d[k].sleeps, 0) / secs).toFixed(0)} wakes/s`
  }
  return `idle connected node (${secs.toFixed(1)} s, /proc ticks of 10 ms): client ${pct(0)}, server ${pct(1)}`
}

/** Every figure, as lines for the report's notes. */
export async function probe(count: number): Promise<string[]> {
  const out: string[] = ['', 'Breakdown of one remote round trip (issue 18):']
  for (const mode of ['pingpong', 'call'] as const) out.push(...(await perRoundTrip(mode, count)))
  out.push(...(await syscalls('pingpong', 500, 3000)))
  const c = crypto()
  const k = await codec()
  out.push(
    `  crypto per round trip (seal + open of 100 B, each way): ${c === null ? 'n/a' : `${((2 * c) / 1000).toFixed(2)} us`}`,
    `  codec per round trip (encode + decode of [pid, 100 B], each way): ${((2 * k) / 1000).toFixed(2)} us`,
  )
  out.push(await idleCpu())
  return out
}
