// The `otp` suite: the standard server (makeServer) against raw call/reply,
// a hand-written server loop in plain JS, and Erlang's gen_server:call, in
// one run (tools/bench/erlang/bfly_local.erl's `call`, `raw_call` and `server_cast`). Every
// (result, implementation) pair runs in a fresh child.
import { PlainRuntime } from './baselines/plain.js'
import { runErlang } from './erl.js'
import {
  type Baseline,
  check,
  latch,
  measure,
  now,
  perSecond,
  type Report,
  RUNS,
  type Spec,
  since,
  tick,
} from './harness.js'
import type { Proc, Runtime } from './runtime.js'
import { call as rawCall } from './workloads.js'

const SCALE = Number(process.env.BENCH_SCALE ?? '1')
check(SCALE > 0, `BENCH_SCALE must be > 0, got ${process.env.BENCH_SCALE}`)
const scaled = (n: number): number => Math.max(1, Math.round(n * SCALE))

export const SIZES = { server_call: scaled(200_000), raw_call: scaled(200_000), server_cast: scaled(1_000_000) }

const KEYS: readonly Baseline[] = ['plain_js', 'erlang']

/** The server's one handler, the same in every implementation: answer i + 1. */
const handle = (i: number, state: null) => ({ answer: i + 1, state })

/** Round trips/s: a client process calls `server` `n` times, in sequence,
 * checking every answer; `stop` ends the server. */
async function clientLoop<P>(rt: Runtime<P>, server: P, n: number, stop: () => void): Promise<number> {
  const base = rt.processCount() - 1
  const done = latch<number>()
  rt.spawn(async (p: Proc<P>) => {
    try {
      const t0 = now()
      for (let i = 0; i < n; i++) {
        const r = await p.call(server, i)
        check(r === i + 1, `server_call: expected ${i + 1}, got ${String(r)}`)
      }
      done.resolve(since(t0))
    } catch (e) {
      done.reject(e)
    }
  })
  const ns = await done.promise
  stop()
  while (rt.processCount() > base) await tick()
  return perSecond(n, ns)
}

/** bfly: makeServer with `handle`, stopped by stopServer. */
async function bflyServerCall(n: number): Promise<number> {
  const { bfly } = await import('./bfly.js')
  const { makeServer, stopServer } = await import('../../index.js')
  const server = makeServer({ handle })
  return clientLoop(bfly, server, n, () => void stopServer(server))
}

/** plain_js: the same protocol written by hand on the plain runtime: a
 * loop that takes ['$call', from, req], runs the handler, checks its
 * result and replies. */
async function plainServerCall(n: number): Promise<number> {
  const rt = new PlainRuntime()
  const server = rt.spawn(async (p) => {
    let state = null
    for (;;) {
      const m = (await p.receive()) as ['$call', unknown, number] | 'stop'
      if (m === 'stop') return
      const r = handle(m[2], state)
      if (r === null || typeof r !== 'object' || !('state' in r)) throw new TypeError('bad return')
      state = r.state
      if (r.answer !== undefined) rt.reply(m[1], r.answer)
    }
  })
  return clientLoop(rt, server, n, () => rt.send(server, 'stop'))
}

/** Casts/s: a client casts `n` numbers, then one call answers how many
 * the server counted (all of them, or the run is invalid). */
async function bflyServerCast(n: number): Promise<number> {
  const { cast, makeServer, spawn, stopServer } = await import('../../index.js')
  const server = makeServer({
    init: () => 0,
    cast: (_m, s: number) => ({ state: s + 1 }),
    handle: (_r, s: number) => ({ answer: s, state: s }),
  })
  const done = latch<number>()
  spawn(async (p) => {
    try {
      const t0 = now()
      for (let i = 0; i < n; i++) cast(server, i)
      const count = await p.call(server, 'count', { timeout: 60_000 })
      check(count === n, `server_cast: the server counted ${String(count)} of ${n}`)
      done.resolve(since(t0))
    } catch (e) {
      done.reject(e)
    }
  })
  const ns = await done.promise
  await stopServer(server)
  return perSecond(n, ns)
}

export async function run(): Promise<Report> {
  console.error(`otp: erlang (erl -noshell +S 2), best of ${RUNS}`)
  // bfly_local.erl's gen_server `call` (the same as the local suite's) and its raw_call, one VM each.
  const gen = runErlang('bfly_local', { runs: RUNS, call: SIZES.server_call, only: 'call' })
  const raw = runErlang('bfly_local', { runs: RUNS, raw_call: SIZES.raw_call, only: 'raw_call' })
  const cast = runErlang('bfly_local', { runs: RUNS, server_cast: SIZES.server_cast, only: 'server_cast' })
  const erl = new Map([
    ['server_call', gen.results.get('call') ?? null],
    ['raw_call', raw.results.get('raw_call') ?? null],
    ['server_cast', cast.results.get('server_cast') ?? null],
  ])
  return measure(
    'otp',
    gen.release ?? raw.release,
    specs((name) => erl.get(name) ?? null),
    KEYS,
  )
}

/** The results. `erlang` gives the Erlang value of a result (parent side only). */
export function specs(erlang: (name: string) => number | null = () => null): Spec[] {
  return [
    {
      name: 'server_call',
      unit: 'roundtrips/s',
      higher_is_better: true,
      bfly: () => bflyServerCall(SIZES.server_call),
      baselines: { plain_js: () => plainServerCall(SIZES.server_call), erlang: erlang('server_call') },
    },
    {
      name: 'server_cast',
      unit: 'casts/s',
      higher_is_better: true,
      bfly: () => bflyServerCast(SIZES.server_cast),
      baselines: { erlang: erlang('server_cast') },
    },
    {
      name: 'raw_call',
      unit: 'roundtrips/s',
      higher_is_better: true,
      bfly: async () => rawCall((await import('./bfly.js')).bfly, SIZES.raw_call),
      baselines: { plain_js: () => rawCall(new PlainRuntime(), SIZES.raw_call), erlang: erlang('raw_call') },
    },
  ]
}
