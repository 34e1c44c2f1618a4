// withLocks (API.md, STM): every lock or none, held until fn settles,
// timeouts, and a stress from processes on several threads.
import { Worker } from 'node:worker_threads'
import test from 'ava'
import { TimeoutError, withLocks } from '../index.ts'
import { hammer, NAMES, type Tally } from './fixtures/lock-hammer.ts'
import { deferred, LONG, SHORT, within } from './helpers.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

test('withLocks resolves with fn’s result, rejects with its error, and releases either way', async (t) => {
  t.is(await withLocks(['r1', 'r2'], () => 42), 42)
  t.is(await withLocks(['r1'], async () => 'later'), 'later')
  await t.throwsAsync(
    withLocks(['r1'], () => {
      throw new RangeError('sync')
    }),
    { instanceOf: RangeError },
  )
  await t.throwsAsync(
    withLocks(['r1', 'r2'], async () => Promise.reject(new RangeError('async'))),
    {
      instanceOf: RangeError,
    },
  )
  t.is(await withLocks(['r1', 'r2'], () => 'free again', { timeout: LONG }), 'free again')
})

test('the locks are held until fn’s returned promise settles', async (t) => {
  const order: string[] = []
  const release = deferred()
  const first = withLocks(['h1'], async () => {
    order.push('first in')
    await release.promise
    order.push('first out')
  })
  const second = withLocks(['h1', 'h2'], () => order.push('second in'))
  await sleep(SHORT)
  t.deepEqual(order, ['first in'])
  release.resolve()
  await within(Promise.all([first, second]), 'both to finish')
  t.deepEqual(order, ['first in', 'first out', 'second in'])
})

test('a waiting request holds nothing: no partial acquisition is visible', async (t) => {
  const release = deferred()
  const holdB = withLocks(['p-b'], () => release.promise)
  let bothRan = false
  const both = withLocks(['p-a', 'p-b'], () => {
    bothRan = true
  })
  await sleep(10)
  // p-a is free although a request for [p-a, p-b] is waiting.
  t.is(
    await within(
      withLocks(['p-a'], () => 'a alone', { timeout: LONG }),
      'p-a to be free',
    ),
    'a alone',
  )
  t.false(bothRan)
  release.resolve()
  await within(Promise.all([holdB, both]), 'the waiting request to run')
  t.true(bothRan)
})

test('a timeout rejects with TimeoutError and takes nothing', async (t) => {
  const release = deferred()
  const holder = withLocks(['t-x'], () => release.promise)
  const err = await t.throwsAsync(
    withLocks(['t-y', 't-x'], () => 'never', { timeout: 20 }),
    {
      instanceOf: TimeoutError,
    },
  )
  t.regex(err?.message ?? '', /none was taken/)
  t.is(await withLocks(['t-y'], () => 'y free', { timeout: LONG }), 'y free')
  release.resolve()
  await holder
  t.is(await withLocks(['t-x', 't-y'], () => 'both free', { timeout: LONG }), 'both free')
})

test('the locks of a worker thread that ends are released', async (t) => {
  const worker = new Worker(new URL('./fixtures/tsx-worker.mjs', import.meta.url), {
    workerData: { entry: new URL('./fixtures/lock-holder.ts', import.meta.url).href, names: ['w-1', 'w-2'] },
  })
  await within(new Promise((r) => worker.once('message', r)), 'the worker to take its locks')
  await t.throwsAsync(
    withLocks(['w-2'], () => 1, { timeout: 20 }),
    { instanceOf: TimeoutError },
  )
  const waiting = withLocks(['w-1', 'w-2'], () => 'released', { timeout: LONG })
  await worker.terminate()
  t.is(await waiting, 'released')
})

test('bad arguments are TypeErrors', async (t) => {
  await t.throwsAsync(
    withLocks('a' as unknown as string[], () => 1),
    { instanceOf: TypeError },
  )
  await t.throwsAsync(
    withLocks([''], () => 1),
    { instanceOf: TypeError },
  )
  await t.throwsAsync(
    withLocks([1 as unknown as string], () => 1),
    { instanceOf: TypeError },
  )
  await t.throwsAsync(withLocks(['a'], 'f' as unknown as () => 1), { instanceOf: TypeError })
  await t.throwsAsync(
    withLocks(['a'], () => 1, { timeout: -1 }),
    { instanceOf: TypeError },
  )
  await t.throwsAsync(
    withLocks(['a'], () => 1, { timeout: Number.NaN }),
    { instanceOf: TypeError },
  )
})

test.serial('random overlapping sets from many processes on 3 threads: exclusive, no deadlock', async (t) => {
  const owners = new Int32Array(new SharedArrayBuffer(4 * NAMES.length))
  const procs = 8
  const iters = 60
  const workers = [1, 2].map(
    (seed) =>
      new Worker(new URL('./fixtures/tsx-worker.mjs', import.meta.url), {
        workerData: {
          entry: new URL('./fixtures/lock-worker.ts', import.meta.url).href,
          owners,
          procs,
          iters,
          seed: seed * 7919,
        },
      }),
  )
  const fromWorkers = workers.map(
    (w) =>
      new Promise<Tally>((resolve, reject) => {
        w.once('message', resolve)
        w.once('error', reject)
      }),
  )
  // The watchdog: a deadlock fails the test instead of hanging it.
  const tallies = await within(
    Promise.all([hammer(owners, procs, iters, 3), ...fromWorkers]),
    'every process to finish its lock requests',
    60_000,
  )
  t.is(
    tallies.reduce((n, x) => n + x.violations, 0),
    0,
    'no name was ever held twice',
  )
  t.is(
    tallies.reduce((n, x) => n + x.done + x.timeouts, 0),
    3 * procs * iters,
  )
  t.true(tallies.every((x) => x.done > 0))
  t.is(await withLocks(NAMES, () => 'all free', { timeout: LONG }), 'all free', 'nothing is left held')
  await Promise.all(workers.map((w) => w.terminate()))
})
