// The `stm` suite: atomically over TVars and withLocks, on one thread and
// contended by 4 threads (this one and 3 workers of tools/bench/stm_worker.ts).
// Baseline plain_js: a Map of versioned values with a version counter (one
// thread; it cannot be shared between threads), a SharedArrayBuffer futex
// mutex with Atomics (4 threads), and a promise mutex per name (one thread).
// Every run checks its own result (exact totals, no inconsistent snapshot).
import { Worker } from 'node:worker_threads'
import { atomically, encode, TVar } from '../../index.js'
import { check, measure, now, perSecond, type Report, RUNS, SCALE, type Spec, scaled, since } from './harness.js'
import { lockLoop, PlainLocks, PlainStm, plainIncrements, plainLockLoop, stmIncrements, stmReads } from './stm_work.js'
import type { Job } from './stm_worker.js'

export const SIZES = {
  uncontended: scaled(500_000),
  reads: scaled(1_000_000),
  /** Per thread, 4 threads. */
  contended: scaled(100_000),
  locks: scaled(200_000),
  /** Per thread, 4 threads. */
  locks_contended: scaled(20_000),
}
const THREADS = 4

// The workers, started once per measuring child and reused by every run.
let workers: Worker[] | null = null
function pool(): Worker[] {
  if (workers === null) {
    // A worker inherits no loader hooks: it starts through the bench's worker entry (tsx, bfly from dist/).
    const loader = new URL('./worker.mjs', import.meta.url)
    const entry = new URL('./stm_worker.ts', import.meta.url).href
    workers = Array.from({ length: THREADS - 1 }, () => new Worker(loader, { workerData: { entry } }))
  }
  return workers
}

/** Runs `job(t)` on workers 1..3 and `here()` on this thread; the total ops/s. */
async function onFour(job: (t: number) => Job, here: () => number | Promise<number>, ops: number): Promise<number> {
  const ws = pool()
  const start = now()
  const answers = ws.map(
    (w, i) =>
      new Promise<number>((resolve, reject) => {
        w.once('message', resolve)
        w.once('error', reject)
        w.postMessage(job(i + 1))
      }),
  )
  const mine = await here()
  const theirs = await Promise.all(answers)
  const ns = since(start)
  check(
    [mine, ...theirs].every((r) => r === job(0).n || r === 0),
    `a thread reported ${[mine, ...theirs]}`,
  )
  return perSecond(ops, ns)
}

async function bflyContended(): Promise<number> {
  const a = new TVar(0)
  const b = new TVar(0)
  const tvars = encode([a, b])
  const n = SIZES.contended
  const rate = await onFour(
    () => ({ kind: 'stm', tvars, n }),
    () => stmIncrements(a, b, n),
    THREADS * n,
  )
  const total = atomically((tx) => [tx.read(a), tx.read(b)]) as number[]
  check(total[0] === THREADS * n && total[1] === THREADS * n, `lost updates: ${total}`)
  return rate
}

async function plainContended(): Promise<number> {
  const m = new Int32Array(new SharedArrayBuffer(12))
  const n = SIZES.contended
  const rate = await onFour(
    () => ({ kind: 'plain_stm', m, n }),
    () => plainIncrements(m, n),
    THREADS * n,
  )
  check(m[1] === THREADS * n && m[2] === THREADS * n, `lost updates: ${m[1]}`)
  return rate
}

async function bflyLocksContended(): Promise<number> {
  const n = SIZES.locks_contended
  return onFour(
    (t) => ({ kind: 'locks', t, n }),
    () => lockLoop(0, n),
    THREADS * n,
  )
}

async function plainLocksContended(): Promise<number> {
  const m = new Int32Array(new SharedArrayBuffer(20))
  const n = SIZES.locks_contended
  const rate = await onFour(
    (t) => ({ kind: 'plain_locks', m, t, n }),
    () => plainLockLoop(m, 0, n),
    THREADS * n,
  )
  check(m[4] === THREADS * n, `lock count ${m[4]}`)
  return rate
}

export function specs(): Spec[] {
  return [
    {
      name: 'stm_uncontended_2r2w',
      unit: 'tx/s',
      higher_is_better: true,
      bfly: async () => {
        const [a, b] = [new TVar(0), new TVar(0)]
        const n = SIZES.uncontended
        const start = now()
        check(stmIncrements(a, b, n) === 0, 'inconsistent snapshot')
        const rate = perSecond(n, since(start))
        check(atomically((tx) => tx.read(a)) === n, 'lost updates')
        return rate
      },
      baselines: {
        plain_js: async () => {
          const s = new PlainStm()
          s.add(1, 0)
          s.add(2, 0)
          const n = SIZES.uncontended
          const start = now()
          for (let i = 0; i < n; i++) s.increment(1, 2)
          const rate = perSecond(n, since(start))
          check(s.vars.get(1)?.v === n, 'lost updates')
          return rate
        },
      },
    },
    {
      name: 'stm_uncontended_read',
      unit: 'tx/s',
      higher_is_better: true,
      bfly: async () => {
        const a = new TVar(1)
        const n = SIZES.reads
        const start = now()
        check(stmReads(a, n) === n, 'wrong sum')
        return perSecond(n, since(start))
      },
      baselines: { plain_js: null },
    },
    {
      name: 'stm_contended_4_threads',
      unit: 'tx/s',
      higher_is_better: true,
      bfly: bflyContended,
      baselines: { plain_js: plainContended },
    },
    {
      name: 'withlocks_uncontended',
      unit: 'acquisitions/s',
      higher_is_better: true,
      bfly: async () => {
        const n = SIZES.locks
        const start = now()
        check((await lockLoop(0, n)) === n, 'lost acquisitions')
        return perSecond(n, since(start))
      },
      baselines: {
        plain_js: async () => {
          const l = new PlainLocks()
          const n = SIZES.locks
          let ran = 0
          const start = now()
          for (let i = 0; i < n; i++) await l.with(['L0', 'L1'], () => ran++)
          check(ran === n, 'lost acquisitions')
          return perSecond(n, since(start))
        },
      },
    },
    {
      name: 'withlocks_contended_4_threads',
      unit: 'acquisitions/s',
      higher_is_better: true,
      bfly: bflyLocksContended,
      baselines: { plain_js: plainLocksContended },
    },
  ]
}

export async function run(): Promise<Report> {
  if (SCALE !== 1) console.error(`BENCH_SCALE=${SCALE}: smoke run, counts are scaled`)
  console.error(`stm: median of ${RUNS}, ${THREADS} threads for the contended results`)
  return measure('stm', null, specs(), ['plain_js'])
}
