// Stress (issue 2, Deliver 4): 100,000 processes linked in a chain, one crash,
// all gone, and the process table back where it was (no leak).
import test from 'ava'
import { exit, type Pid, type Process, processCount, registerService, reply, spawn, TIMEOUT } from '../index.ts'
import { deferred, eventually, isDown, isExitFrom, next, run, view, within } from './helpers.ts'

const N = 100_000
const GENEROUS = 120_000

test.serial(
  '100,000 processes linked with spawn + link: a crash at the tail takes the whole chain down, no leak',
  async (t) => {
    t.timeout(4 * GENEROUS)
    const before = processCount()
    const boom = new Error('tail crash')
    const linked = deferred()
    let linkedCount = 0
    const { head, m } = await run(async (p) => {
      p.trapExit(true)
      let prev: Pid | undefined
      let head: Pid | undefined
      for (let i = 0; i < N; i++) {
        const left = prev
        const isTail = i === N - 1
        prev = spawn(async (c) => {
          if (left !== undefined) c.link(left)
          linkedCount += 1
          if (linkedCount === N) linked.resolve()
          const m = await c.receive()
          if (isTail && m === 'crash') throw boom
        })
        if (head === undefined) {
          head = prev
          p.link(head)
        }
      }
      const tail = prev
      if (head === undefined || tail === undefined) throw new Error('no chain')
      await within(linked.promise, 'every process to link', GENEROUS)
      p.send(tail, 'crash')
      return { head, m: await next(p, isExitFrom(head), GENEROUS) }
    }, 4 * GENEROUS)
    t.deepEqual(view(m), view(['EXIT', head, boom]))
    t.is(Array.isArray(m) ? m[2] : m, boom, 'the head died of the tail’s very Error')
    t.true(await eventually(() => processCount() === before, GENEROUS), 'the process table drains')
    t.is(processCount(), before)
  },
)

test.serial(
  '100,000 processes linked with p.spawnLink recursively: killing the head takes the chain down, no leak',
  async (t) => {
    t.timeout(4 * GENEROUS)
    const before = processCount()
    const built = deferred<Pid>()
    const { head, m } = await run(async (p) => {
      p.trapExit(true)
      const grow =
        (depth: number) =>
        async (c: Process): Promise<void> => {
          if (depth < N) c.spawnLink(grow(depth + 1))
          else built.resolve(c.self)
          await c.receive()
        }
      const head = p.spawnLink(grow(1))
      const tail = await within(built.promise, 'the chain to be built', GENEROUS)
      const tailRef = p.monitor(tail)
      exit(head, 'shutdown')
      const tailDown = await next(p, isDown(tailRef), GENEROUS)
      const headExit = await next(p, isExitFrom(head), GENEROUS)
      return { head, m: [headExit, Array.isArray(tailDown) ? tailDown[3] : tailDown] }
    }, 4 * GENEROUS)
    t.deepEqual(view(m), view([['EXIT', head, 'shutdown'], 'shutdown']))
    t.true(await eventually(() => processCount() === before, GENEROUS), 'the process table drains')
    t.is(processCount(), before)
  },
)

test.serial(
  '20,000 short-lived processes that link, monitor, call and register leave the table as it was',
  async (t) => {
    t.timeout(GENEROUS)
    const before = processCount()
    const idle = Array.from({ length: 10 }, () =>
      spawn(async (c) => {
        await c.receive()
      }),
    )
    const countWithIdle = processCount()
    for (const pid of idle) exit(pid, 'kill')
    const done = await run(async (p) => {
      const server = spawn(async (s) => {
        for (;;) {
          const m = await s.receive()
          if (Array.isArray(m) && m[0] === '$call') reply(m[1], m[2])
        }
      })
      const M = 20_000
      let finished = 0
      const all = deferred()
      for (let i = 0; i < M; i++) {
        const child = spawn(async (c) => {
          c.link(p.self)
          c.monitor(server)
          if (i % 10 === 0) registerService(`leak-${process.pid}-${i}`, c.self)
          await c.call(server, i)
          if (i % 3 === 0) throw new Error('crash')
        })
        p.monitor(child)
      }
      p.trapExit(true)
      for (;;) {
        const m = await next(p, undefined, GENEROUS)
        if (m === TIMEOUT) break
        if (Array.isArray(m) && m[0] === 'DOWN') finished += 1
        if (finished === M) {
          all.resolve()
          break
        }
      }
      exit(server, 'kill')
      await within(all.promise, 'every child to finish', GENEROUS)
      return finished
    }, GENEROUS)
    t.is(countWithIdle, before + 10, 'processCount counts live processes')
    t.is(done, 20_000)
    t.true(await eventually(() => processCount() === before, GENEROUS), 'the process table drains')
    t.is(processCount(), before)
  },
)
