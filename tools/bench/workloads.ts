// The local workloads, written once against tools/bench/runtime.ts and run on bfly
// and on the plain_js baseline. Each returns its value in the result's unit
// and throws if its own run was wrong. Errors inside a process are forwarded
// to the measurement through guard(), so a failing run rejects, never hangs.
import { check, type Latch, latch, now, perSecond, since, tick } from './harness.js'
import type { Proc, Runtime } from './runtime.js'

function guard<P, T>(done: Latch<T>, body: (p: Proc<P>) => Promise<void>): (p: Proc<P>) => Promise<void> {
  return async (p) => {
    try {
      await body(p)
    } catch (e) {
      done.reject(e)
    }
  }
}

/** Waits until the runtime's live process count is back to `base`. */
async function drained<P>(rt: Runtime<P>, base: number): Promise<void> {
  while (rt.processCount() > base) await tick()
}

/** Roundtrips/s: a ping process and a pong process bounce `n` messages. */
export async function pingpong<P>(rt: Runtime<P>, n: number): Promise<number> {
  const base = rt.processCount()
  const done = latch<number>()
  const pong = rt.spawn(
    guard(done, async (p) => {
      for (;;) {
        const m = (await p.receive()) as [P, number] | 'stop'
        if (m === 'stop') return
        p.send(m[0], m[1])
      }
    }),
  )
  const t0 = now()
  rt.spawn(
    guard(done, async (p) => {
      for (let i = 0; i < n; i++) {
        p.send(pong, [p.self, i])
        const r = await p.receive()
        check(r === i, `pingpong: expected ${i}, got ${String(r)}`)
      }
      done.resolve(since(t0))
      p.send(pong, 'stop')
    }),
  )
  const ns = await done.promise
  await drained(rt, base)
  return perSecond(n, ns)
}

/** Msgs/s one way: a sender sends `n` numbers, the receiver checks and counts them. */
export async function stream<P>(rt: Runtime<P>, n: number): Promise<number> {
  const base = rt.processCount()
  const done = latch<number>()
  let t0 = 0n
  const receiver = rt.spawn(
    guard(done, async (p) => {
      for (let i = 0; i < n; i++) {
        const m = await p.receive()
        check(m === i, `stream: expected ${i}, got ${String(m)}`)
      }
      done.resolve(since(t0))
    }),
  )
  t0 = now()
  rt.spawn(
    guard(done, async (p) => {
      for (let i = 0; i < n; i++) p.send(receiver, i)
    }),
  )
  const ns = await done.promise
  await drained(rt, base)
  return perSecond(n, ns)
}

/** Hops/s: a token goes `laps` times around a ring of `size` processes. */
export async function ring<P>(rt: Runtime<P>, size: number, laps: number): Promise<number> {
  const base = rt.processCount()
  const hops = size * laps
  const done = latch<number>()
  const counts = new Array<number>(size).fill(0)
  let t0 = 0n
  const pids: P[] = []
  for (let k = 0; k < size; k++) {
    pids.push(
      rt.spawn(
        guard(done, async (p) => {
          const next = (await p.receive()) as P
          for (;;) {
            const m = (await p.receive()) as number | 'stop'
            if (m === 'stop') return
            counts[k] = (counts[k] ?? 0) + 1
            if (m === 0) done.resolve(since(t0))
            else p.send(next, m - 1)
          }
        }),
      ),
    )
  }
  for (let k = 0; k < size; k++) rt.send(pids[k] as P, pids[(k + 1) % size] as P)
  await tick()
  t0 = now()
  rt.send(pids[0] as P, hops)
  const ns = await done.promise
  for (const pid of pids) rt.send(pid, 'stop')
  await drained(rt, base)
  const received = counts.reduce((a, b) => a + b, 0)
  check(received === hops + 1, `ring: ${received} receives for ${hops} hops`)
  return perSecond(hops, ns)
}

/** Spawns/s: spawn `n` processes that return at once; wait until all have exited. */
export async function spawnExit<P>(rt: Runtime<P>, n: number): Promise<number> {
  const base = rt.processCount()
  let ran = 0
  const body = () => {
    ran++
  }
  const t0 = now()
  for (let i = 0; i < n; i++) rt.spawn(body)
  await drained(rt, base)
  const ns = since(t0)
  check(ran === n, `spawn: ${ran} of ${n} processes ran`)
  return perSecond(n, ns)
}

type Tagged = [string, number]

/**
 * µs per selective receive: a process holds `noise` non-matching messages in
 * its mailbox and, `iters` times, sends itself a matching one and receives it
 * with a predicate. The non-matching ones must all still be there, in order.
 * The predicate is a fresh closure over j each time, as in Erlang's
 * `receive {hit, J} -> ...` with J bound: written the usual way, a receive
 * cannot reuse a save position left by an earlier receive's predicate.
 */
export async function selective<P>(rt: Runtime<P>, noise: number, iters: number): Promise<number> {
  const base = rt.processCount()
  const done = latch<number>()
  rt.spawn(
    guard(done, async (p) => {
      for (let i = 0; i < noise; i++) p.send(p.self, ['noise', i])
      const t0 = now()
      for (let j = 0; j < iters; j++) {
        p.send(p.self, ['hit', j])
        const m = (await p.receive((x) => (x as Tagged)[0] === 'hit' && (x as Tagged)[1] === j)) as Tagged
        check(m[1] === j, `selective: expected hit ${j}, got ${m[1]}`)
      }
      const ns = since(t0)
      for (let i = 0; i < noise; i++) {
        const m = (await p.receive()) as Tagged
        check(m[0] === 'noise' && m[1] === i, `selective: noise ${i} lost or reordered`)
      }
      done.resolve(ns)
    }),
  )
  const ns = await done.promise
  await drained(rt, base)
  return ns / iters / 1e3
}

/** Round trips/s: a client process calls a raw server process `n` times. */
export async function call<P>(rt: Runtime<P>, n: number): Promise<number> {
  const base = rt.processCount()
  const done = latch<number>()
  const server = rt.spawn(
    guard(done, async (p) => {
      for (;;) {
        const m = (await p.receive()) as ['$call', unknown, number] | 'stop'
        if (m === 'stop') return
        rt.reply(m[1], m[2] + 1)
      }
    }),
  )
  rt.spawn(
    guard(done, async (p) => {
      const t0 = now()
      for (let i = 0; i < n; i++) {
        const r = await p.call(server, i)
        check(r === i + 1, `call: expected ${i + 1}, got ${String(r)}`)
      }
      done.resolve(since(t0))
      p.send(server, 'stop')
    }),
  )
  const ns = await done.promise
  await drained(rt, base)
  return perSecond(n, ns)
}
