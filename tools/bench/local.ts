// The `local` suite: processes on one JS thread. bfly and plain_js run the
// same workload code (tools/bench/workloads.ts); nact and moleculer have their own
// equivalents (tools/bench/baselines/); Erlang runs tools/bench/erlang/bfly_local.erl.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { PlainRuntime } from './baselines/plain.js'
import { runErlang } from './erl.js'
import { BENCH_DIR, check, loaderFlags, measure, REPO_DIR, type Report, RUNS, type Spec } from './harness.js'
import type { IdleSample } from './idle.js'
import * as w from './workloads.js'

/** Smoke runs only: scales the message/spawn counts (not the ring size or
 * the 10k noise). Rates stay comparable, but use 1 for real numbers. */
const SCALE = Number(process.env.BENCH_SCALE ?? '1')
check(SCALE > 0, `BENCH_SCALE must be > 0, got ${process.env.BENCH_SCALE}`)
const scaled = (n: number): number => Math.max(1, Math.round(n * SCALE))

export const SIZES = {
  pingpong: scaled(500_000),
  stream: scaled(1_000_000),
  ring_size: 10_000,
  ring_laps: scaled(100),
  spawn: scaled(200_000),
  idle: scaled(100_000),
  selective_noise: 10_000,
  selective_iters: scaled(2_000),
  call: scaled(200_000),
}

/** Bytes per idle process, measured in a fresh `node --expose-gc` child. */
async function idleBytes(impl: 'bfly' | 'plain_js'): Promise<number> {
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', ...loaderFlags(), join(BENCH_DIR, 'idle.ts'), impl, String(SIZES.idle)],
    { cwd: REPO_DIR, encoding: 'utf8' },
  )
  if (child.status !== 0) throw new Error(`idle child (${impl}) failed: ${child.stderr}`)
  const lines = child.stdout.trim().split('\n')
  const s = JSON.parse(lines[lines.length - 1] ?? '') as IdleSample
  console.error(`    ${impl}: heap ${s.heap.toFixed(0)} B + native ${s.native.toFixed(0)} B per process`)
  return s.total
}

// Each runtime loads on first use, in the child that measures it; a missing
// nact or moleculer makes that baseline null.
const bfly = async () => (await import('./bfly.js')).bfly
const nact = () => import('./baselines/nact.js')
const moleculer = () => import('./baselines/moleculer.js')

export async function run(): Promise<Report> {
  if (SCALE !== 1) console.error(`BENCH_SCALE=${SCALE}: smoke run, counts are scaled`)
  console.error(`local: erlang (erl -noshell +S 2), median of ${RUNS}`)
  const erl = runErlang('bfly_local', { runs: RUNS, ...SIZES })
  return measure(
    'local',
    erl.release,
    specs((name) => erl.results.get(name) ?? null),
  )
}

/** The results. `erlang` gives the Erlang value of a result (parent side only). */
export function specs(erlang: (name: string) => number | null = () => null): Spec[] {
  const e = erlang
  const plain = new PlainRuntime()
  return [
    {
      name: 'pingpong',
      unit: 'roundtrips/s',
      higher_is_better: true,
      bfly: async () => w.pingpong(await bfly(), SIZES.pingpong),
      baselines: {
        plain_js: () => w.pingpong(plain, SIZES.pingpong),
        erlang: e('pingpong'),
        nact: async () => (await nact()).pingpong(SIZES.pingpong),
      },
    },
    {
      name: 'stream',
      unit: 'msgs/s',
      higher_is_better: true,
      bfly: async () => w.stream(await bfly(), SIZES.stream),
      baselines: {
        plain_js: () => w.stream(plain, SIZES.stream),
        erlang: e('stream'),
        nact: async () => (await nact()).stream(SIZES.stream),
      },
    },
    {
      name: 'ring',
      unit: 'hops/s',
      higher_is_better: true,
      bfly: async () => w.ring(await bfly(), SIZES.ring_size, SIZES.ring_laps),
      baselines: {
        plain_js: () => w.ring(plain, SIZES.ring_size, SIZES.ring_laps),
        erlang: e('ring'),
        nact: async () => (await nact()).ring(SIZES.ring_size, SIZES.ring_laps),
      },
    },
    {
      name: 'spawn',
      unit: 'spawns/s',
      higher_is_better: true,
      bfly: async () => w.spawnExit(await bfly(), SIZES.spawn),
      baselines: {
        plain_js: () => w.spawnExit(plain, SIZES.spawn),
        erlang: e('spawn'),
        nact: async () => (await nact()).spawnExit(SIZES.spawn),
      },
    },
    {
      name: 'idle_process_bytes',
      unit: 'bytes/process',
      higher_is_better: false,
      bfly: () => idleBytes('bfly'),
      baselines: { plain_js: () => idleBytes('plain_js'), erlang: e('idle_process_bytes') },
    },
    {
      name: 'selective_receive_10k',
      unit: 'us/receive',
      higher_is_better: false,
      bfly: async () => w.selective(await bfly(), SIZES.selective_noise, SIZES.selective_iters),
      baselines: {
        plain_js: () => w.selective(plain, SIZES.selective_noise, SIZES.selective_iters),
        erlang: e('selective_receive_10k'),
      },
    },
    {
      name: 'call',
      unit: 'roundtrips/s',
      higher_is_better: true,
      bfly: async () => w.call(await bfly(), SIZES.call),
      baselines: {
        plain_js: () => w.call(plain, SIZES.call),
        erlang: e('call'),
        nact: async () => (await nact()).call(SIZES.call),
        moleculer: async () => (await moleculer()).call(SIZES.call),
      },
    },
  ]
}
