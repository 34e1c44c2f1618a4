// Shared benchmark harness: timing, warm-up, best-of-N, child processes, table, JSON.
// Nothing here asserts a time: it only measures and reports.
import { spawnSync } from 'node:child_process'
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Every baseline key a suite may report (DESIGN.md, "Benchmarks"). */
export type Baseline =
  | 'plain_js'
  | 'erlang'
  | 'nact'
  | 'moleculer'
  | 'ts_pattern'
  | 'hand_written'
  | 'node_tcp'
  | 'node_tls'
  | 'erlang_tcp'
  | 'erlang_tls'
  | 'post_message'
/** The default baseline keys of a report (local's; a suite may pass its own to `measure`). */
export const BASELINES: readonly Baseline[] = ['plain_js', 'erlang', 'nact', 'moleculer']

export interface Result {
  name: string
  unit: string
  higher_is_better: boolean
  bfly: number
  /** Every key of the suite's baselines: a number, or null when it did not run. */
  baselines: Partial<Record<Baseline, number | null>>
}

export interface Report {
  suite: string
  date: string
  node: string
  erlang: string | null
  results: Result[]
}

/** BENCH_SCALE: smoke runs scale their counts by it (use 1 for real numbers). */
export const SCALE = positiveNumber(process.env.BENCH_SCALE, 1)

/** `n` scaled by BENCH_SCALE, at least 1. */
export function scaled(n: number): number {
  return Math.max(1, Math.round(n * SCALE))
}

/** Timed runs per measurement (the best one is kept), after one warm-up. */
export const RUNS = positiveInt(process.env.BENCH_RUNS, 3)

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url))
export const REPO_DIR = dirname(dirname(BENCH_DIR))

function positiveNumber(text: string | undefined, fallback: number): number {
  const n = text === undefined || text === '' ? fallback : Number(text)
  if (!(n > 0)) throw new Error(`BENCH_SCALE must be > 0, got ${text}`)
  return n
}

function positiveInt(text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a positive integer, got ${text}`)
  return n
}

export function now(): bigint {
  return process.hrtime.bigint()
}

/** Nanoseconds elapsed since `start` (from `now()`), as a number. */
export function since(start: bigint): number {
  return Number(process.hrtime.bigint() - start)
}

/** Operations per second. */
export function perSecond(ops: number, ns: number): number {
  return ops / (ns / 1e9)
}

/** Throws when a benchmark's own run was wrong (lost, duplicated or reordered work). */
export function check(ok: boolean, what: string): asserts ok {
  if (!ok) throw new Error(`benchmark run is invalid: ${what}`)
}

/** Yields to the event loop (lets timers, I/O and native callbacks run). */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

export interface Latch<T> {
  promise: Promise<T>
  resolve: (value: T) => void
  reject: (error: unknown) => void
}

export function latch<T>(): Latch<T> {
  let resolve: (value: T) => void = () => {}
  let reject: (error: unknown) => void = () => {}
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** What the current measurement is, shown if the event loop drains mid-run. */
let current = ''
process.on('beforeExit', () => {
  if (current !== '') {
    console.error(`benchmark stalled: ${current} (event loop drained before it finished)`)
    process.exitCode = 1
  }
})

/**
 * One warm-up run, then RUNS timed runs; keeps the best (the max when higher
 * is better, else the min). `sample` returns the value in the result's unit.
 * No forced GC between runs: each sampler has a process of its own, and a
 * forced full GC resets V8's heap sizing, which made the 10k-process ring
 * swing by 2x from run to run.
 */
export async function best(label: string, higherIsBetter: boolean, sample: () => Promise<number>): Promise<number> {
  const values: number[] = []
  for (let i = 0; i <= RUNS; i++) {
    current = `${label} (${i === 0 ? 'warm-up' : `run ${i}/${RUNS}`})`
    const v = await sample()
    check(Number.isFinite(v) && v > 0, `${label} gave ${v}`)
    if (i > 0) values.push(v)
  }
  current = ''
  const pick = higherIsBetter ? Math.max(...values) : Math.min(...values)
  console.error(`  ${label.padEnd(34)} ${values.map(fmt).join('  ')}  -> ${fmt(pick)}`)
  return pick
}

/** One result: how to measure bfly and each baseline (absent = null). */
export interface Spec {
  name: string
  unit: string
  higher_is_better: boolean
  bfly: () => Promise<number>
  baselines: Partial<Record<Baseline, (() => Promise<number>) | number | null>>
}

/** What tools/bench/run.ts and tools/bench/child.ts need from a suite file. */
export interface SuiteModule {
  /** The results, in order. Cheap: nothing is measured until a sampler runs. */
  specs(): Spec[]
  /** Measures everything (see `measure`) into the suite's report. */
  run(): Promise<Report>
}

/**
 * Runs one sampler (`impl` of result `name` of `suite`) in a fresh Node
 * child (tools/bench/child.ts), so no implementation inherits
 * another's JIT feedback (the workload code is shared) or heap. Returns the
 * best value, or throws if the child failed.
 */
export function sampleInChild(suite: string, name: string, impl: string): number {
  const child = spawnSync(process.execPath, ['--import=tsx', join(BENCH_DIR, 'child.ts'), suite, name, impl], {
    cwd: REPO_DIR,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  })
  const last = child.stdout.trim().split('\n').pop() ?? ''
  if (child.status !== 0 || !last.startsWith('{')) {
    throw new Error(`${suite}/${name} ${impl}: child exited with ${child.status ?? child.signal}`)
  }
  return (JSON.parse(last) as { value: number }).value
}

/**
 * Measures each spec (bfly, then its baselines), each in its own child. A
 * baseline given as a number was measured out of process in this run
 * (Erlang); one that fails is recorded as null and said so. bfly failing
 * fails the suite. `keys` are the report's baseline keys (default: local's).
 */
export function measure(
  suite: string,
  erlang: string | null,
  specs: Spec[],
  keys: readonly Baseline[] = BASELINES,
): Report {
  const date = new Date().toISOString()
  const results: Result[] = []
  for (const s of specs) {
    console.error(`${suite}/${s.name} (${s.unit}, ${s.higher_is_better ? 'higher' : 'lower'} is better)`)
    const bfly = sampleInChild(suite, s.name, 'bfly')
    const baselines: Partial<Record<Baseline, number | null>> = {}
    for (const b of keys) {
      baselines[b] = null
      const m = s.baselines[b]
      if (typeof m === 'number') baselines[b] = m
      else if (typeof m === 'function') {
        try {
          baselines[b] = sampleInChild(suite, s.name, b)
        } catch (e) {
          console.error(`  !! ${s.name} ${b} could not run, recorded as null: ${String(e)}`)
        }
      }
    }
    results.push({ name: s.name, unit: s.unit, higher_is_better: s.higher_is_better, bfly, baselines })
  }
  return { suite, date, node: process.version, erlang, results }
}

/** Three significant digits with an SI suffix. */
export function fmt(v: number | null): string {
  if (v === null) return '-'
  const abs = Math.abs(v)
  if (abs >= 1e9) return `${(v / 1e9).toPrecision(3)}G`
  if (abs >= 1e6) return `${(v / 1e6).toPrecision(3)}M`
  if (abs >= 1e4) return `${(v / 1e3).toPrecision(3)}k`
  return v.toPrecision(3)
}

/** bfly / baseline, formatted, or '-' when the baseline did not run. */
function ratio(bfly: number, base: number | null): string {
  return base === null ? '-' : `${(bfly / base).toFixed(2)}x`
}

export function printTable(report: Report): void {
  // The report's baseline keys, in order of first appearance.
  const keys = [...new Set(report.results.flatMap((r) => Object.keys(r.baselines) as Baseline[]))]
  const head = ['name', 'unit', 'better', 'bfly', ...keys.flatMap((b) => [b, `/${b}`])]
  const rows = report.results.map((r) => [
    r.name,
    r.unit,
    r.higher_is_better ? 'higher' : 'lower',
    fmt(r.bfly),
    ...keys.flatMap((b) => [fmt(r.baselines[b] ?? null), ratio(r.bfly, r.baselines[b] ?? null)]),
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)))
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 3 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')
  console.log(`\nsuite ${report.suite}  node ${report.node}  erlang ${report.erlang ?? 'n/a'}`)
  console.log(line(head))
  console.log(line(widths.map((w) => '-'.repeat(w))))
  for (const r of rows) console.log(line(r))
  console.log(
    '/x = bfly / x. With "better: higher" a ratio above 1.00 means bfly is faster;' +
      ' with "better: lower" a ratio below 1.00 means bfly is better.\n',
  )
}

/** Writes tools/bench/results/<suite>.json atomically (via a .tmp file). */
export function writeReport(report: Report): string {
  const file = join(BENCH_DIR, 'results', `${report.suite}.json`)
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(`${file}.tmp`, `${JSON.stringify(report, null, 2)}\n`)
  renameSync(`${file}.tmp`, file)
  return file
}
