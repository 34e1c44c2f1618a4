// The `remote` suite, link-level part: encrypted link throughput between two
// OS processes on 127.0.0.1. bfly is SL1 (crates/net, via the example
// binary crates/net/examples/linkbench.rs as server and as client); the
// baselines are a raw Node TCP stream and Node TLS 1.3 (bench/remote_node.ts,
// two node processes each), measured in the same run. Every sample starts
// fresh processes (bench/remote_proc.ts) and checks the count, sizes and
// order of what arrived. Erlang baselines are null (see bench/README.md).
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { type Baseline, BENCH_DIR, check, measure, type Report, RUNS, type Spec } from './harness.js'
import { buildLinkbench, runPair, selfSignedCert } from './remote_proc.js'

/** Smoke runs only: scales the message counts. Use 1 for real numbers. */
const SCALE = Number(process.env.BENCH_SCALE ?? '1')
check(SCALE > 0, `BENCH_SCALE must be > 0, got ${process.env.BENCH_SCALE}`)
const scaled = (n: number): number => Math.max(1, Math.round(n * SCALE))

export const SIZES = {
  stream_100B: { size: 100, count: scaled(200_000) },
  stream_64KiB: { size: 64 * 1024, count: scaled(5_000) },
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

type Load = { size: number; count: number }

const sizeArgs = (l: Load): string[] => ['--size', String(l.size), '--count', String(l.count)]

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

/** A Node baseline: bench/remote_node.ts as server and client. */
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
      ...sizeArgs(l),
      ...extra,
    ],
  ]
  return runPair(`${name} node_${transport}`, side('server', 0), (port) => side('client', port), l.count, l.size)
}

export async function run(): Promise<Report> {
  if (SCALE !== 1) console.error(`BENCH_SCALE=${SCALE}: smoke run, counts are scaled`)
  console.error('remote: building crates/net/examples/linkbench.rs (release)')
  process.env[BIN_ENV] = buildLinkbench()
  console.error(`remote: two OS processes per sample on 127.0.0.1, best of ${RUNS}; erlang_tcp/erlang_tls not measured`)
  return measure('remote', null, specs(), REMOTE_BASELINES)
}

export function specs(): Spec[] {
  return (['stream_100B', 'stream_64KiB'] as const).map((name) => {
    const l = SIZES[name]
    return {
      name,
      unit: 'msgs/s',
      higher_is_better: true,
      bfly: () => sl1(name, l),
      baselines: {
        node_tcp: () => nodeStream(name, 'tcp', l),
        node_tls: () => nodeStream(name, 'tls', l),
        // No Erlang distribution benchmark at the link level (bench/README.md).
        erlang_tcp: null,
        erlang_tls: null,
      },
    }
  })
}
