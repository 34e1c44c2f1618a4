// The registry and the node table are STM tables (API.md, STM): a
// transaction reads them with its TVars in one committed snapshot, and a
// retry wakes when a name or a node it read changes, whichever thread or
// node changed it.
import test from 'ava'
import {
  atomically,
  call,
  configurePool,
  exit,
  type Pid,
  registerServer,
  registerService,
  remoteService,
  type SpawnSpec,
  spawn,
  stopPool,
  TVar,
  unregisterService,
  whereis,
} from '../index.ts'
import { next, run, SHORT, uniqueName, within } from './helpers.ts'
import { newCookie, startPeer, thisNode } from './nodes.ts'

configurePool({ size: 1 })
test.after.always(() => stopPool())

const BODIES = new URL('./fixtures/pool-bodies.ts', import.meta.url).href
const body = (fn: string, ...args: unknown[]): SpawnSpec => ({ module: BODIES, fn, args })
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

test('tx.whereis sees a name with the TVars it read; a retry waits for the name and not before', async (t) => {
  const name = uniqueName('svc')
  const other = uniqueName('other')
  let settled = false
  const seen = atomically((tx) => tx.whereis(name) ?? tx.retry())
  t.true(seen instanceof Promise)
  void Promise.resolve(seen).then(() => {
    settled = true
  })
  await run(async () => {
    const idle = spawn(async (q) => {
      await q.receive()
    })
    registerService(other, idle) // another name: the body reruns or stays parked, never resolves
    await sleep(SHORT)
    t.false(settled, 'still waiting for the name')
    registerService(name, idle)
    t.is(await within(Promise.resolve(seen), 'the retry to wake on registration'), idle)
    const free = atomically((tx) => (tx.whereis(name) === undefined ? 'free' : tx.retry()))
    t.true(free instanceof Promise)
    exit(idle, 'kill')
    t.is(await within(Promise.resolve(free), 'the retry to wake on the exit that freed the name'), 'free')
    t.is(whereis(other), undefined, 'the exit freed both names')
  })
})

test('a transaction that read a name reruns when the name changes before it commits', async (t) => {
  const name = uniqueName('claim')
  const claimedBy = new TVar<string>('nobody')
  await run(async () => {
    const a = spawn(async (q) => {
      await q.receive()
    })
    const seen: (Pid | undefined)[] = []
    const result = atomically((tx) => {
      const holder = tx.whereis(name)
      seen.push(holder)
      // A commit by someone else between this read and our commit (here:
      // the registration, made once, from inside the first run).
      if (seen.length === 1) registerService(name, a)
      tx.write(claimedBy, holder === undefined ? 'me' : String(holder))
      return holder
    })
    t.is(result, a, 'the committed run saw the name')
    t.deepEqual(seen, [undefined, a], 'the first run, which read a stale name, did not commit')
    t.is(
      atomically((tx) => tx.read(claimedBy)),
      String(a),
    )
    exit(a, 'kill')
  })
})

test.serial('a name registered on a pool thread wakes a transaction on this thread; its exit frees it', async (t) => {
  const name = uniqueName('pooled')
  await run(async (p) => {
    const waiting = atomically((tx) => tx.whereis(name) ?? tx.retry())
    const pid = spawn(body('registered', p.self, name), { thread: 'pool' })
    t.is(await next(p, (m) => m === 'registered', 60_000), 'registered')
    const seen = (await within(Promise.resolve(waiting), 'the retry to wake across threads')) as Pid
    t.true(seen.equals(pid))
    t.true(whereis(name)?.equals(pid))
    const freed = atomically((tx) => (tx.whereis(name) ? tx.retry() : 'freed'))
    exit(pid, 'kill')
    t.is(await within(Promise.resolve(freed), 'the exit on the pool thread to free the name'), 'freed')
  }, 90_000)
})

test('an alias is not a local pid inside a transaction either', (t) => {
  const name = uniqueName('alias')
  registerService(name, remoteService('far@127.0.0.1', { name: 'X' }))
  t.is(
    atomically((tx) => tx.whereis(name)),
    undefined,
  )
  t.true(unregisterService(name))
  t.throws(() => atomically((tx) => tx.whereis('')), { instanceOf: TypeError })
  t.throws(() => atomically((tx) => tx.node('')), { instanceOf: TypeError })
})

test.serial('tx.node waits for a link to come up and for it to go down', async (t) => {
  const cookie = newCookie()
  const A = 'sa@127.0.0.1'
  const peer = await startPeer(A, cookie)
  try {
    await thisNode('sb@127.0.0.1', cookie)
    registerServer(A, peer.addr)
    t.is(
      atomically((tx) => tx.node(A)),
      undefined,
      'never linked',
    )
    const up = atomically((tx) => tx.node(A) ?? tx.retry())
    t.true(up instanceof Promise)
    t.is(await call(remoteService(A, { name: 'ECHO' }), 'hi'), 'hi')
    t.is(await within(Promise.resolve(up), 'the node table to say up'), 'up')
    const down = atomically((tx) => (tx.node(A) === 'up' ? tx.retry() : tx.node(A)))
    await peer.kill()
    t.is(await within(Promise.resolve(down), 'the node table to say down', 20_000), 'down')
  } finally {
    await peer.kill()
  }
})
