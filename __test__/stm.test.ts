// STM (API.md, STM): atomically over TVars, retry, orElse, and TVars
// shared with processes on other threads.
import test from 'ava'
import { atomically, decode, encode, NotPortableError, type Pid, StmError, send, TVar } from '../index.ts'
import { stmIncrements } from '../tools/bench/stm_work.ts'
import { deferred, LONG, next, run, SHORT, startFixture, tagged, within } from './helpers.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

test('atomically returns the result synchronously; reads see own writes; reads are decoded copies', (t) => {
  const v = new TVar({ list: [1, 2], big: 1n })
  const r = atomically((tx) => {
    const x = tx.read(v)
    x.list.push(3) // a copy: the TVar does not change
    t.deepEqual(tx.read(v).list, [1, 2])
    tx.write(v, { list: [9], big: x.big + 1n })
    return tx.read(v)
  })
  t.deepEqual(r, { list: [9], big: 2n })
  t.deepEqual(
    atomically((tx) => tx.read(v)),
    { list: [9], big: 2n },
  )
})

test('an exception discards the writes and propagates; a non-portable write loses nothing', (t) => {
  const v = new TVar(1)
  t.throws(
    () =>
      atomically((tx) => {
        tx.write(v, 2)
        throw new RangeError('boom')
      }),
    { instanceOf: RangeError, message: 'boom' },
  )
  const err = t.throws(() => atomically((tx) => tx.write(v as TVar<unknown>, { f: () => 1 })), {
    instanceOf: NotPortableError,
  })
  t.is(err?.path, 'value.f')
  t.throws(() => new TVar(undefined), { instanceOf: NotPortableError })
  t.is(
    atomically((tx) => tx.read(v)),
    1,
  )
})

test('nested atomically, async bodies and a tx used after its body are clear errors', async (t) => {
  const v = new TVar(0)
  t.throws(
    () =>
      atomically((tx) => {
        tx.write(v, 1)
        return atomically((tx2) => tx2.read(v))
      }),
    { instanceOf: StmError, message: /cannot be nested/ },
  )
  t.throws(
    () =>
      atomically(async (tx) => {
        tx.write(v, 2)
        await sleep(1)
        tx.write(v, 3)
      }),
    { instanceOf: StmError, message: /returned a promise/ },
  )
  let kept: { read(tv: TVar<number>): number } | undefined
  atomically((tx) => {
    kept = tx
  })
  t.throws(() => kept?.read(v), { instanceOf: StmError, message: /transaction is over/ })
  t.throws(() => atomically((tx) => tx.retry()), { instanceOf: StmError, message: /read no TVar/ })
  t.throws(() => atomically((tx) => tx.read({} as TVar<number>)), { instanceOf: TypeError })
  await sleep(5)
  t.is(
    atomically((tx) => tx.read(v)),
    0,
    'nothing any of them wrote is visible',
  )
})

test('retry wakes on a change to what it read, and not before', async (t) => {
  const flag = new TVar(0)
  const other = new TVar(0)
  let settled = false
  const p = atomically((tx) => {
    tx.write(other, -1) // a retried run's writes are never visible
    const f = tx.read(flag)
    if (f < 3) tx.retry()
    return f
  })
  t.true(p instanceof Promise)
  void Promise.resolve(p).then(() => {
    settled = true
  })
  atomically((tx) => tx.write(flag, 1)) // changes, but the body retries again
  atomically((tx) => tx.write(other, 5)) // not read by the body (its own write was discarded)
  await sleep(SHORT)
  t.false(settled, 'still waiting')
  t.is(
    atomically((tx) => tx.read(other)),
    5,
  )
  atomically((tx) => tx.write(flag, 3))
  t.is(await within(Promise.resolve(p), 'the retry to wake'), 3)
  t.is(
    atomically((tx) => tx.read(other)),
    -1,
    'the committed run wrote',
  )
})

test('orElse runs the second branch when the first retries, undoing its writes', async (t) => {
  const a = new TVar<number | null>(null)
  const b = new TVar<number | null>(7)
  const log = new TVar<string[]>([])
  const take = (from: TVar<number | null>) => (tx: Parameters<Parameters<typeof atomically>[0]>[0]) => {
    tx.write(log, [...tx.read(log), 'tried'])
    const v = tx.read(from)
    if (v === null) tx.retry()
    tx.write(from, null)
    return v
  }
  t.is(
    atomically((tx) => tx.orElse(take(a), take(b))),
    7,
  )
  t.deepEqual(
    atomically((tx) => tx.read(log)),
    ['tried'],
    "the first branch's write was undone",
  )
  // Both retry: the transaction waits on what either read, and a write to a wakes it.
  const p = atomically((tx) => tx.orElse(take(a), take(b)))
  t.true(p instanceof Promise)
  atomically((tx) => tx.write(a, 1))
  t.is(await within(Promise.resolve(p), 'orElse to wake on the first branch'), 1)
})

test('a TVar survives encoding: decoded on this thread it is the same variable', (t) => {
  const v = new TVar(1)
  const copy = decode(encode({ v })) as { v: TVar<number> }
  t.true(copy.v.equals(v))
  atomically((tx) => tx.write(copy.v, 2))
  t.is(
    atomically((tx) => tx.read(v)),
    2,
  )
})

/** The next `count` answers tagged `tag` (a process has one receive at a time). */
async function answers(p: Parameters<Parameters<typeof run>[0]>[0], tag: string, count: number): Promise<unknown[][]> {
  const out: unknown[][] = []
  for (let i = 0; i < count; i++) {
    const m = await next(p, tagged(tag), 60_000)
    if (!Array.isArray(m)) throw new Error(`only ${i} of ${count} ${tag} answers came`)
    out.push(m)
  }
  return out
}

test.serial('lost-update stress: 4 threads x 100,000 increments of shared TVars, exact total', async (t) => {
  const n = 100_000
  const a = new TVar(0)
  const b = new TVar(0)
  const workers = await Promise.all([0, 1, 2].map(() => startFixture('stm-worker')))
  const results = await run(async (p) => {
    for (const { pid } of workers) send(pid, ['inc', p.self, a, b, n])
    // The fourth thread is this one.
    const mine = stmIncrements(a, b, n)
    return [mine, ...(await answers(p, 'inc-done', workers.length)).map((m) => m[1] as number)]
  }, 120_000)
  t.deepEqual(results, [0, 0, 0, 0], 'no transaction saw a and b differ')
  t.deepEqual(
    atomically((tx) => [tx.read(a), tx.read(b)]),
    [4 * n, 4 * n],
  )
  await Promise.all(workers.map(({ worker }) => worker.terminate()))
})

test.serial('write skew cannot happen between threads; retry wakes across threads', async (t) => {
  const rounds = 150
  const [round, x, y, done] = [new TVar(0), new TVar(1), new TVar(1), new TVar(0)]
  const workers = await Promise.all([0, 1].map(() => startFixture('stm-worker')))
  const sums = await run(async (p) => {
    const [w1, w2] = workers.map((w) => w.pid) as [Pid, Pid]
    send(w1, ['skew', p.self, round, x, y, x, y, done, rounds])
    send(w2, ['skew', p.self, round, x, y, y, x, done, rounds])
    const out: number[] = []
    for (let r = 1; r <= rounds; r++) {
      atomically((tx) => {
        tx.write(x, 1)
        tx.write(y, 1)
        tx.write(round, r)
      })
      out.push(
        await within(
          Promise.resolve(
            atomically((tx) => {
              if (tx.read(done) < 2 * r) tx.retry()
              return tx.read(x) + tx.read(y)
            }),
          ),
          `round ${r}`,
          LONG,
        ),
      )
    }
    await answers(p, 'skew-done', 2)
    return out
  }, 60_000)
  t.true(
    sums.every((s) => s === 1),
    `x + y after each round: ${sums.filter((s) => s !== 1).length} rounds broke the invariant`,
  )
  await Promise.all(workers.map(({ worker }) => worker.terminate()))
})

test.serial('a retry parked on another thread wakes when this thread commits', async (t) => {
  const { worker, pid } = await startFixture('stm-worker')
  const flag = new TVar(0)
  const got = deferred<unknown>()
  await run(async (p) => {
    send(pid, ['wait', p.self, flag, 2])
    atomically((tx) => tx.write(flag, 1))
    t.is(
      await next(p, tagged('woke'), SHORT),
      (await import('../index.ts')).TIMEOUT,
      'not before the change it waits for',
    )
    atomically((tx) => tx.write(flag, 2))
    got.resolve(await next(p, tagged('woke')))
  })
  t.deepEqual(await got.promise, ['woke', 2])
  await worker.terminate()
})
