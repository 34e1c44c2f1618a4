// Property tests for the pattern matcher (API.md, Pattern matching; issue 3,
// Tests): random clause lists and random values, run through the generated
// code, the interpreter (`matchWith({ codegen: false })`), the Rust
// evaluator over `encode(value)`, a naive sequential reference matcher
// written here from API.md's rules, and ts-pattern itself (whose names P
// uses) as an independent oracle. All must pick the same clause; the two JS
// back ends must also pass the same handler arguments as the reference, and
// as ts-pattern where its selections are defined the same way (issue 16).
import test from 'ava'
import fc from 'fast-check'
import { P as TP, isMatching as tsIsMatching, match as tsMatch } from 'ts-pattern'
import { type Clause, decode, encode, isMatching, type Matcher, match, matchWith, P, Pid } from '../index.ts'

// ---------------------------------------------------------------------------
// Pattern specs: plain data, printable, turned into P patterns by `build`.

type Lit = number | string | boolean | bigint | symbol | null | undefined
type TypeName = 'string' | 'number' | 'boolean' | 'bigint' | 'symbol' | 'nullish' | 'pid'
type Spec =
  | { k: 'lit'; v: Lit }
  | { k: 'any' }
  | { k: 'type'; t: TypeName }
  | { k: 'tuple'; items: Spec[]; rest?: { of?: Spec } }
  | { k: 'obj'; keys: [string, Spec][] }
  | { k: 'arrayOf'; of: Spec }
  | { k: 'union'; of: Spec[] }
  | { k: 'not'; of: Spec }
  | { k: 'opt'; of: Spec }
  | { k: 'sel'; name?: string; of?: Spec }

const A = Symbol.for('A')
const B = Symbol.for('B')
const pid1 = new Pid('nonode@nohost', 1)
const pid2 = new Pid('nonode@nohost', 2)
const LITS: Lit[] = [0, -0, 1, 2.5, Number.NaN, Number.POSITIVE_INFINITY, 'a', 'b', '', true, false]
LITS.push(0n, 1n, -5n, A, B, null, undefined)
const TYPES: TypeName[] = ['string', 'number', 'boolean', 'bigint', 'symbol', 'nullish', 'pid']
const KEYS = ['a', 'b', 'c']

/** The builders a spec is built with: bfly's P, or ts-pattern's (the oracle), whose names are the same. */
interface Builders {
  _: unknown
  array(...p: unknown[]): unknown
  union(...ps: unknown[]): unknown
  not(p: unknown): unknown
  optional(p: unknown): unknown
  select(...a: unknown[]): unknown
}
/** The pattern a spec stands for, made with bfly's P, or with ts-pattern's when `ts`. */
function build(s: Spec, ts = false): unknown {
  const b = (ts ? TP : P) as unknown as Builders & Record<TypeName, unknown>
  const sub = (x: Spec) => build(x, ts)
  switch (s.k) {
    case 'lit':
      return s.v
    case 'any':
      return b._
    case 'type':
      return ts && s.t === 'pid' ? TP.instanceOf(Pid) : b[s.t]
    case 'tuple': {
      const items = s.items.map(sub)
      if (s.rest === undefined) return items
      const of = s.rest.of === undefined ? [] : [sub(s.rest.of)]
      // bfly's P.rest(q?) is ts-pattern's ...P.array(q?).
      return ts ? [...items, ...(b.array(...of) as unknown[])] : [...items, P.rest(...(of as [unknown?]))]
    }
    case 'obj':
      return Object.fromEntries(s.keys.map(([k, p]) => [k, sub(p)]))
    case 'arrayOf':
      return b.array(sub(s.of))
    case 'union':
      return b.union(...s.of.map(sub))
    case 'not':
      return b.not(sub(s.of))
    case 'opt':
      return b.optional(sub(s.of))
    case 'sel':
      if (s.name === undefined) return s.of === undefined ? b.select() : b.select(sub(s.of))
      return s.of === undefined ? b.select(s.name) : b.select(s.name, sub(s.of))
  }
}

/** ts-pattern's choice: the first clause it accepts, with its handler's first argument. */
function oracle(clauses: Spec[], v: unknown): Hit | null {
  const i = clauses.findIndex((c) => tsIsMatching(build(c, true) as never, v))
  if (i < 0) return null
  const s = tsMatch<unknown, unknown>(v)
    .with(build(clauses[i], true) as never, (sel: unknown) => sel)
    .otherwise(() => undefined)
  return { i, s, v }
}

/** Whether ts-pattern defines a spec's selections as bfly does: a union's
 * failed alternatives leave what they selected before failing in
 * ts-pattern (bfly keeps only the winning one's), so selections under a
 * union are compared with the naive reference only. */
function sameSelectionRules(s: Spec): boolean {
  return s.k !== 'union' && children(s).every(sameSelectionRules)
}

function showLit(v: Lit): string {
  if (typeof v === 'symbol') return `Symbol.for(${JSON.stringify(Symbol.keyFor(v))})`
  if (typeof v === 'bigint') return `${v}n`
  if (typeof v === 'string') return `'${v}'`
  if (Object.is(v, -0)) return '-0'
  return String(v)
}

/** A spec as TypeScript source, for copy-pasteable counterexamples. */
function show(s: Spec): string {
  switch (s.k) {
    case 'lit':
      return showLit(s.v)
    case 'any':
      return 'P._'
    case 'type':
      return `P.${s.t}`
    case 'tuple': {
      const items = s.items.map(show)
      if (s.rest !== undefined) items.push(s.rest.of === undefined ? 'P.rest()' : `P.rest(${show(s.rest.of)})`)
      return `[${items.join(', ')}]`
    }
    case 'obj':
      return `{ ${s.keys.map(([k, p]) => `${k}: ${show(p)}`).join(', ')} }`
    case 'arrayOf':
      return `P.array(${show(s.of)})`
    case 'union':
      return `P.union(${s.of.map(show).join(', ')})`
    case 'not':
      return `P.not(${show(s.of)})`
    case 'opt':
      return `P.optional(${show(s.of)})`
    case 'sel': {
      const args = [...(s.name === undefined ? [] : [`'${s.name}'`]), ...(s.of === undefined ? [] : [show(s.of)])]
      return `P.select(${args.join(', ')})`
    }
  }
}

function showValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(showValue).join(', ')}]`
  if (v instanceof Pid) return `new Pid('${v.node}', ${v.id})`
  if (typeof v === 'object' && v !== null)
    return `{ ${Object.entries(v)
      .map(([k, x]) => `${k}: ${showValue(x)}`)
      .join(', ')} }`
  return showLit(v as Lit)
}

/** Gives every selection of a clause a distinct name; a clause with one
 * selection in all keeps it anonymous when `anon`. Also rewrites the two
 * argument shapes that P reads differently from the spec: a string first
 * argument of P.select is a name, and `undefined` as the argument of
 * P.array / P.rest / P.select is covered by its own test (match.test.ts);
 * both are wrapped in a one-alternative P.union here. */
function nameSelections(s: Spec, anon: boolean): Spec {
  let count = 0
  const countSels = (x: Spec): void => {
    if (x.k === 'sel') count++
    for (const c of children(x)) countSels(c)
  }
  countSels(s)
  let next = 0
  const undef = (x: Spec): Spec => (x.k === 'lit' && x.v === undefined ? union1(x) : x)
  const go = (x: Spec): Spec => {
    switch (x.k) {
      case 'tuple':
        return { k: 'tuple', items: x.items.map(go), ...(x.rest === undefined ? {} : { rest: restOf(x.rest.of) }) }
      case 'obj':
        return { k: 'obj', keys: x.keys.map(([k, p]) => [k, go(p)]) }
      case 'arrayOf':
        return { k: 'arrayOf', of: go(undef(x.of)) }
      case 'not':
        return { k: 'not', of: go(x.of) }
      case 'opt':
        return { k: 'opt', of: go(x.of) }
      case 'union':
        return { k: 'union', of: x.of.map(go) }
      case 'sel': {
        const name = count === 1 && anon ? undefined : `s${next++}`
        const str = name === undefined && x.of?.k === 'lit' && typeof x.of.v === 'string'
        const of = x.of === undefined ? undefined : str ? union1(x.of) : undef(x.of)
        return { k: 'sel', ...(name === undefined ? {} : { name }), ...(of === undefined ? {} : { of: go(of) }) }
      }
      default:
        return x
    }
  }
  const restOf = (of: Spec | undefined): { of?: Spec } => (of === undefined ? {} : { of: go(undef(of)) })
  return go(s)
}

const union1 = (s: Spec): Spec => ({ k: 'union', of: [s] })

function children(s: Spec): Spec[] {
  switch (s.k) {
    case 'tuple':
      return [...s.items, ...(s.rest?.of === undefined ? [] : [s.rest.of])]
    case 'obj':
      return s.keys.map(([, p]) => p)
    case 'arrayOf':
    case 'not':
    case 'opt':
      return [s.of]
    case 'union':
      return s.of
    case 'sel':
      return s.of === undefined ? [] : [s.of]
    default:
      return []
  }
}

// ---------------------------------------------------------------------------
// The naive reference: clause by clause, recursively, per API.md.

type Sels = Map<string | null, unknown>

/** Selection names a pattern declares (none inside P.not), in order. */
function declared(s: Spec, out: (string | null)[] = []): (string | null)[] {
  if (s.k === 'not') return out
  if (s.k === 'sel') out.push(s.name ?? null)
  for (const c of children(s)) declared(c, out)
  return out
}

/** Every element of `xs` matches `of`; selections inside collect arrays. */
function refAll(of: Spec | undefined, xs: unknown[], sels: Sels): boolean {
  if (of === undefined) return true
  const names = declared(of)
  const lists: unknown[][] = names.map(() => [])
  for (const x of xs) {
    const m: Sels = new Map()
    if (!refTest(of, x, m)) return false
    names.forEach((n, j) => {
      lists[j].push(m.get(n))
    })
  }
  names.forEach((n, j) => {
    sels.set(n, lists[j])
  })
  return true
}

function refTest(s: Spec, v: unknown, sels: Sels): boolean {
  switch (s.k) {
    case 'lit':
      return Object.is(v, s.v)
    case 'any':
      return true
    case 'type':
      if (s.t === 'nullish') return v === null || v === undefined
      if (s.t === 'pid') return v instanceof Pid
      return typeof v === s.t
    case 'tuple': {
      if (!Array.isArray(v)) return false
      const n = s.items.length
      if (s.rest === undefined ? v.length !== n : v.length < n) return false
      if (!s.items.every((p, i) => refTest(p, v[i], sels))) return false
      return s.rest === undefined || refAll(s.rest.of, v.slice(n), sels)
    }
    case 'obj': {
      if (typeof v !== 'object' || v === null) return false
      const o = v as Record<string, unknown>
      // Each key must be present (`in`) unless its pattern is P.optional: ts-pattern's rule.
      return s.keys.every(([k, p]) => (k in o || p.k === 'opt') && refTest(p, o[k], sels))
    }
    case 'opt':
      if (v === undefined) {
        for (const n of declared(s.of)) sels.set(n, undefined)
        return true
      }
      return refTest(s.of, v, sels)
    case 'arrayOf':
      return Array.isArray(v) && refAll(s.of, v, sels)
    case 'union': {
      for (const n of declared(s)) sels.set(n, undefined)
      for (const alt of s.of) {
        const m: Sels = new Map()
        if (refTest(alt, v, m)) {
          for (const [n, x] of m) sels.set(n, x)
          return true
        }
      }
      return false
    }
    case 'not':
      return !refTest(s.of, v, new Map())
    case 'sel':
      if (s.of !== undefined && !refTest(s.of, v, sels)) return false
      sels.set(s.name ?? null, v)
      return true
  }
}

interface Hit {
  i: number
  s: unknown
  v: unknown
}

/** The first clause (in written order) that accepts `v`, with the handler's
 * arguments: the anonymous selection, the named ones, or the value. */
function reference(clauses: Spec[], v: unknown): Hit | null {
  for (let i = 0; i < clauses.length; i++) {
    const sels: Sels = new Map()
    if (!refTest(clauses[i], v, sels)) continue
    const names = declared(clauses[i])
    if (names.length === 0) return { i, s: v, v }
    if (names.length === 1 && names[0] === null) return { i, s: sels.get(null), v }
    return { i, s: Object.fromEntries(names.map((n) => [n, sels.get(n)])), v }
  }
  return null
}

// ---------------------------------------------------------------------------
// Comparison helpers.

/** Deep equality with Object.is at the leaves (so -0, NaN count). */
function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    return a.every((x, i) => same(x, b[i]))
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (a instanceof Pid || b instanceof Pid) return false
  const ka = Object.keys(a).sort()
  const kb = Object.keys(b).sort()
  if (!same(ka, kb)) return false
  return ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}

function hasUndefined(v: unknown): boolean {
  if (v === undefined) return true
  if (Array.isArray(v)) return v.some(hasUndefined)
  if (typeof v === 'object' && v !== null && !(v instanceof Pid)) return Object.values(v).some(hasUndefined)
  return false
}

/** Arrays or pids inside a value: object patterns on them read keys that
 * only JS can read, so the Rust evaluator may answer -2. */
function hasJsKeyed(v: unknown): boolean {
  if (Array.isArray(v) || v instanceof Pid) return true
  if (typeof v === 'object' && v !== null) return Object.values(v).some(hasJsKeyed)
  return false
}

function matchers(clauses: Spec[]): { gen: Matcher<Hit | null>; int: Matcher<Hit | null> } {
  const cs = clauses.map((c, i) => [build(c), (s: unknown, v: unknown): Hit | null => ({ i, s, v })] as const)
  return {
    gen: match<unknown[], Clause<unknown, Hit | null>[]>(...cs).otherwise(() => null),
    int: matchWith<unknown[], Clause<unknown, Hit | null>[]>({ codegen: false }, ...cs).otherwise(() => null),
  }
}

function describe(clauses: Spec[], v: unknown): string {
  return `match(\n${clauses.map((c, i) => `  [${show(c)}, h${i}],`).join('\n')}\n)(${showValue(v)})`
}

function showHit(h: Hit | null): string {
  return h === null ? 'no match' : `clause ${h.i} with ${showValue(h.s)}`
}

interface Stats {
  values: number
  matched: number
  rust: number
  needsJs: number
  memo: number
  compiled: number
}

const newStats = (): Stats => ({ values: 0, matched: 0, rust: 0, needsJs: 0, memo: 0, compiled: 0 })

/** Which back ends `check` compares with the reference. */
interface Backends {
  /** Generated code, interpreter and isMatching. */
  js: boolean
  /** The Rust evaluator on encode(value), for values it may decide. */
  rust: (v: unknown) => boolean
}

/** MessagePack extension types inside a value (bigint, symbol, pid). */
function hasExt(v: unknown): boolean {
  if (typeof v === 'bigint' || typeof v === 'symbol' || v instanceof Pid) return true
  if (Array.isArray(v)) return v.some(hasExt)
  if (typeof v === 'object' && v !== null) return Object.values(v).some(hasExt)
  return false
}

/** Checks back ends against the reference on `values`; throws with a
 * copy-pasteable repro on the first disagreement. */
function check(clauses: Spec[], values: unknown[], use: Backends, stats: Stats): void {
  const { gen, int } = matchers(clauses)
  stats.compiled++
  if (gen.core.dag.memo) stats.memo++
  for (const v of values) {
    stats.values++
    const want = reference(clauses, v)
    if (want !== null) stats.matched++
    const ts = oracle(clauses, v)
    if ((ts?.i ?? -1) !== (want?.i ?? -1))
      throw new Error(`reference: ${showHit(want)}, ts-pattern: ${showHit(ts)}\n${describe(clauses, v)}`)
    if (ts !== null && want !== null && sameSelectionRules(clauses[ts.i]) && !same(ts.s, want.s))
      throw new Error(`reference: ${showHit(want)}, ts-pattern: ${showHit(ts)}\n${describe(clauses, v)}`)
    if (use.js) {
      for (const [name, m] of [
        ['generated code', gen],
        ['interpreter', int],
      ] as const) {
        const got = m(v)
        const ok =
          want === null ? got === null : got !== null && got.i === want.i && same(got.s, want.s) && Object.is(got.v, v)
        if (!ok) throw new Error(`${name}: ${showHit(got)}, reference: ${showHit(want)}\n${describe(clauses, v)}`)
      }
      const want0 = refTest(clauses[0], v, new Map())
      if (isMatching(build(clauses[0]), v) !== want0)
        throw new Error(`isMatching: ${!want0}, reference: ${want0}\nisMatching(${show(clauses[0])}, ${showValue(v)})`)
    }
    // encode refuses undefined; the Rust evaluator never sees it.
    if (hasUndefined(v) || !use.rust(v)) continue
    const bytes = encode(v)
    const r = gen.core.native.testEncoded(bytes)
    if (r === -2) {
      stats.needsJs++
      if (!hasJsKeyed(v))
        throw new Error(`Rust evaluator: -2 on a value without arrays or pids\n${describe(clauses, v)}`)
      continue
    }
    stats.rust++
    // The Rust evaluator decides the message as received: the decoded value.
    const wantR = oracle(clauses, decode(bytes))
    if (r !== (wantR?.i ?? -1))
      throw new Error(`Rust evaluator on encode(value): ${r}, reference: ${showHit(wantR)}\n${describe(clauses, v)}`)
  }
}

// ---------------------------------------------------------------------------
// Arbitraries.

const litArb = fc.constantFrom(...LITS)

const { spec: specArb } = fc.letrec<{ spec: Spec }>((tie) => ({
  spec: fc.oneof(
    { depthSize: 'small', maxDepth: 4, withCrossShrink: true },
    { weight: 4, arbitrary: litArb.map((v): Spec => ({ k: 'lit', v })) },
    { weight: 2, arbitrary: fc.constant<Spec>({ k: 'any' }) },
    { weight: 2, arbitrary: fc.constantFrom(...TYPES).map((t): Spec => ({ k: 'type', t })) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.array(tie('spec'), { maxLength: 3 }), fc.constantFrom('none', 'none', 'rest', 'restOf'), tie('spec'))
        .map(
          ([items, r, of]): Spec =>
            r === 'none' ? { k: 'tuple', items } : { k: 'tuple', items, rest: r === 'rest' ? {} : { of } },
        ),
    },
    {
      weight: 2,
      arbitrary: fc
        .uniqueArray(fc.tuple(fc.constantFrom(...KEYS), tie('spec')), { maxLength: 3, selector: ([k]) => k })
        .map((keys): Spec => ({ k: 'obj', keys })),
    },
    { weight: 1, arbitrary: tie('spec').map((of): Spec => ({ k: 'arrayOf', of })) },
    {
      weight: 1,
      arbitrary: fc.array(tie('spec'), { minLength: 1, maxLength: 3 }).map((of): Spec => ({ k: 'union', of })),
    },
    { weight: 1, arbitrary: tie('spec').map((of): Spec => ({ k: 'not', of })) },
    { weight: 1, arbitrary: tie('spec').map((of): Spec => ({ k: 'opt', of })) },
    {
      weight: 2,
      arbitrary: fc
        .option(tie('spec'), { nil: undefined })
        .map((of): Spec => (of === undefined ? { k: 'sel' } : { k: 'sel', of })),
    },
  ),
}))

const clauseArb = fc.tuple(specArb, fc.boolean()).map(([s, anon]) => nameSelections(s, anon))

const { value: valueArb } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 3, withCrossShrink: true },
    { weight: 4, arbitrary: litArb },
    { weight: 1, arbitrary: fc.constantFrom(pid1, pid2) },
    { weight: 2, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
    {
      weight: 2,
      arbitrary: fc
        .uniqueArray(fc.tuple(fc.constantFrom(...KEYS), tie('value')), { maxLength: 3, selector: ([k]) => k })
        .map((es) => Object.fromEntries(es)),
    },
  ),
}))

const typed: Record<TypeName, unknown[]> = {
  string: ['a', 'b', ''],
  number: [0, -0, 1, Number.NaN],
  boolean: [true, false],
  bigint: [0n, 1n],
  symbol: [A, B],
  nullish: [null, undefined],
  pid: [pid1, pid2],
}

/** Values that tend to match `s` (so that deep clauses get exercised). */
function witness(s: Spec): fc.Arbitrary<unknown> {
  switch (s.k) {
    case 'lit':
      return fc.constant(s.v)
    case 'any':
    case 'not':
      return valueArb
    case 'opt':
      return fc.oneof(fc.constant(undefined), witness(s.of))
    case 'type':
      return fc.constantFrom(...typed[s.t])
    case 'tuple': {
      const head = fc.tuple(...s.items.map(witness))
      if (s.rest === undefined) return head
      const tail = fc.array(s.rest.of === undefined ? valueArb : witness(s.rest.of), { maxLength: 3 })
      return fc.tuple(head, tail).map(([h, t]) => [...h, ...t])
    }
    case 'obj':
      // A key is sometimes left out (absent is not the same as undefined).
      return fc
        .tuple(
          ...s.keys.map(([k, p]) => fc.tuple(witness(p), fc.nat(5)).map(([w, drop]) => [k, w, drop === 0] as const)),
          fc.option(valueArb),
        )
        .map((es) => {
          const extra = es.pop() as unknown
          const o: Record<string, unknown> = {}
          for (const [k, w, drop] of es as (readonly [string, unknown, boolean])[]) if (!drop) o[k] = w
          if (extra !== null && !('c' in o)) o.c = extra
          return o
        })
    case 'arrayOf':
      return fc.array(witness(s.of), { maxLength: 3 })
    case 'union':
      return fc.oneof(...s.of.map(witness))
    case 'sel':
      return s.of === undefined ? valueArb : witness(s.of)
  }
}

/** A clause list and values to try: random ones and near-witnesses. */
function caseArb(clauses: fc.Arbitrary<Spec[]>): fc.Arbitrary<[Spec[], unknown[]]> {
  return clauses.chain((cs) =>
    fc.tuple(
      fc.constant(cs),
      fc.array(cs.length === 0 ? valueArb : fc.oneof(valueArb, ...cs.map(witness)), { minLength: 1, maxLength: 10 }),
    ),
  )
}

// MATCH_RUNS=5000 npx ava __test__/match-props.test.ts for a longer hunt.
const NUM_RUNS = Number(process.env.MATCH_RUNS ?? 400)
const randomCases = caseArb(fc.array(clauseArb, { minLength: 1, maxLength: 8 }))

test('generated code, interpreter, isMatching and the reference: same clause, same handler arguments', (t) => {
  const stats = newStats()
  fc.assert(
    fc.property(randomCases, ([clauses, values]) => {
      check(clauses, values, { js: true, rust: () => false }, stats)
    }),
    { numRuns: NUM_RUNS, includeErrorInReport: true },
  )
  t.log(stats)
  // The generators are meant to exercise matches, not only misses.
  t.true(stats.matched > stats.values / 5, 'enough values match some clause')
})

test('the Rust evaluator on encode(value) picks the reference clause', (t) => {
  const stats = newStats()
  fc.assert(
    fc.property(randomCases, ([clauses, values]) => {
      check(clauses, values, { js: false, rust: () => true }, stats)
    }),
    { numRuns: NUM_RUNS, includeErrorInReport: true },
  )
  t.log(stats)
  t.true(stats.rust > stats.values / 4, 'the Rust evaluator decides enough values')
})

// The same, on values with no MessagePack extension types (bigint, symbol,
// pid): the patterns still hold such literals and type tests.
test('the Rust evaluator on encoded plain values picks the reference clause', (t) => {
  const stats = newStats()
  fc.assert(
    fc.property(randomCases, ([clauses, values]) => {
      check(clauses, values, { js: false, rust: (v) => !hasExt(v) }, stats)
    }),
    { numRuns: NUM_RUNS, includeErrorInReport: true },
  )
  t.log(stats)
  t.true(stats.rust > stats.values / 5, 'the Rust evaluator decides enough values')
})

/** Wide tuples of literals, wildcards and type tests: many clauses sharing
 * tests across non-adjacent rows, big enough to hit the size budget. */
const wideClauseArb = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.constant<Spec>({ k: 'any' }) },
      { weight: 3, arbitrary: fc.constantFrom<Lit>(0, 1, 'a').map((v): Spec => ({ k: 'lit', v })) },
      { weight: 1, arbitrary: fc.constantFrom<TypeName>('number', 'string').map((t): Spec => ({ k: 'type', t })) },
      { weight: 1, arbitrary: fc.constant<Spec>({ k: 'sel', of: { k: 'lit', v: 1 } }) },
    ),
    { minLength: 16, maxLength: 16 },
  )
  .map((items) => nameSelections({ k: 'tuple', items }, false))

const wideValueArb = fc.array(fc.constantFrom<unknown>(0, 1, 'a', 'b', 2), { minLength: 16, maxLength: 16 })

test('many-clause matchers (decision DAG and the memoized fallback) agree with the reference', (t) => {
  const stats = newStats()
  fc.assert(
    fc.property(
      fc.array(wideClauseArb, { minLength: 20, maxLength: 80 }),
      fc.array(wideValueArb, { minLength: 1, maxLength: 20 }),
      (clauses, values) => {
        // Values that match one of the first clauses, too.
        const near = clauses
          .slice(0, 5)
          .map((c) => (c.k === 'tuple' ? c.items.map((x) => (x.k === 'lit' ? x.v : x.k === 'sel' ? 1 : 'a')) : []))
        check(clauses, [...values, ...near], { js: true, rust: () => true }, stats)
      },
    ),
    { numRuns: 60, includeErrorInReport: true },
  )
  t.log(stats)
  t.true(stats.memo > 0, 'some matchers took the memoized fallback')
  t.true(stats.compiled > stats.memo, 'some matchers stayed a DAG')
  t.true(stats.matched > 0, 'some values matched')
})
