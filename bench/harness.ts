// Shared benchmark harness: timing, warm-up, best-of-N, GC, table, JSON.
// Nothing here asserts a time: it only measures and reports.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

export const BASELINES = ['plain_js', 'erlang', 'nact', 'moleculer'] as const
export type Baseline = (typeof BASELINES)[number]

export interface Result {
  name: string
  unit: string
  higher_is_better: boolean
  bfly: number
  baselines: Record<Baseline, number | null>
}

export interface Report {
  suite: string
  date: string
  node: string
  erlang: string | null
  results: Result[]
}

/** Timed runs per measurement (the best one is kept), after one warm-up. */
export const RUNS = positiveInt(process.env.BENCH_RUNS, 3)

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url))
export const REPO_DIR = dirname(BENCH_DIR)

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

let gcFn: (() => void) | undefined
/** A full GC between runs so one run's garbage is not billed to the next. */
export function collectGarbage(): void {
  if (gcFn === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc
    if (exposed !== undefined) gcFn = exposed
    else {
      setFlagsFromString('--expose-gc')
      gcFn = runInNewContext('gc') as () => void
    }
  }
  gcFn()
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
export let current = ''
process.on('beforeExit', () => {
  if (current !== '') {
    console.error(`benchmark stalled: ${current} (event loop drained before it finished)`)
    process.exitCode = 1
  }
})

/**
 * One warm-up run, then RUNS timed runs; keeps the best (the max when higher
 * is better, else the min). `sample` returns the value in the result's unit.
 */
export async function best(label: string, higherIsBetter: boolean, sample: () => Promise<number>): Promise<number> {
  const values: number[] = []
  for (let i = 0; i <= RUNS; i++) {
    current = `${label} (${i === 0 ? 'warm-up' : `run ${i}/${RUNS}`})`
    collectGarbage()
    const v = await sample()
    check(Number.isFinite(v) && v > 0, `${label} gave ${v}`)
    if (i > 0) values.push(v)
  }
  current = ''
  const pick = higherIsBetter ? Math.max(...values) : Math.min(...values)
  console.error(`  ${label.padEnd(34)} ${values.map(fmt).join('  ')}  -> ${fmt(pick)}`)
  return pick
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
  const head = ['name', 'unit', 'better', 'bfly', ...BASELINES.flatMap((b) => [b, `/${b}`])]
  const rows = report.results.map((r) => [
    r.name,
    r.unit,
    r.higher_is_better ? 'higher' : 'lower',
    fmt(r.bfly),
    ...BASELINES.flatMap((b) => [fmt(r.baselines[b]), ratio(r.bfly, r.baselines[b])]),
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

/** Writes bench/results/<suite>.json atomically (via a .tmp file). */
export function writeReport(report: Report): string {
  const file = join(BENCH_DIR, 'results', `${report.suite}.json`)
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(`${file}.tmp`, `${JSON.stringify(report, null, 2)}\n`)
  renameSync(`${file}.tmp`, file)
  return file
}
