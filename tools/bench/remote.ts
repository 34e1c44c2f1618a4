// The `remote` suite: bfly processes on two nodes (two OS processes on
// 127.0.0.1, linked by SL1) beside a raw Node TCP and a Node TLS 1.3 socket
// (tools/bench/remote_node.ts) and Erlang distribution over TCP and TLS
// (tools/bench/erlang/bfly_remote.erl), all in the same run. `sl1_*` results are
// the link alone (crates/net/examples/linkbench.rs as both ends). Every
// sample starts fresh processes (tools/bench/remote_proc.ts) and checks the count,
// sizes and order of what arrived.
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runErlang } from './erl.js'
import {
  type Baseline,
  BENCH_DIR,
  check,
  loaderFlags,
  measure,
  type Report,
  RUNS,
  type Spec,
  type Stat,
} from './harness.js'
import { probe } from './remote_probe.js'
import { buildLinkbench, runPair, selfSignedCert } from './remote_proc.js'

/** Smoke runs only: scales the message counts. Use 1 for real numbers. */
const SCALE = Number(process.env.BENCH_SCALE ?? '1')
check(SCALE > 0, `BENCH_SCALE must be > 0, got ${process.env.BENCH_SCALE}`)
const scaled = (n: number): number => Math.max(1, Math.round(n * SCALE))

type Mode = 'stream' | 'pingpong' | 'call'
/** `to: 'pid'`: the stream goes to the sink's pid (credited) rather than its name; `erlang`: the Erlang
 * result the row compares with, when it is another row's (Erlang's stream already goes to a pid). */
type Load = { size: number; count: number; mode: Mode; to?: 'pid'; erlang?: string }

const STREAM_100B: Load = { size: 100, count: scaled(3_000_000), mode: 'stream' }

export const SIZES: Record<string, Load> = {
  // Each sample is two fresh OS processes, timed from their first message: the counts keep JIT tiering a
  // small part of the timed span, about half a second of bfly's at least. (200k messages at ~1.5 M/s were
  // 0.13 s, mostly tiering; later 1M at ~4.5 M/s was 0.3 s, of which the first 65k messages took 0.06 s while
  // V8 compiled on its background threads; 5k x 64 KiB was 0.26 s, all of it below the steady rate.)
  pingpong: { size: 100, count: scaled(50_000), mode: 'pingpong' },
  call: { size: 100, count: scaled(50_000), mode: 'call' },
  stream_100B: STREAM_100B,
  // Node's columns are measured again for this row; Erlang's are the row above's (its stream goes to a pid).
  stream_100B_pid: { ...STREAM_100B, to: 'pid', erlang: 'stream_100B' },
  stream_64KiB: { size: 64 * 1024, count: scaled(20_000), mode: 'stream' },
}

/** The remote suite's baseline keys (DESIGN.md, "Benchmarks"). */
export const REMOTE_BASELINES: readonly Baseline[] = ['node_tcp', 'node_tls', 'erlang_tcp', 'erlang_tls']

/** The parent builds the binary once and hands its path to the children. */
const BIN_ENV = 'BFLY_BENCH_LINKBENCH'

let bin: string | undefined
function linkbench(): string {
  bin ??= process.env[BIN_ENV] || buildLinkbench()
  return bin
}

let cert: { cert: string; key: string } | undefined

const sizeArgs = (l: Load): string[] => ['--size', String(l.size), '--count', String(l.count)]

/** bfly processes on two nodes: tools/bench/remote_bfly.ts as server and client. */
function bflyNodes(name: string, l: Load): Promise<number> {
  const cookie = randomBytes(32).toString('hex')
  const side = (role: string, port: number): [string, string[]] => [
    process.execPath,
    [
      ...loaderFlags(),
      join(BENCH_DIR, 'remote_bfly.ts'),
      role,
      '--mode',
      l.mode,
      '--port',
      String(port),
      ...sizeArgs(l),
      '--cookie',
      cookie,
      ...(l.to === 'pid' ? ['--to', 'pid'] : []),
    ],
  ]
  return runPair(`${name} bfly`, side('server', 0), (port) => side('client', port), l.count, l.size)
}

/** SL1: the linkbench example as server and client, with a fresh random cookie. */
function sl1(name: string, l: Load): Promise<number> {
  const exe = linkbench()
  const cookie = randomBytes(32).toString('hex')
  const common = [...sizeArgs(l), '--cookie', cookie]
  return runPair(
    `${name} bfly`,
    [exe, ['server', '--port', '0', ...common]],
    (port) => [exe, ['client', '--port', String(port), ...common]],
    l.count,
    l.size,
  )
}

/** A Node baseline: tools/bench/remote_node.ts as server and client. */
function nodeStream(name: string, transport: 'tcp' | 'tls', l: Load): Promise<number> {
  const extra: string[] = []
  if (transport === 'tls') {
    cert ??= selfSignedCert()
    extra.push('--cert', cert.cert, '--key', cert.key)
  }
  const side = (role: string, port: number): [string, string[]] => [
    process.execPath,
    [
      '--import=tsx',
      join(BENCH_DIR, 'remote_node.ts'),
      role,
      '--transport',
      transport,
      '--port',
      String(port),
      '--mode',
      l.mode === 'stream' ? 'stream' : 'pingpong',
      ...sizeArgs(l),
      ...extra,
    ],
  ]
  return runPair(`${name} node_${transport}`, side('server', 0), (port) => side('client', port), l.count, l.size)
}

/** Erlang distribution over TCP, then over TLS 1.3 (inet_tls_dist with a
 * self-signed certificate), each in one erl run of bfly_remote.erl. */
function erlangRuns(): { tcp: Map<string, Stat>; tls: Map<string, Stat>; release: string | null } {
  const args = {
    runs: RUNS,
    size: SIZES.pingpong.size,
    pingpong: SIZES.pingpong.count,
    call: SIZES.call.count,
    stream_100B: SIZES.stream_100B.count,
    stream_64KiB: SIZES.stream_64KiB.count,
  }
  console.error('remote: erlang distribution over TCP')
  const tcp = runErlang('bfly_remote', { ...args, tag: 1 })
  let tls = new Map<string, Stat>()
  try {
    const { cert, key } = selfSignedCert()
    const opt = join(cert, '..', 'ssl_dist.conf')
    writeFileSync(
      opt,
      `[{server, [{certfile, "${cert}"}, {keyfile, "${key}"}, {versions, ['tlsv1.3']}]},
 {client, [{verify, verify_none}, {versions, ['tlsv1.3']}]}].\n`,
    )
    const flags = ['-proto_dist', 'inet_tls', '-ssl_dist_optfile', opt]
    console.error('remote: erlang distribution over TLS 1.3')
    tls = runErlang('bfly_remote', { ...args, tag: 2 }, flags, { BFLY_ERL_DIST_ARGS: flags.join(' ') }).stats
  } catch (e) {
    console.error(`  erlang_tls: ${(e as Error).message}; null`)
  }
  return { tcp: tcp.stats, tls, release: tcp.release }
}

export async function run(): Promise<Report> {
  if (SCALE !== 1) console.error(`BENCH_SCALE=${SCALE}: smoke run, counts are scaled`)
  console.error('remote: building crates/net/examples/linkbench.rs (release)')
  process.env[BIN_ENV] = buildLinkbench()
  const erl = erlangRuns()
  console.error(`remote: two OS processes per sample on 127.0.0.1, median of ${RUNS}`)
  const report = measure('remote', erl.release, specs(erl.tcp, erl.tls), REMOTE_BASELINES, { interleave: true })
  if (process.env.BENCH_PROBE !== '0') {
    console.error('remote: round-trip breakdown and idle CPU (BENCH_PROBE=0 skips)')
    report.notes = await probe(SIZES.pingpong.count)
  }
  return report
}

/** The results; `tcp`/`tls` hold the Erlang values (parent side only). */
export function specs(tcp = new Map<string, Stat>(), tls = new Map<string, Stat>()): Spec[] {
  const node = (name: string, l: Load) => ({
    node_tcp: () => nodeStream(name, 'tcp', l),
    node_tls: () => nodeStream(name, 'tls', l),
  })
  const procs: Spec[] = Object.entries(SIZES).map(([name, l]) => ({
    name,
    unit: l.mode === 'stream' ? 'msgs/s' : 'roundtrips/s',
    higher_is_better: true,
    bfly: () => bflyNodes(name, l),
    baselines: {
      ...node(name, l),
      erlang_tcp: tcp.get(l.erlang ?? name) ?? null,
      erlang_tls: tls.get(l.erlang ?? name) ?? null,
    },
  }))
  const link: Spec[] = (['stream_100B', 'stream_64KiB'] as const).map((name) => ({
    name: `sl1_${name}`,
    unit: 'msgs/s',
    higher_is_better: true,
    bfly: () => sl1(name, SIZES[name]),
    // The link alone has no Erlang counterpart (distribution is process messaging).
    baselines: node(name, SIZES[name]),
  }))
  return [...procs, ...link]
}
