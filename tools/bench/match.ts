// The `match` suite: bfly's pattern matcher (match/P) and p.recv. Baselines:
// ts-pattern 5.9 and hand-written if/else on the same inputs
// (tools/bench/match_cases.ts), Erlang's receive and a plain JS mailbox for recv.
// Every (result, implementation) pair runs in a fresh child (harness.ts).
import { runErlang } from './erl.js'
import { type Baseline, check, measure, type Report, RUNS, type Spec, sampleInChild } from './harness.js'
import { type Case, dispatchCase, type Impl, matchRate, seedCase } from './match_cases.js'

const SCALE = Number(process.env.BENCH_SCALE ?? '1')
check(SCALE > 0, `BENCH_SCALE must be > 0, got ${process.env.BENCH_SCALE}`)
const scaled = (n: number): number => Math.max(1, Math.round(n * SCALE))

export const SIZES = {
  /** Matches per timed run for bfly and hand_written (~0.1-1 s each). */
  fast: scaled(20_000_000),
  /** Matches per timed run for ts-pattern, ~100x slower (~1-2 s each). */
  seed_ts: scaled(1_000_000),
  dispatch_ts: scaled(400_000),
  recv_noise: 10_000,
  recv_iters: scaled(2_000),
  /** Matchers built per timed compile run (the mean is reported). */
  compile_k: scaled(10),
}

/** The report's baseline keys (DESIGN.md: ts_pattern, hand_written; recv: plain_js, erlang). */
const KEYS: readonly Baseline[] = ['ts_pattern', 'hand_written', 'plain_js', 'erlang']

/** Which ts-pattern form a child measures (see baselines/match_tspattern.ts). */
const FORM_ENV = 'BENCH_MATCH_TS_FORM'
const FORM_NAMES = ['inline', 'hoisted'] as const
type Form = (typeof FORM_NAMES)[number]

function formOf(env: string | undefined): Form {
  const f = env ?? 'inline'
  if (f !== 'inline' && f !== 'hoisted') throw new Error(`${FORM_ENV} must be inline or hoisted, got ${f}`)
  return f
}

// Each implementation loads on first use, in the child that measures it.
// bfly's matchers are built once per child, as a program builds its
// matchers once (the baselines are module functions, warm across runs too).
const bflyBuilt = new Map<string, Impl>()
const bflyImpl = async (which: 'seed' | 'dispatch'): Promise<Impl> => {
  let f = bflyBuilt.get(which)
  if (f === undefined) {
    const b = await import('./match_bfly.js')
    f = b.asImpl(which === 'seed' ? b.seedMatcher() : b.dispatchMatcher())
    bflyBuilt.set(which, f)
  }
  return f
}
const handImpl = async (which: 'seed' | 'dispatch'): Promise<Impl> => {
  const h = await import('./baselines/match_hand.js')
  return which === 'seed' ? h.seedHand : h.dispatchHand
}
const tsImpl = async (which: 'seed' | 'dispatch'): Promise<Impl> =>
  (await import('./baselines/match_tspattern.js')).FORMS[which][formOf(process.env[FORM_ENV])]
const recv = () => import('./match_recv.js')

/**
 * ts-pattern's forms, each in its own child; returns the faster one's
 * matches/s (null if none ran).
 */
function tsPatternBest(name: string): number | null {
  let best: number | null = null
  let winner = ''
  for (const form of FORM_NAMES) {
    process.env[FORM_ENV] = form
    try {
      const v = sampleInChild('match', name, 'ts_pattern')
      if (best === null || v > best) {
        best = v
        winner = form
      }
    } catch (e) {
      console.error(`  !! ${name} ts_pattern (${form}) could not run: ${String(e)}`)
    } finally {
      delete process.env[FORM_ENV]
    }
  }
  console.error(`  ${name} ts_pattern: reporting the ${winner === '' ? '(none ran)' : `${winner} form`}`)
  return best
}

export async function run(): Promise<Report> {
  if (SCALE !== 1) console.error(`BENCH_SCALE=${SCALE}: smoke run, counts are scaled`)
  console.error(`match: erlang (erl -noshell +S 2), best of ${RUNS}`)
  const erl = runErlang('bfly_match', { runs: RUNS, noise: SIZES.recv_noise, iters: SIZES.recv_iters })
  const ts = new Map<string, number | null>()
  for (const name of ['seed_3_clauses', 'dispatch_12_clauses']) {
    console.error(`match/${name}: ts_pattern forms`)
    ts.set(name, tsPatternBest(name))
  }
  return measure(
    'match',
    erl.release,
    specs(
      (name) => erl.results.get(name) ?? null,
      (name) => ts.get(name) ?? null,
    ),
    KEYS,
  )
}

function rateSpec(c: Case, which: 'seed' | 'dispatch', tsN: number, ts: number | null | undefined): Spec {
  return {
    name: c.name,
    unit: 'matches/s',
    higher_is_better: true,
    bfly: async () => matchRate(await bflyImpl(which), c, SIZES.fast),
    baselines: {
      ts_pattern: ts === undefined ? async () => matchRate(await tsImpl(which), c, tsN) : ts,
      hand_written: async () => matchRate(await handImpl(which), c, SIZES.fast),
    },
  }
}

/**
 * The results. Parent side: `erlang` gives the Erlang value of a result and
 * `ts` ts-pattern's best form (measured by run()); in a child both are
 * absent and ts_pattern measures the form named by BENCH_MATCH_TS_FORM.
 */
export function specs(erlang?: (name: string) => number | null, ts?: (name: string) => number | null): Spec[] {
  const seed = seedCase()
  const dispatch = dispatchCase()
  return [
    rateSpec(seed, 'seed', SIZES.seed_ts, ts?.(seed.name)),
    rateSpec(dispatch, 'dispatch', SIZES.dispatch_ts, ts?.(dispatch.name)),
    {
      name: 'recv_10k',
      unit: 'us/receive',
      higher_is_better: false,
      bfly: async () => (await recv()).recvBfly(SIZES.recv_noise, SIZES.recv_iters),
      baselines: {
        plain_js: async () => (await recv()).recvPlain(SIZES.recv_noise, SIZES.recv_iters),
        erlang: erlang?.('recv_10k') ?? null,
      },
    },
    {
      name: 'compile_100_clauses',
      unit: 'ms',
      higher_is_better: false,
      bfly: async () => (await import('./match_compile.js')).compile100(SIZES.compile_k),
      baselines: {},
    },
  ]
}
