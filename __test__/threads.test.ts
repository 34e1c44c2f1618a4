// Processes on another JS thread of the same node: messages and exit
// signals travel encoded through the native inboxes, in order.
import test from 'ava'
import { call, NoProcError, NotPortableError, processCount, send, spawn, TimeoutError } from '../index.ts'
import { startEcho } from './helpers.ts'

test('messages to a process on another thread arrive, per-sender FIFO, and answers come back', async (t) => {
  const { worker, pid } = await startEcho()
  const n = 5000
  const got = await new Promise<unknown[]>((resolve) => {
    spawn(async (p) => {
      for (let i = 0; i < n; i++) send(pid, [p.self, { i, big: 10n ** 20n, at: new Date(i), tags: new Set([i]) }])
      const out: unknown[] = []
      for (let i = 0; i < n; i++) out.push(await p.receive())
      resolve(out)
    })
  })
  t.is(got.length, n)
  t.deepEqual(got[0], ['echo', { i: 0, big: 10n ** 20n, at: new Date(0), tags: new Set([0]) }])
  t.true(got.every((m, i) => (m as [string, { i: number }])[1].i === i))
  await worker.terminate()
})

test('messages larger than the drain block cross threads intact and in order, between small ones', async (t) => {
  // Over 256 KiB a delivery skips the drain block (crates/binding/src/drain.rs's
  // thread_drain), and fewer than four share one; over 1 MiB its buffer is not
  // kept for reuse (spare.rs).
  const { worker, pid } = await startEcho()
  const sizes = [64 * 1024 + 1, 200_000, 3, 1_500_000, 64 * 1024 + 1, 70_000, 0, 300_000, 256 * 1024 + 1]
  const sent = sizes.map((n, i) => Uint8Array.from({ length: n }, (_, j) => (i * 31 + j * 7) & 255))
  const got = await new Promise<unknown[]>((resolve) => {
    spawn(async (p) => {
      for (const [i, b] of sent.entries()) {
        send(pid, [p.self, { i, b }])
        send(pid, [p.self, { i, small: true }])
      }
      const out: unknown[] = []
      for (let k = 0; k < 2 * sent.length; k++) out.push(await p.receive())
      resolve(out)
    })
  })
  await worker.terminate()
  // A binary decodes as a Buffer or a Uint8Array: its bytes are compared.
  const bytes = (m: unknown) => {
    const [tag, v] = m as [string, { i: number; b?: Uint8Array; small?: true }]
    return [tag, v.b === undefined ? v : { i: v.i, b: Array.from(v.b) }]
  }
  const expected = sent.flatMap((b, i) => [
    ['echo', { i, b: Array.from(b) }],
    ['echo', { i, small: true }],
  ])
  t.deepEqual(got.map(bytes), expected)
})

test('a link across threads carries the exit reason to a trapping process', async (t) => {
  const { worker, pid } = await startEcho()
  const exit = await new Promise<unknown[]>((resolve) => {
    spawn(async (p) => {
      p.trapExit(true)
      p.link(pid)
      send(pid, 'crash')
      resolve((await p.receive()) as unknown[])
    })
  })
  t.is(exit[0], 'EXIT')
  t.true(pid.equals(exit[1]))
  t.is((exit[2] as Error).message, 'crashed on request')
  await worker.terminate()
})

test('a monitor across threads gets one DOWN', async (t) => {
  const { worker, pid } = await startEcho()
  const down = await new Promise<unknown[]>((resolve) => {
    spawn(async (p) => {
      const ref = p.monitor(pid)
      send(pid, 'crash')
      const m = (await p.receive()) as unknown[]
      t.true(ref.equals(m[1]))
      t.is(await p.receive(undefined, { timeout: 50 }), (await import('../index.ts')).TIMEOUT)
      resolve(m)
    })
  })
  t.is(down[0], 'DOWN')
  t.true(pid.equals(down[2]))
  await worker.terminate()
})

test('a value that cannot leave the thread is refused at the send, naming its path', async (t) => {
  const { worker, pid } = await startEcho()
  const err = t.throws(() => send(pid, { body: [1, 2, { fn: () => 1 }] }), { instanceOf: NotPortableError })
  t.is(err?.path, 'msg.body[2].fn')
  t.throws(() => send(pid, { x: Symbol('local') }), { instanceOf: NotPortableError })
  await worker.terminate()
})

test.serial(
  'when a worker thread ends, its processes die with thread_exit: links and monitors elsewhere are told',
  async (t) => {
    const before = processCount()
    const { worker, pid } = await startEcho()
    t.is(processCount(), before + 2, 'the worker added its echo process and its system pid')
    const got = await new Promise<unknown[][]>((resolve) => {
      spawn(async (p) => {
        p.trapExit(true)
        p.link(pid)
        const ref = p.monitor(pid)
        await worker.terminate()
        const a = (await p.receive(undefined, { timeout: 5000 })) as unknown[]
        const b = (await p.receive(undefined, { timeout: 5000 })) as unknown[]
        t.true(ref.equals((a[0] === 'DOWN' ? a : b)[1]))
        resolve([a, b])
      })
    })
    const exit = got.find((m) => m[0] === 'EXIT')
    const down = got.find((m) => m[0] === 'DOWN')
    t.truthy(exit && down)
    t.true(pid.equals(exit?.[1]))
    t.is(exit?.[2], 'thread_exit')
    t.true(pid.equals(down?.[2]))
    t.is(down?.[3], 'thread_exit')
    await new Promise((r) => setImmediate(r)) // let the test's own process end
    t.is(processCount(), before, 'nothing of the worker is left in the table')
  },
)

test('call works across threads, from inside and outside a process', async (t) => {
  const { worker, pid } = await startEcho()
  t.is(await call(pid, 'outside'), 'outside')
  const inside = await new Promise<unknown>((resolve) => {
    spawn(async (p) => resolve(await p.call(pid, { x: [1, 2n] })))
  })
  t.deepEqual(inside, { x: [1, 2n] })
  await t.throwsAsync(call(pid, 'never', { timeout: 50 }), { instanceOf: TimeoutError })
  await t.throwsAsync(call(pid, 'die', { timeout: 5000 }), { instanceOf: NoProcError })
  await t.throwsAsync(call(pid, 'after death'), { instanceOf: NoProcError })
  await worker.terminate()
})
