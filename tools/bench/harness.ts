// Shared benchmark harness: timing, warm-up, medians of N runs with their
// min/max, child processes, table, JSON. Nothing here asserts a time: it
// only measures and reports.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

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
  | 'bfly_before'
/** The default baseline keys of a report (local's; a suite may pass its own to `measure`). */
export const BASELINES: readonly Baseline[] = ['plain_js', 'erlang', 'nact', 'moleculer']

/** The runs of one measurement: their median, min and max. */
export interface Stat {
  median: number
  min: number
  max: number
}

export interface Result {
  name: string
  unit: string
  higher_is_better: boolean
  /** bfly's median. */
  bfly: number
  /** Every key of the suite's baselines: its median, or null when it did not run. */
  baselines: Partial<Record<Baseline, number | null>>
  /** [min, max] of the runs behind each median (bfly and each baseline that ran). */
  range?: Partial<Record<Baseline | 'bfly', [number, number]>>
  /** Baselines that did not run, with why. */
  skipped?: Partial<Record<Baseline, string>>
}

export interface Report {
  suite: string
  date: string
  node: string
  erlang: string | null
  /** Timed runs behind each median. */
  runs?: number
  /** The 1-minute load average when the suite started and ended (the
   * machine is shared: read ratios, not absolute values). */
  load?: [number, number]
  results: Result[]
  /** Extra lines printed under the table (breakdowns, idle CPU). */
  notes?: string[]
}

/** BENCH_SCALE: smoke runs scale their counts by it (use 1 for real numbers). */
export const SCALE = positiveNumber(process.env.BENCH_SCALE, 1)

/** `n` scaled by BENCH_SCALE, at least 1. */
export function scaled(n: number): number {
  return Math.max(1, Math.round(n * SCALE))
}

/** Timed runs per measurement (their median is kept, with min/max), after one warm-up. */
export const RUNS = positiveInt(process.env.BENCH_RUNS, 5)

/** BENCH_WARMUP=0: no warm-up run (interleaved measurements warm up once). */
const WARMUP = process.env.BENCH_WARMUP !== '0'

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url))
export const REPO_DIR = dirname(dirname(BENCH_DIR))

/** The `--import` flags of a bench child of checkout `tree`: tsx for the bench's TypeScript and, when `tree`
 * has it, tools/bench/dist.mjs, which loads bfly itself as compiled into `tree`'s dist/, as users get it. */
export function loaderFlags(tree = REPO_DIR): string[] {
  const dist = join(tree, 'tools', 'bench', 'dist.mjs')
  return existsSync(dist) ? ['--import=tsx', `--import=${pathToFileURL(dist).href}`] : ['--import=tsx']
}

/** Compiles `tree`'s dist/ (what loader.mjs runs), when it has the script for it. */
export function buildDist(tree = REPO_DIR): void {
  const script = join(tree, 'scripts', 'build-ts.mjs')
  if (!existsSync(script)) return
  const r = spawnSync(process.execPath, [script], { cwd: tree, stdio: 'inherit' })
  if (r.status !== 0) throw new Error(`bench: compiling ${tree}/dist failed`)
}

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

/** The median (mean of the middle two for an even count), min and max. */
export function stat(values: number[]): Stat {
  check(values.length > 0, 'no runs')
  const v = [...values].sort((a, b) => a - b)
  const mid = v.length >> 1
  const median = v.length % 2 === 1 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2
  return { median, min: v[0] as number, max: v[v.length - 1] as number }
}

/**
 * One warm-up run, then RUNS timed runs: their median, min and max (the
 * best of three hid bimodal results). `sample` returns the value in the
 * result's unit. No forced GC between runs: each sampler has a process of
 * its own, and a forced full GC resets V8's heap sizing, which made the
 * 10k-process ring swing by 2x from run to run.
 */
export async function sampleRuns(label: string, sample: () => Promise<number>): Promise<Stat & { values: number[] }> {
  const values: number[] = []
  for (let i = WARMUP ? 0 : 1; i <= RUNS; i++) {
    current = `${label} (${i === 0 ? 'warm-up' : `run ${i}/${RUNS}`})`
    const v = await sample()
    check(Number.isFinite(v) && v > 0, `${label} gave ${v}`)
    if (i > 0) values.push(v)
  }
  current = ''
  const s = stat(values)
  console.error(`  ${label.padEnd(34)} ${values.map(fmt).join('  ')}  -> median ${fmt(s.median)}`)
  return { ...s, values }
}

/** One result: how to measure bfly and each baseline (absent = null). */
export interface Spec {
  name: string
  unit: string
  higher_is_better: boolean
  bfly: () => Promise<number>
  baselines: Partial<Record<Baseline, (() => Promise<number>) | Stat | number | null>>
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
 * values of its runs, or throws if the child failed. `env` adds to the
 * child's environment (BENCH_RUNS, BENCH_WARMUP for interleaving).
 */
export function sampleInChild(suite: string, name: string, impl: string, env: Record<string, string> = {}): number[] {
  // bfly_before: bfly as another checkout has it (BENCH_BEFORE), measured by that checkout's own bench.
  const tree = impl === 'bfly_before' ? (process.env.BENCH_BEFORE ?? '') : REPO_DIR
  const child = spawnSync(
    process.execPath,
    [
      ...loaderFlags(tree),
      join(tree, 'tools', 'bench', 'child.ts'),
      suite,
      name,
      impl === 'bfly_before' ? 'bfly' : impl,
    ],
    {
      cwd: tree,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 24,
      // The other checkout builds its own tools (the link-alone binary).
      env: { ...process.env, ...env, ...(impl === 'bfly_before' ? { BFLY_BENCH_LINKBENCH: '' } : {}) },
    },
  )
  const last = child.stdout.trim().split('\n').pop() ?? ''
  if (child.status !== 0 || !last.startsWith('{')) {
    throw new Error(`${suite}/${name} ${impl}: child exited with ${child.status ?? child.signal}`)
  }
  return (JSON.parse(last) as { values: number[] }).values
}

/** How `measure` orders the runs of one result. */
export interface MeasureOptions {
  /**
   * Interleaved: run 1 of bfly, run 1 of each baseline, run 2 of bfly, ...
   * each in a fresh child (the first after a warm-up), so a change in the
   * shared machine's load falls on every implementation alike and the
   * ratios stay fair. Otherwise every run of one implementation happens in
   * one child, one implementation after the other.
   */
  interleave?: boolean
  /**
   * With `interleave`: every child warms up before its run, not only the first. For suites whose runs are
   * in-process (threads): a fresh child timed cold spends its first round trips in JIT tiering, which cost
   * bfly (more JS per hop) more than its baseline (C++ serialization). Not for suites whose samples start
   * fresh OS processes (remote), which a warm-up in the child cannot warm.
   */
  warmEach?: boolean
}

/**
 * Measures each spec (bfly, then its baselines), each in its own child, as
 * the median of RUNS runs with their min/max. A baseline given as a number
 * or Stat was measured out of process in this run (Erlang); one that fails
 * or was not measured is recorded as null and said so (in the table too).
 * bfly failing fails the suite. `keys` are the report's baseline keys
 * (default: local's).
 */
export function measure(
  suite: string,
  erlang: string | null,
  specs: Spec[],
  baselineKeys: readonly Baseline[] = BASELINES,
  opts: MeasureOptions = {},
): Report {
  let keys = baselineKeys
  const date = new Date().toISOString()
  const loadStart = loadavg()[0] as number
  const results: Result[] = []
  for (const s of specs) {
    console.error(`${suite}/${s.name} (${s.unit}, ${s.higher_is_better ? 'higher' : 'lower'} is better)`)
    const impls: string[] = ['bfly']
    // BENCH_BEFORE=<checkout>: that checkout's bfly, interleaved with this one's (a before/after in one run).
    if (process.env.BENCH_BEFORE && !keys.includes('bfly_before')) keys = ['bfly_before', ...keys]
    const skipped: Partial<Record<Baseline, string>> = {}
    const given: Partial<Record<Baseline, Stat>> = {}
    for (const b of keys) {
      const m = s.baselines[b]
      if (typeof m === 'function' || (b === 'bfly_before' && m === undefined)) impls.push(b)
      else if (typeof m === 'number') given[b] = { median: m, min: m, max: m }
      else if (m !== undefined && m !== null) given[b] = m
      else if (m === null)
        skipped[b] = b.startsWith('erlang') ? 'not measured (erl missing or its run failed)' : 'not measured'
      else skipped[b] = 'no such baseline'
    }
    const values = new Map<string, number[]>(impls.map((i) => [i, []]))
    const failed = new Map<string, string>()
    const once = (impl: string, env: Record<string, string>) => {
      if (failed.has(impl)) return
      try {
        values.get(impl)?.push(...sampleInChild(suite, s.name, impl, env))
      } catch (e) {
        if (impl === 'bfly') throw e
        failed.set(impl, String(e))
        console.error(`  !! ${s.name} ${impl} could not run, recorded as null: ${String(e)}`)
      }
    }
    if (opts.interleave) {
      for (let i = 0; i < RUNS; i++) {
        for (const impl of impls) once(impl, { BENCH_RUNS: '1', BENCH_WARMUP: i === 0 || opts.warmEach ? '1' : '0' })
      }
    } else for (const impl of impls) once(impl, {})
    const bfly = stat(values.get('bfly') ?? [])
    const range: Partial<Record<Baseline | 'bfly', [number, number]>> = { bfly: [bfly.min, bfly.max] }
    const baselines: Partial<Record<Baseline, number | null>> = {}
    for (const b of keys) {
      const v = values.get(b)
      const st = given[b] ?? (v !== undefined && v.length > 0 && !failed.has(b) ? stat(v) : undefined)
      baselines[b] = st?.median ?? null
      if (st !== undefined) range[b] = [st.min, st.max]
      else if (failed.has(b)) skipped[b] = `failed: ${failed.get(b)}`
    }
    if (opts.interleave) {
      console.error(
        `  medians: ${impls.map((i) => `${i} ${fmt(i === 'bfly' ? bfly.median : (baselines[i as Baseline] ?? null))}`).join(', ')}`,
      )
    }
    results.push({
      name: s.name,
      unit: s.unit,
      higher_is_better: s.higher_is_better,
      bfly: bfly.median,
      baselines,
      range,
      skipped,
    })
  }
  return { suite, date, node: process.version, erlang, runs: RUNS, load: [loadStart, loadavg()[0] as number], results }
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

/** A median with its run range, e.g. `19.8k [18.1k-20.3k]`. */
function cell(v: number | null, range: [number, number] | undefined): string {
  if (v === null) return '-'
  return range === undefined || range[0] === range[1] ? fmt(v) : `${fmt(v)} [${fmt(range[0])}-${fmt(range[1])}]`
}

export function printTable(report: Report): void {
  // The report's baseline keys, in order of first appearance.
  const keys = [...new Set(report.results.flatMap((r) => Object.keys(r.baselines) as Baseline[]))]
  const head = ['name', 'unit', 'better', 'bfly', ...keys.flatMap((b) => [b, `/${b}`])]
  const rows = report.results.map((r) => [
    r.name,
    r.unit,
    r.higher_is_better ? 'higher' : 'lower',
    cell(r.bfly, r.range?.bfly),
    ...keys.flatMap((b) => [cell(r.baselines[b] ?? null, r.range?.[b]), ratio(r.bfly, r.baselines[b] ?? null)]),
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)))
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 3 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')
  const load =
    report.load === undefined ? '' : `  load ${report.load[0].toFixed(2)} -> ${report.load[1].toFixed(2)} (1-min avg)`
  const runs = report.runs === undefined ? '' : `  median of ${report.runs} runs [min-max]`
  console.log(`\nsuite ${report.suite}  node ${report.node}  erlang ${report.erlang ?? 'n/a'}${runs}${load}`)
  console.log(line(head))
  console.log(line(widths.map((w) => '-'.repeat(w))))
  for (const r of rows) console.log(line(r))
  console.log(
    '/x = bfly / x (of the medians). With "better: higher" a ratio above 1.00 means bfly is faster;' +
      ' with "better: lower" a ratio below 1.00 means bfly is better.',
  )
  const skipped = new Map<string, string[]>()
  for (const r of report.results) {
    for (const [b, why] of Object.entries(r.skipped ?? {})) {
      if (why === 'no such baseline') continue
      const k = `${b}: ${why}`
      skipped.set(k, [...(skipped.get(k) ?? []), r.name])
    }
  }
  for (const [k, names] of skipped) console.log(`SKIPPED ${k} (${names.join(', ')})`)
  for (const n of report.notes ?? []) console.log(n)
  console.log('')
}

/** Writes tools/bench/results/<suite>.json atomically (via a .tmp file). */
export function writeReport(report: Report): string {
  const file = join(BENCH_DIR, 'results', `${report.suite}.json`)
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(`${file}.tmp`, `${JSON.stringify(report, null, 2)}\n`)
  renameSync(`${file}.tmp`, file)
  return file
}
