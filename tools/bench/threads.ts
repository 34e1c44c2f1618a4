// The `threads` suite: processes on pool worker threads.
// - stream (msgs/s): a main-thread process sends objects to a pool process,
//   which checks their order; vs postMessage of the same objects to a worker.
// - pingpong (roundtrips/s): [from, object] to a pool echo and back; vs a
//   postMessage round trip with a worker.
// - fanout_1_thread / fanout_2_threads (jobs/s): CPU-bound jobs spawned as
//   pool processes on a pool of 1 and of 2 workers; vs the same jobs posted
//   round-robin to 1 and 2 plain workers. fanout_scaling_2_vs_1 is the ratio
//   of the two, for bfly and for the baseline (derived in the same run).
import type { Worker } from 'node:worker_threads'
import { configurePool, type Process, type SpawnSpec, spawn } from '../../index.js'
import { check, measure, now, perSecond, type Report, RUNS, SCALE, type Spec, scaled, since } from './harness.js'
import { crunch, item } from './threads_bodies.js'
import { nextFrom, plainWorker } from './threads_pm.js'

export const SIZES = {
  stream: scaled(1_000_000),
  pingpong: scaled(20_000),
  fanout_jobs: scaled(200),
  /** Steps per fan-out job (a few ms of CPU each). */
  fanout_steps: 400_000,
}

const BODIES = new URL('./threads_bodies.ts', import.meta.url).href
const body = (fn: string, ...args: unknown[]): SpawnSpec => ({ module: BODIES, fn, args })

/** Runs `fn` in a main-thread process and resolves with its result. */
function inProcess<T>(fn: (p: Process) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    spawn(async (p) => {
      try {
        resolve(await fn(p))
      } catch (e) {
        reject(e)
      }
    })
  })
}

async function bflyStream(): Promise<number> {
  configurePool({ size: 1 })
  const n = SIZES.stream
  return inProcess(async (p) => {
    const sink = spawn(body('sink', p.self, n), { thread: 'pool' })
    check((await p.receive()) === 'ready', 'sink did not start')
    const start = now()
    for (let i = 0; i < n; i++) p.send(sink, item(i))
    const m = (await p.receive()) as ['done', boolean]
    const ns = since(start)
    check(m[1] === true, 'stream out of order')
    return perSecond(n, ns)
  })
}

const pmWorkers: Worker[] = []
function plain(k: number): Worker[] {
  while (pmWorkers.length < k) pmWorkers.push(plainWorker())
  return pmWorkers.slice(0, k)
}

async function pmStream(): Promise<number> {
  const [w] = plain(1)
  const n = SIZES.stream
  w.ref()
  w.postMessage({ cmd: 'stream', n })
  check((await nextFrom(w)) === 'ready', 'worker did not start')
  const done = nextFrom<['done', boolean]>(w)
  const start = now()
  for (let i = 0; i < n; i++) w.postMessage(item(i))
  const m = await done
  const ns = since(start)
  w.unref()
  check(m[1] === true, 'stream out of order')
  return perSecond(n, ns)
}

async function bflyPingpong(): Promise<number> {
  configurePool({ size: 1 })
  const n = SIZES.pingpong
  return inProcess(async (p) => {
    const echo = spawn(body('echo', p.self), { thread: 'pool' })
    check((await p.receive()) === 'ready', 'echo did not start')
    const start = now()
    for (let i = 0; i < n; i++) {
      p.send(echo, [p.self, item(i)])
      const m = (await p.receive()) as { seq: number }
      if (m.seq !== i) check(false, `round trip ${i} answered ${m.seq}`)
    }
    const ns = since(start)
    p.send(echo, 'stop')
    return perSecond(n, ns)
  })
}

async function pmPingpong(): Promise<number> {
  const [w] = plain(1)
  const n = SIZES.pingpong
  w.ref()
  // One listener for the whole run (a once() per round trip would pile up 'error' listeners).
  let answer: (m: { seq: number }) => void = () => {}
  const onMessage = (m: { seq: number }) => answer(m)
  w.on('message', onMessage)
  const start = now()
  for (let i = 0; i < n; i++) {
    const m = await new Promise<{ seq: number }>((resolve) => {
      answer = resolve
      w.postMessage({ cmd: 'echo', x: item(i) })
    })
    if (m.seq !== i) check(false, `round trip ${i} wrong`)
  }
  const ns = since(start)
  w.off('message', onMessage)
  w.unref()
  return perSecond(n, ns)
}

const EXPECT = crunch(SIZES.fanout_steps)

async function bflyFanout(threads: number): Promise<number> {
  configurePool({ size: threads })
  const jobs = SIZES.fanout_jobs
  return inProcess(async (p) => {
    const start = now()
    for (let i = 0; i < jobs; i++) spawn(body('job', p.self, SIZES.fanout_steps), { thread: 'pool' })
    for (let i = 0; i < jobs; i++) {
      const m = (await p.receive()) as ['done', number]
      if (m[1] !== EXPECT) check(false, `job answered ${m[1]}`)
    }
    return perSecond(jobs, since(start))
  })
}

async function pmFanout(threads: number): Promise<number> {
  const ws = plain(threads)
  const jobs = SIZES.fanout_jobs
  let left = jobs
  let bad = 0
  const all = new Promise<void>((resolve) => {
    for (const w of ws) {
      w.ref()
      w.on('message', (m: ['done', number]) => {
        if (m[1] !== EXPECT) bad++
        if (--left === 0) resolve()
      })
    }
  })
  const start = now()
  for (let i = 0; i < jobs; i++) ws[i % threads].postMessage({ cmd: 'job', n: SIZES.fanout_steps })
  await all
  const ns = since(start)
  for (const w of ws) {
    w.removeAllListeners('message')
    w.unref()
  }
  check(bad === 0, `${bad} jobs answered wrong`)
  return perSecond(jobs, ns)
}

export function specs(): Spec[] {
  return [
    {
      name: 'stream',
      unit: 'msgs/s',
      higher_is_better: true,
      bfly: bflyStream,
      baselines: { post_message: pmStream },
    },
    {
      name: 'pingpong',
      unit: 'roundtrips/s',
      higher_is_better: true,
      bfly: bflyPingpong,
      baselines: { post_message: pmPingpong },
    },
    {
      name: 'fanout_1_thread',
      unit: 'jobs/s',
      higher_is_better: true,
      bfly: () => bflyFanout(1),
      baselines: { post_message: () => pmFanout(1) },
    },
    {
      name: 'fanout_2_threads',
      unit: 'jobs/s',
      higher_is_better: true,
      bfly: () => bflyFanout(2),
      baselines: { post_message: () => pmFanout(2) },
    },
  ]
}

export async function run(): Promise<Report> {
  if (SCALE !== 1) console.error(`BENCH_SCALE=${SCALE}: smoke run, counts are scaled`)
  console.error(`threads: median of ${RUNS}`)
  const report = measure('threads', null, specs(), ['post_message'], { interleave: true, warmEach: true })
  // The scaling from 1 to 2 threads, from the two results just measured.
  const one = report.results.find((r) => r.name === 'fanout_1_thread')
  const two = report.results.find((r) => r.name === 'fanout_2_threads')
  if (one !== undefined && two !== undefined) {
    const b1 = one.baselines.post_message ?? null
    const b2 = two.baselines.post_message ?? null
    report.results.push({
      name: 'fanout_scaling_2_vs_1',
      unit: 'x (2 threads / 1 thread)',
      higher_is_better: true,
      bfly: two.bfly / one.bfly,
      baselines: { post_message: b1 === null || b2 === null ? null : b2 / b1 },
    })
  }
  return report
}
