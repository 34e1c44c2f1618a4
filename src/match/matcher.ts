// match(...clauses): one compiled matcher (Butterfly's MATCH), isMatching, and
// what p.recv needs from a matcher.
import { MatchError } from '../kernel/errors.js'
import { native } from '../native/index.js'
import { type Compiled, type Direct, FAIL, generate } from './codegen.js'
import type { Dag, Row } from './dag.js'
import { interpret } from './interpret.js'
import { PatternError, type Tables, toIR } from './ir.js'
import type { HandlerArg, Matched } from './patterns.js'
import type { Clauses as ClausesIR } from './shapes.js'

/** One clause: a pattern and its handler (ts-pattern's handler arguments). */
export type Clause<P, R> = readonly [pattern: P, handler: (selections: HandlerArg<P>, value: Matched<P>) => R]

/** Clauses whose handlers are typed by their patterns. Patterns (`Ps`) and
 * whole clauses (`Cs`) are inferred separately so that handler results are
 * too (a single result parameter inferred as `unknown`). */
export type Clauses<Ps extends readonly unknown[]> = { [K in keyof Ps]: Clause<Ps[K], unknown> }

/** The union of the handlers' results. */
export type Result<Cs> = Cs extends readonly unknown[]
  ? Cs[number] extends readonly [unknown, (...a: never[]) => infer R]
    ? R
    : unknown
  : unknown

/** A compiled matcher: call it on a value. */
export interface Matcher<R> {
  (value: unknown): R
  /** A matcher that runs `handler(value)` when no clause matches. */
  otherwise<R2>(handler: (value: unknown) => R2): Matcher<R | R2>
  /** The compiled decision DAG as text. */
  explain(): string
  /** @internal */
  readonly core: Core
  /** @internal the otherwise handler, if any */
  readonly fallback?: (value: unknown) => unknown
}

/** Options of `match`. */
export interface MatchOptions {
  /** Use generated code (default) or the interpreter (false). */
  codegen?: boolean
}

/** @internal What every matcher built from the same clauses shares. */
export interface Core {
  readonly select: Compiled
  /** Runs the winning handler (or returns FAIL) in one call. */
  readonly direct: Direct
  readonly handlers: ((s: unknown, v: unknown) => unknown)[]
  readonly native: InstanceType<typeof native.CompiledMatcher>
  /** No guard, class or JS-only constant: a pure function of the message,
   * decidable on encoded bytes. */
  readonly pure: boolean
  readonly dag: Dag
}

function topArg(row: Row, sels: unknown[], v: unknown): unknown {
  if (row.bind.length === 0) return v
  if (row.bind.length === 1 && row.bind[0][0] === null) return sels[0]
  const o: Record<string, unknown> = {}
  row.bind.forEach(([n], i) => {
    o[n as string] = sels[i]
  })
  return o
}

function compile(clauses: readonly (readonly [unknown, unknown])[], opts: MatchOptions | undefined): Core {
  const t: Tables = { consts: [], classes: [], guards: [] }
  const handlers: ((s: unknown, v: unknown) => unknown)[] = []
  const irs = clauses.map((c, i) => {
    if (!Array.isArray(c) || c.length !== 2 || typeof c[1] !== 'function')
      throw new PatternError(`match: clause ${i} must be [pattern, handler] with a handler function`)
    handlers.push(c[1] as (s: unknown, v: unknown) => unknown)
    return toIR(c[0], t, `clause ${i}`)
  })
  const clausesIR: ClausesIR = {
    clauses: irs,
    classes: t.classes.map((c) => c.name || 'class'),
    guards: t.guards.map((g) => g.name || 'when'),
  }
  const ir = JSON.stringify(clausesIR)
  let compiled: InstanceType<typeof native.CompiledMatcher>
  try {
    compiled = new native.CompiledMatcher(ir)
  } catch (e) {
    throw new PatternError(`match: ${e instanceof Error ? e.message : String(e)}`)
  }
  const dag = JSON.parse(compiled.dag()) as Dag
  const gen = opts?.codegen === false ? null : generate(dag, t, handlers)
  const select: Compiled =
    gen?.select ??
    ((v, out) => {
      const r = interpret(dag, t, v, out)
      if (r >= 0) out[0] = topArg(dag.rows[r], out[0] as unknown[], v)
      return r
    })
  const scratch: unknown[] = [undefined]
  const direct: Direct =
    gen?.direct ??
    ((v) => {
      const r = select(v, scratch)
      return r >= 0 ? handlers[r](scratch[0], v) : FAIL
    })
  const pure = t.guards.length === 0 && t.classes.length === 0 && t.consts.length === 0
  return { select, direct, handlers, native: compiled, pure, dag }
}

function wrap<R>(core: Core, otherwise: ((v: unknown) => unknown) | undefined): Matcher<R> {
  const { direct } = core
  const m = ((value: unknown) => {
    const r = direct(value)
    if (r !== FAIL) return r
    if (otherwise !== undefined) return otherwise(value)
    throw new MatchError(value)
  }) as Matcher<R>
  Object.defineProperties(m, {
    core: { value: core },
    fallback: { value: otherwise },
    otherwise: { value: <R2>(h: (v: unknown) => R2) => wrap<R | R2>(core, h) },
    explain: { value: () => core.native.explain() },
  })
  return m
}

/**
 * Compiles clauses (Butterfly's MATCH) into one matcher: `matcher(value)` runs
 * the handler of the first clause, in written order, whose pattern
 * accepts `value`, and throws MatchError when none does. Malformed
 * patterns throw PatternError here, not at match time.
 * @throws {@link PatternError} for a malformed clause or pattern (a `P.rest` that is not last, one selection
 * name used twice, a handler that is not a function); calling the matcher throws {@link MatchError} when no
 * clause accepts the value (unless `.otherwise(handler)` gave a default), and whatever the handler throws.
 * @example
 * ```ts
 * const [A, B, C, D] = ['A', 'B', 'C', 'D'].map((s) => Symbol.for(s))
 * const m = match(
 *   [[A, B, C], () => 'oper1'],
 *   [[A, B, D], () => 'oper2'],
 *   [[A, B, P.select()], (va1) => `oper3 ${String(va1)}`],
 * )
 * m([A, B, 42]) // 'oper3 42'
 * // in a process, Butterfly's RECV: await p.recv(m, { timeout: 1000, after: () => 'none' })
 * ```
 */
export function match<const Ps extends readonly unknown[], const Cs extends Clauses<Ps>>(
  ...clauses: Cs & Clauses<Ps>
): Matcher<Result<Cs>> {
  return wrap(compile(clauses as readonly (readonly [unknown, unknown])[], undefined), undefined)
}

/** `match` with options (e.g. `{ codegen: false }` for the interpreter). */
export function matchWith<const Ps extends readonly unknown[], const Cs extends Clauses<Ps>>(
  opts: MatchOptions,
  ...clauses: Cs & Clauses<Ps>
): Matcher<Result<Cs>> {
  return wrap(compile(clauses as readonly (readonly [unknown, unknown])[], opts), undefined)
}

const single = new WeakMap<object, Core>()

/** Whether `value` matches `pattern`. */
export function isMatching<const P>(pattern: P, value: unknown): value is Matched<P> {
  let core = typeof pattern === 'object' && pattern !== null ? single.get(pattern) : undefined
  if (core === undefined) {
    core = compile([[pattern, () => true]], undefined)
    if (typeof pattern === 'object' && pattern !== null) single.set(pattern, core)
  }
  return core.select(value, [undefined]) >= 0
}
