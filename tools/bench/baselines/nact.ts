// nact baseline: the same workloads as tools/bench/workloads.ts, written the way
// nact is used (actors are message handlers; dispatch/query). Every actor gets
// an explicit name: nact's generated names are 31-bit random numbers and
// collide at these counts. nact resumes a crashed stateless actor silently,
// so handlers forward their own errors to the measurement.
import { dispatch, query, type Ref, spawn, spawnStateless, start, stop } from 'nact'
import { check, type Latch, latch, now, perSecond, since, tick } from '../harness.js'

type System = ReturnType<typeof start>

let generation = 0
const unique = (prefix: string): string => `${prefix}-${++generation}`

function guarded<A extends unknown[]>(done: Latch<number>, fn: (...args: A) => void) {
  return (...args: A): void => {
    try {
      fn(...args)
    } catch (e) {
      done.reject(e)
    }
  }
}

async function within<T>(body: (system: System) => Promise<T>): Promise<T> {
  const system = start()
  try {
    return await body(system)
  } finally {
    stop(system)
  }
}

interface Ping {
  from: Ref<number>
  i: number
}

export function pingpong(n: number): Promise<number> {
  return within(async (system) => {
    const done = latch<number>()
    const pong = spawnStateless(
      system,
      guarded(done, (m: Ping) => dispatch(m.from, m.i)),
      unique('pong'),
    )
    let i = 0
    const t0 = now()
    const ping: Ref<number> = spawnStateless(
      system,
      guarded(done, (r: number) => {
        check(r === i, `nact pingpong: expected ${i}, got ${r}`)
        if (++i === n) done.resolve(since(t0))
        else dispatch(pong, { from: ping, i })
      }),
      unique('ping'),
    )
    dispatch(pong, { from: ping, i: 0 })
    return perSecond(n, await done.promise)
  })
}

export function stream(n: number): Promise<number> {
  return within(async (system) => {
    const done = latch<number>()
    let count = 0
    const t0 = now()
    const receiver = spawnStateless(
      system,
      guarded(done, (m: number) => {
        check(m === count, `nact stream: expected ${count}, got ${m}`)
        if (++count === n) done.resolve(since(t0))
      }),
      unique('receiver'),
    )
    const sender = spawnStateless(
      system,
      guarded(done, (_go: 'go') => {
        for (let i = 0; i < n; i++) dispatch(receiver, i)
      }),
      unique('sender'),
    )
    dispatch(sender, 'go')
    return perSecond(n, await done.promise)
  })
}

type RingMsg = { next: Ref<RingMsg> } | number

export function ring(size: number, laps: number): Promise<number> {
  return within(async (system) => {
    const done = latch<number>()
    const hops = size * laps
    let received = 0
    let linked = 0
    let t0 = 0n
    const node = (state: Ref<RingMsg> | undefined, m: RingMsg): Ref<RingMsg> | undefined => {
      if (typeof m !== 'number') {
        linked++
        return m.next
      }
      received++
      if (m === 0) done.resolve(since(t0))
      else if (state !== undefined) dispatch(state, m - 1)
      else done.reject(new Error('nact ring: token reached a node without a successor'))
      return state
    }
    const refs: Ref<RingMsg>[] = []
    const prefix = unique('ring')
    for (let k = 0; k < size; k++) refs.push(spawn(system, node, `${prefix}-${k}`))
    for (let k = 0; k < size; k++) {
      dispatch(refs[k] as Ref<RingMsg>, { next: refs[(k + 1) % size] as Ref<RingMsg> })
    }
    while (linked < size) await tick()
    t0 = now()
    dispatch(refs[0] as Ref<RingMsg>, hops)
    const ns = await done.promise
    check(received === hops + 1, `nact ring: ${received} receives for ${hops} hops`)
    return perSecond(hops, ns)
  })
}

export function spawnExit(n: number): Promise<number> {
  return within(async (system) => {
    const done = latch<number>()
    let stopped = 0
    const afterStop = () => {
      if (++stopped === n) done.resolve(since(t0))
    }
    const body = (state: undefined) => state
    const prefix = unique('s')
    const t0 = now()
    for (let i = 0; i < n; i++) stop(spawn(system, body, `${prefix}-${i}`, { afterStop }))
    const ns = await done.promise
    check(stopped === n, `nact spawn: ${stopped} of ${n} actors stopped`)
    return perSecond(n, ns)
  })
}

interface Inc {
  sender: Ref<number>
  n: number
}

export function call(n: number): Promise<number> {
  return within(async (system) => {
    const done = latch<number>()
    const server = spawnStateless(
      system,
      guarded(done, (m: Inc) => dispatch(m.sender, m.n + 1)),
      unique('server'),
    )
    const client = spawnStateless(
      system,
      async (_go: 'go') => {
        try {
          const t0 = now()
          for (let i = 0; i < n; i++) {
            const r = await query(server, (sender: Ref<number>) => ({ sender, n: i }), 5000)
            check(r === i + 1, `nact call: expected ${i + 1}, got ${String(r)}`)
          }
          done.resolve(since(t0))
        } catch (e) {
          done.reject(e)
        }
      },
      unique('client'),
    )
    dispatch(client, 'go')
    return perSecond(n, await done.promise)
  })
}
