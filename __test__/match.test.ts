import { inspect } from 'node:util'
// The pattern matcher (API.md, Pattern matching; issue 3): the seed's
// example, clause order, the evaluation rules (reads, instanceof and guards),
// malformed patterns, MatchError and .otherwise. Both JS back ends (generated
// code and the interpreter) run every behavioural test; the Rust evaluator
// runs where the value is encodable.
import test from 'ava'
import {
  type Clause,
  decode,
  encode,
  isMatching,
  MatchError,
  type Matcher,
  match,
  matchWith,
  P,
  PatternError,
  Pid,
  Ref,
} from '../index.ts'

const A = Symbol.for('A')
const B = Symbol.for('B')
const C = Symbol.for('C')
const D = Symbol.for('D')

type Clauses = readonly (readonly [unknown, (s: never, v: never) => unknown])[]

/** Both JS back ends, built from the same clauses. */
const backEnds = [
  ['generated code', (...cs: Clauses): Matcher<unknown> => match<unknown[], Clause<unknown, unknown>[]>(...cs)],
  [
    'interpreter',
    (...cs: Clauses): Matcher<unknown> => matchWith<unknown[], Clause<unknown, unknown>[]>({ codegen: false }, ...cs),
  ],
] as const

/** The clause the Rust evaluator picks on the encoded value (-1: none,
 * -2: only JS can decide). */
const rust = (m: Matcher<unknown>, v: unknown): number => m.core.native.testEncoded(encode(v))

/** The clause index the JS back end picks (-1: none). */
const clauseOf = (m: Matcher<unknown>, v: unknown): number => {
  const r = m.core.select(v, [undefined])
  return r < 0 ? -1 : m.core.dag.rows[r].clause
}

// ---------------------------------------------------------------------------
// The seed's example: ('A 'B 'C) / ('A 'B 'D) / ('A 'B va1)

const seedClauses = [
  [[A, B, C], () => 'ABC'],
  [[A, B, D], () => 'ABD'],
  [[A, B, P.select()], (va1: unknown) => ['AB_', va1]],
] as const

for (const [name, make] of backEnds) {
  test(`${name}: the seed example picks the first matching clause and binds va1`, (t) => {
    const m = make(...seedClauses)
    t.is(m([A, B, C]), 'ABC')
    t.is(m([A, B, D]), 'ABD')
    t.deepEqual(m([A, B, 7]), ['AB_', 7])
    t.deepEqual(m([A, B, A]), ['AB_', A])
    t.deepEqual(m([A, B, [1, 2]]), ['AB_', [1, 2]])
    for (const v of [[A, C, C], [A, B], [A, B, C, D], [B, B, C], 'ABC', null, undefined, { 0: A, 1: B, 2: C }]) {
      const e = t.throws(() => m(v), { instanceOf: MatchError })
      t.is(e?.value, v)
    }
  })
}

test('the seed example: explain() shows the shared prefix tested once', (t) => {
  const m = match(...seedClauses)
  const text = m.explain()
  t.log(text)
  const lines = (re: RegExp) => text.split('\n').filter((l) => re.test(l))
  t.is(lines(/v\[0\] is Symbol\.for\('A'\)/).length, 1, 'one test of v[0]')
  t.is(lines(/v\[1\] is Symbol\.for\('B'\)/).length, 1, 'one test of v[1]')
  t.is(lines(/Array\.isArray\(v\)/).length, 1, 'one array test')
  t.is(lines(/v\.length === 3/).length, 1, 'one length test')
  t.is(lines(/v\[2\] is Symbol\.for\('C'\)/).length, 1)
  t.is(lines(/v\[2\] is Symbol\.for\('D'\)/).length, 1)
  // The prefix tests come before (above, less indented than) the last element's.
  const indent = (re: RegExp) => (lines(re)[0] ?? '').search(/\S/)
  t.true(indent(/v\[0\] is/) < indent(/v\[1\] is/))
  t.true(indent(/v\[1\] is/) < indent(/v\[2\] is Symbol\.for\('C'\)/))
  for (const clause of [0, 1, 2]) t.regex(text, new RegExp(`=> clause ${clause}\\b`))
})

test('explain() shows every node it refers to', (t) => {
  // A reader must be able to follow `-> nK (shared, above)`: node nK is
  // printed, labelled [nK], before it is referred to; and no branch is empty.
  for (const m of [match(...seedClauses), match([[1, 2], () => 0], [{ a: 1 }, () => 1])]) {
    const text = m.explain()
    const shown = new Set<string>()
    const lines = text.split('\n')
    lines.forEach((l, i) => {
      for (const [, id] of l.matchAll(/\[(n\d+)\]/g)) shown.add(id)
      const ref = /-> (n\d+) \(shared/.exec(l)
      if (ref !== null) t.true(shown.has(ref[1]), `line ${i} refers to ${ref[1]}, never shown:\n${text}`)
      if (/^\s*else:$/.test(l)) {
        const next = lines[i + 1] ?? ''
        t.true(next.search(/\S/) > l.search(/\S/), `empty else branch at line ${i}:\n${text}`)
      }
    })
  }
})

test('the Rust evaluator decides the seed example on encoded messages', (t) => {
  const m = match(...seedClauses)
  t.is(rust(m, [A, B, C]), 0)
  t.is(rust(m, [A, B, D]), 1)
  t.is(rust(m, [A, B, 7]), 2)
  t.is(rust(m, [A, B, 'x']), 2)
  t.is(rust(m, [A, C, C]), -1)
  t.is(rust(m, [A, B]), -1)
})

// ---------------------------------------------------------------------------
// Clause order.

for (const [name, make] of backEnds) {
  test(`${name}: the first written clause wins over a later, more specific one`, (t) => {
    // Clauses 0, 2 and 3 share the prefix 'A'; the specific clause 2 comes
    // after the general clause 0 with an unrelated clause between them.
    const m = make(
      [['A', P._, 'C'], () => 0],
      [['X', P._, P._], () => 1],
      [['A', 'B', 'C'], () => 2],
      [['A', 'B', P._], () => 3],
      [[P._, 'B', 'C'], () => 4],
    )
    const cases: [unknown, number][] = [
      [['A', 'B', 'C'], 0],
      [['A', 'Q', 'C'], 0],
      [['A', 'B', 'D'], 3],
      [['X', 'B', 'C'], 1],
      [['Y', 'B', 'C'], 4],
    ]
    for (const [v, want] of cases) {
      t.is(m(v), want, JSON.stringify(v))
      t.is(rust(m, v), want, `Rust: ${JSON.stringify(v)}`)
    }
    t.is(clauseOf(m, ['Y', 'B', 'D']), -1)
    // The merged tests never reorder the clauses, whatever is tested first.
    const n = make([[P._, 1], () => 0], [[2, P._], () => 1], [[2, 1], () => 2], [{ 0: 2 }, () => 3])
    t.is(n([2, 1]), 0)
    t.is(n([2, 2]), 1)
    t.is(n([3, 1]), 0)
    t.is(n([2, 3, 3]), 3)
    t.throws(() => n([3, 3, 3]), { instanceOf: MatchError })
    // Partial objects: the general clause first wins.
    const o = make(
      [{ type: 'a' }, () => 'general'],
      [{ type: 'b', n: 1 }, () => 'b1'],
      [{ type: 'a', n: 1 }, () => 'specific'],
      [{ type: P.union('a', 'b') }, () => 'union'],
    )
    t.is(o({ type: 'a', n: 1 }), 'general')
    t.is(o({ type: 'b', n: 1 }), 'b1')
    t.is(o({ type: 'b', n: 2 }), 'union')
    // Unions: the first alternative that matches, the first clause that matches.
    const u = make(
      [P.union(['A', 1], ['B', 2]), () => 0],
      [['A', P.number], () => 1],
      [['B', P.select()], (x: number) => x * 10],
    )
    t.is(u(['A', 1]), 0)
    t.is(u(['B', 2]), 0)
    t.is(u(['A', 2]), 1)
    t.is(u(['B', 3]), 30)
  })
}

// ---------------------------------------------------------------------------
// Evaluation rules: each property read, instanceof and guard at most once.

/** A value whose every property read (at any depth) is counted by path. */
function tracked<T extends object>(target: T, reads: Map<string, number>, path = 'v'): T {
  return new Proxy(target, {
    get(o, k, r) {
      const at = typeof k === 'symbol' ? `${path}[${String(k)}]` : `${path}.${k}`
      reads.set(at, (reads.get(at) ?? 0) + 1)
      const x: unknown = Reflect.get(o, k, r)
      return typeof x === 'object' && x !== null ? tracked(x, reads, at) : x
    },
  })
}

function readTwice(reads: Map<string, number>): string[] {
  return [...reads].filter(([, n]) => n > 1).map(([k, n]) => `${k} read ${n} times`)
}

const dispatchClauses = [
  [{ type: 'add', args: [P.number, P.number] }, () => 'add'],
  [{ type: 'neg', args: [P.number] }, () => 'neg'],
  [{ type: 'add', args: [P.string, P.rest()] }, () => 'concat'],
  [{ kind: 'x', type: 'mul' }, () => 'mul'],
  [{ type: P.union('sub', 'div'), args: P.array(P.number) }, () => 'subdiv'],
  [{ type: P.string, meta: { id: P.select('id'), tags: [P.rest(P.select('tag'))] } }, () => 'meta'],
  [{ type: P.not('zzz'), args: [P._, P._, P.select('x')] }, () => 'third'],
  [{ args: { length: 0 } }, () => 'empty'],
  [[P.string, { type: 'add' }, P.rest(P.number)], () => 'tuple'],
  [P._, () => 'other'],
] as const

const dispatchValues: unknown[] = [
  { type: 'add', args: [1, 2] },
  { type: 'neg', args: [1] },
  { type: 'add', args: ['a', 1, 2] },
  { type: 'mul', kind: 'x' },
  { type: 'div', args: [1, 2, 3] },
  { type: 'sub', args: [1, 'x'], meta: { id: 7, tags: ['a', 'b'] } },
  { type: 'pow', args: [1, 2, 3] },
  { type: 'zzz', args: [] },
  ['s', { type: 'add' }, 1, 2],
  ['s', { type: 'sub' }, 1, 2],
  { type: 'add', args: [1, 'x'], kind: 'x', meta: { id: 1, tags: [] } },
  [],
  'nothing',
]

for (const [name, make] of backEnds) {
  test(`${name}: each property and length is read at most once per match`, (t) => {
    const m = make(...dispatchClauses)
    for (const v of dispatchValues) {
      const plain = m(v)
      const reads = new Map<string, number>()
      t.is(m(typeof v === 'object' && v !== null ? tracked(v, reads) : v), plain)
      t.deepEqual(readTwice(reads), [], JSON.stringify(v))
    }
  })

  test(`${name}: getters run at most once per match across many clauses reading them`, (t) => {
    let reads = new Map<string, number>()
    const value = (o: Record<string, unknown>): Record<string, unknown> => {
      const out: Record<string, unknown> = {}
      for (const [k, x] of Object.entries(o))
        Object.defineProperty(out, k, {
          enumerable: true,
          get: () => {
            reads.set(k, (reads.get(k) ?? 0) + 1)
            return x
          },
        })
      return out
    }
    const clauses = Array.from({ length: 30 }, (_, i) => [{ tag: `t${i % 10}`, n: i, [`k${i % 3}`]: P._ }, () => i])
    const m = make(...(clauses as [unknown, () => number][]), [{ tag: P.string, n: P.select() }, (n: unknown) => n])
    for (const [v, want] of [
      [{ tag: 't5', n: 15, k0: 1 }, 15],
      [{ tag: 't5', n: 25, k0: 1 }, 25],
      [{ tag: 't5', n: 99, k0: 1 }, 99],
      [{ tag: 't0', n: 0 }, 0],
      [{ tag: 'zz', n: 3 }, 3],
    ] as const) {
      reads = new Map()
      t.is(m(value(v)), want)
      t.deepEqual(readTwice(reads), [], JSON.stringify(v))
    }
  })

  test(`${name}: instanceof runs at most once per value tested`, (t) => {
    const seen = new Map<unknown, number>()
    class Shape {
      constructor(
        readonly kind: string,
        readonly size: number,
      ) {}
      static [Symbol.hasInstance](x: unknown): boolean {
        seen.set(x, (seen.get(x) ?? 0) + 1)
        return typeof x === 'object' && x !== null && Object.getPrototypeOf(x) === Shape.prototype
      }
    }
    const m = make(
      [P.instanceOf(Shape, { kind: 'square', size: 1 }), () => 'unit square'],
      [{ shape: P.instanceOf(Shape) }, () => 'wrapped'],
      [P.instanceOf(Shape, { kind: 'circle' }), () => 'circle'],
      [P.instanceOf(Shape, { kind: 'square' }), () => 'square'],
      [[P.instanceOf(Shape), P.instanceOf(Shape)], () => 'pair'],
      [P.instanceOf(Shape), () => 'shape'],
      [P._, () => 'other'],
    )
    const sq = new Shape('square', 2)
    for (const [v, want] of [
      [new Shape('square', 1), 'unit square'],
      [sq, 'square'],
      [new Shape('circle', 1), 'circle'],
      [new Shape('hex', 1), 'shape'],
      [{ shape: sq }, 'wrapped'],
      [[sq, sq], 'pair'],
      [{ kind: 'square', size: 1 }, 'other'],
      [5, 'other'],
    ] as const) {
      seen.clear()
      t.is(m(v), want)
      // The same object tested at two paths ([sq, sq]) counts once per path.
      const limit = Array.isArray(v) ? 2 : 1
      for (const [x, n] of seen) t.true(n <= limit, `instanceof on ${String(x)} ran ${n} times for ${want}`)
    }
  })

  test(`${name}: a guard runs only after its clause's structural tests passed`, (t) => {
    const calls: string[] = []
    const guard =
      (label: string, ok: boolean) =>
      (x: unknown): boolean => {
        calls.push(`${label}(${String(x)})`)
        return ok
      }
    const m = make(
      [{ type: 'a', n: P.when(guard('g0', true)) }, () => 0],
      [[P.when(guard('g1', true)), 'x'], () => 1],
      [{ type: 'b', n: P.when(guard('g2', false)), m: 1 }, () => 2],
      [{ type: 'b', n: P.when(guard('g3', true)) }, () => 3],
      [{ type: P.string, deep: { k: 1 }, n: P.when(guard('g4', true)) }, () => 4],
      [P._, () => 5],
    )
    const cases: [unknown, number, string[]][] = [
      [{ type: 'a', n: 1 }, 0, ['g0(1)']],
      [{ type: 'b', n: 2 }, 3, ['g3(2)']],
      [{ type: 'b', n: 2, m: 1 }, 3, ['g2(2)', 'g3(2)']],
      [{ type: 'c', n: 3, deep: { k: 2 } }, 5, []],
      [{ type: 'c', n: 3, deep: { k: 1 } }, 4, ['g4(3)']],
      [[7, 'y'], 5, []],
      [[7, 'x'], 1, ['g1(7)']],
      [{ type: 'z', n: 1 }, 5, []],
    ]
    for (const [v, want, guards] of cases) {
      calls.length = 0
      t.is(m(v), want, JSON.stringify(v))
      t.deepEqual(calls, guards, JSON.stringify(v))
    }
  })

  test(`${name}: a guard shared by clauses runs at most once per clause attempt`, (t) => {
    let calls = 0
    let answer = false
    const g = (x: unknown): boolean => {
      calls++
      return answer && x === 5
    }
    const m = make(
      [{ a: P.when(g), b: 1 }, () => 0],
      [{ a: P.when(g), b: 2 }, () => 1],
      [{ a: P.when(g) }, () => 2],
      [{ a: P.select() }, (a: unknown) => ['a', a]],
    )
    for (const [v, ok, want, attempts] of [
      [{ a: 5, b: 2 }, true, 1, 1],
      [{ a: 5, b: 1 }, true, 0, 1],
      [{ a: 5, b: 3 }, true, 2, 1],
      [{ a: 5, b: 1 }, false, ['a', 5], 2],
      [{ a: 6, b: 9 }, true, ['a', 6], 1],
    ] as const) {
      calls = 0
      answer = ok
      t.deepEqual(m(v), want)
      t.true(calls >= 1 && calls <= attempts, `guard ran ${calls} times for ${JSON.stringify(v)}`)
    }
  })

  test(`${name}: guards inside P.array, P.union and P.select`, (t) => {
    const calls: unknown[] = []
    const even = (x: number): boolean => {
      calls.push(x)
      return x % 2 === 0
    }
    const m = make(
      [['evens', P.array(P.when(even))], () => 'evens'],
      [['one', P.union(P.when(even), 'odd')], () => 'one'],
      [['sel', P.select('n', P.when(even))], ({ n }: { n: number }) => n],
      [P._, () => 'other'],
    )
    t.is(m(['evens', [2, 4]]), 'evens')
    t.deepEqual(calls, [2, 4])
    calls.length = 0
    t.is(m(['evens', [2, 3, 4]]), 'other')
    t.deepEqual(calls, [2, 3])
    calls.length = 0
    t.is(m(['one', 'odd']), 'one')
    t.true(calls.length <= 1)
    calls.length = 0
    t.is(m(['sel', 8]), 8)
    t.deepEqual(calls, [8])
    calls.length = 0
    t.is(m(['nope', 8]), 'other')
    t.deepEqual(calls, [])
  })
}

/** A deterministic many-clause matcher over 16-element tuples, big enough
 * to take the size budget's memoized fallback. */
function wide(make: (...cs: Clauses) => Matcher<unknown>): Matcher<unknown> {
  let seed = 1
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed / 0x7fffffff
  }
  const clauses = Array.from(
    { length: 60 },
    (_, i) => [Array.from({ length: 16 }, () => (rnd() < 0.7 ? P._ : Math.floor(rnd() * 2))), () => i] as const,
  )
  return make(...clauses)
}

for (const [name, make] of backEnds) {
  test(`${name}: the memoized fallback also reads each element at most once`, (t) => {
    const m = wide(make).otherwise(() => -1)
    t.true(m.core.dag.memo, 'this matcher is over the size budget')
    let seed = 3
    for (let k = 0; k < 50; k++) {
      const v = Array.from({ length: 16 }, () => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff
        return (seed >> 8) % (k < 25 ? 2 : 3)
      })
      const reads = new Map<string, number>()
      const want = m(v)
      t.is(m(tracked(v, reads)), want)
      t.deepEqual(readTwice(reads), [], JSON.stringify(v))
      t.is(clauseOf(m, v), rust(m, v), `Rust on ${JSON.stringify(v)}`)
    }
  })
}

// ---------------------------------------------------------------------------
// Malformed patterns: PatternError from match(), never at match time.

const h = () => 0
const badPatterns: [string, unknown, RegExp][] = [
  ['P.rest not last', [P.rest(), 1], /P\.rest.*last/],
  ['P.rest not last (nested)', { a: [1, P.rest(P.number), 2] }, /P\.rest.*last/],
  ['P.rest outside an array pattern', P.rest(), /P\.rest.*last/],
  ['P.rest inside P.array', P.array(P.rest()), /P\.rest.*last/],
  ['two selections named x', [P.select('x'), P.select('x')], /\bx\b.*name|name.*\bx\b/],
  ['two selections named x, nested', { a: P.select('x'), b: [1, { c: P.select('x', P.number) }] }, /\bx\b/],
  ['two anonymous selections', [P.select(), P.select()], /select|name/i],
  ['a function', (x: unknown) => x === 1, /function.*not a pattern.*P\.when/],
  ['a function inside an array', [1, () => true], /function.*not a pattern/],
  ['a class instance', new (class Point {})(), /Point.*not a pattern.*P\.instanceOf/],
  ['a Date', { at: new Date(0) }, /Date.*not a pattern/],
  ['a Map', new Map(), /Map.*not a pattern/],
  ['an empty P.union()', P.union(), /P\.union\(\).*at least one/],
  ['an empty P.union() nested', [1, { a: P.not(P.union()) }], /P\.union\(\).*at least one/],
]

for (const [name, make] of backEnds) {
  test(`${name}: malformed patterns are refused by match() with a PatternError`, (t) => {
    for (const [what, pattern, message] of badPatterns) {
      let called = false
      const e = t.throws(
        () =>
          make(
            [1, h],
            [
              pattern,
              () => {
                called = true
              },
            ],
          ),
        { instanceOf: PatternError },
        what,
      )
      t.regex(e?.message ?? '', message, what)
      t.regex(e?.message ?? '', /clause 1/, `${what}: the message names the clause`)
      t.true(e instanceof TypeError, `${what}: a PatternError is a TypeError`)
      t.false(called)
    }
  })
}

test('malformed clauses and guards are refused by match()', (t) => {
  const bad =
    (...cs: unknown[]) =>
    () =>
      match<unknown[], Clause<unknown, unknown>[]>(...(cs as Clauses))
  t.throws(bad([1]), { instanceOf: PatternError, message: /clause 0.*\[pattern, handler\]/ })
  t.throws(bad([1, h], [2, 'not a function']), { instanceOf: PatternError, message: /clause 1/ })
  t.throws(bad(1), { instanceOf: PatternError })
  t.throws(bad([P.when(42 as unknown as () => boolean), h]), { instanceOf: PatternError, message: /P\.when/ })
})

test('isMatching refuses malformed patterns with a PatternError', (t) => {
  t.throws(() => isMatching([P.rest(), 1], [1]), { instanceOf: PatternError })
  t.throws(() => isMatching(P.union(), 1), { instanceOf: PatternError })
})

test('a well-formed matcher never throws PatternError at match time', (t) => {
  const m = match(
    [[1, P.rest(P.select('r'))], ({ r }) => r],
    [{ a: P.select('x'), b: P.select('y') }, ({ x, y }) => [x, y]],
  )
  t.deepEqual(m([1, 2, 3]), [2, 3])
  t.deepEqual(m({ a: 1, b: 2 }), [1, 2])
  const e = t.throws(() => m(5), { instanceOf: MatchError })
  t.false(e instanceof PatternError)
})

// ---------------------------------------------------------------------------
// MatchError and .otherwise.

for (const [name, make] of backEnds) {
  test(`${name}: MatchError carries the value; .otherwise handles it`, (t) => {
    const m = make([1, () => 'one'], [{ a: P.string }, () => 'a'])
    for (const v of [2, undefined, null, { a: 1 }, [1], 'one']) {
      const e = t.throws(() => m(v), { instanceOf: MatchError })
      t.is(e?.value, v)
      t.is(e?.name, 'MatchError')
      t.true(e instanceof Error)
      t.true((e?.message.length ?? 0) > 0)
    }
    const seen: unknown[] = []
    const o = m.otherwise((v) => {
      seen.push(v)
      return 'default'
    })
    t.is(o(1), 'one')
    t.is(o({ a: 'x' }), 'a')
    const v = { a: 1 }
    t.is(o(v), 'default')
    t.is(o(undefined), 'default')
    t.deepEqual(seen, [v, undefined])
    t.is(seen[0], v)
    // The original matcher is unchanged.
    t.throws(() => m(2), { instanceOf: MatchError })
    t.is(m.otherwise(() => 'other')(2), 'other')
  })
}

// ---------------------------------------------------------------------------
// Pattern kinds the property tests do not generate.

for (const [name, make] of backEnds) {
  test(`${name}: P.pid, P.instanceOf with fields and selections, P.when with selections`, (t) => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    const pid = new Pid('nonode@nohost', 42)
    const m = make(
      [['from', P.pid, P.select('msg')], ({ msg }: { msg: unknown }) => ['msg', msg]],
      [P.instanceOf(Point, { x: 0, y: P.select() }), (y: number) => ['on y axis', y]],
      [P.instanceOf(Point, { x: P.select('x'), y: P.select('y') }), ({ x, y }: { x: number; y: number }) => x + y],
      [P.select(P.when((n: unknown) => typeof n === 'number' && n > 10)), (n: number) => ['big', n]],
      [P._, () => 'other'],
    )
    t.deepEqual(m(['from', pid, 'hi']), ['msg', 'hi'])
    t.is(m(['from', { node: 'nonode@nohost', id: 42 }, 'hi']), 'other')
    t.deepEqual(m(new Point(0, 5)), ['on y axis', 5])
    t.is(m(new Point(1, 5)), 6)
    t.is(m({ x: 1, y: 5 }), 'other')
    t.deepEqual(m(11), ['big', 11])
    t.is(m(9), 'other')
  })

  test(`${name}: literals compare with Object.is`, (t) => {
    const m = make(
      [-0, () => '-0'],
      [0, () => '0'],
      [Number.NaN, () => 'NaN'],
      [1n, () => '1n'],
      [1, () => '1'],
      [null, () => 'null'],
      [undefined, () => 'undefined'],
      [A, () => 'A'],
      ['A', () => "'A'"],
      [Symbol('A'), () => 'local A'],
      [P._, () => 'other'],
    )
    t.is(m(-0), '-0')
    t.is(m(0), '0')
    t.is(m(Number.NaN), 'NaN')
    t.is(m(1n), '1n')
    t.is(m(1), '1')
    t.is(m(null), 'null')
    t.is(m(undefined), 'undefined')
    t.is(m(Symbol.for('A')), 'A')
    t.is(m('A'), "'A'")
    t.is(m(Symbol('A')), 'other', 'a local symbol is only equal to itself')
    t.is(m(false), 'other')
    t.is(m(''), 'other')
  })

  test(`${name}: a missing key matches no key pattern but P.optional; a present undefined is undefined`, (t) => {
    const m = make(
      [{ a: undefined, b: 1 }, () => 'a undefined'],
      [{ a: P.nullish, b: 2 }, () => 'a nullish'],
      [{ a: P._, b: 3 }, () => 'a anything'],
      [{ a: P.not(undefined), b: 4 }, () => 'a present'],
      [{ a: P.optional(P.number), b: 5 }, () => 'a optional'],
      [P._, () => 'other'],
    )
    t.is(m({ b: 1 }), 'other', 'ts-pattern: the key must be there')
    t.is(m({ a: undefined, b: 1 }), 'a undefined')
    t.is(m({ a: null, b: 1 }), 'other')
    t.is(m({ b: 2 }), 'other')
    t.is(m({ a: undefined, b: 2 }), 'a nullish')
    t.is(m({ b: 3 }), 'other')
    t.is(m({ a: undefined, b: 3 }), 'a anything')
    t.is(m({ b: 4 }), 'other')
    t.is(m({ a: 0, b: 4 }), 'a present')
    t.is(m({ b: 5 }), 'a optional')
    t.is(m({ a: undefined, b: 5 }), 'a optional')
    t.is(m({ a: 1, b: 5 }), 'a optional')
    t.is(m({ a: 'x', b: 5 }), 'other')
  })

  test(`${name}: undefined as the argument of P.array, P.rest and P.select is the literal undefined`, (t) => {
    // ts-pattern reads an explicit `undefined` argument as the pattern
    // `undefined` (only an omitted argument means "anything"), and `match`
    // itself reads `undefined` as a literal everywhere else.
    const m = make(
      [['array', P.array(undefined)], () => 'array of undefined'],
      [['rest', P.rest(undefined)], () => 'rest of undefined'],
      [['sel', P.select(undefined)], () => 'sel undefined'],
      [['named', P.select('x', undefined)], () => 'named undefined'],
      [P._, () => 'other'],
    )
    t.is(m(['array', [undefined, undefined]]), 'array of undefined')
    t.is(m(['array', [1]]), 'other')
    t.is(m(['rest', undefined]), 'rest of undefined')
    t.is(m(['rest', 1]), 'other')
    t.is(m(['sel', undefined]), 'sel undefined')
    t.is(m(['sel', 1]), 'other')
    t.is(m(['named', 1]), 'other')
  })
}

// ---------------------------------------------------------------------------
// The Rust evaluator on encoded values: minimal cases.

test('the Rust evaluator reads extension types (Symbol.for, bigint, pid, ref, Map) in encoded values', (t) => {
  const pid = new Pid('nonode@nohost', 1)
  const cases: [unknown, unknown, number][] = [
    [A, A, 0],
    [A, B, -1],
    [P.symbol, A, 0],
    [1n, 1n, 0],
    [-5n, -5n, 0],
    [P.bigint, 10n, 0],
    [P.pid, pid, 0],
    // After an extension value, the next element is still found.
    [[P.symbol, 1], [A, 1], 0],
    [[P.bigint, 'x'], [5n, 'x'], 0],
    [[P.pid, 2], [pid, 2], 0],
    [{ s: A, n: 1 }, { s: A, n: 1 }, 0],
    [{ n: 1 }, { s: A, n: 1 }, 0],
    [[P._, 1], [new Ref('nonode@nohost', 3), 1], 0],
    [[P._, 1], [new Map([[1, 2]]), 1], 0],
    // A monitor's message (API.md): every element after the ref is misread
    // when the reader loses its place.
    [['DOWN', P._, P.pid, P._], ['DOWN', new Ref('nonode@nohost', 3), pid, 'normal'], 0],
  ]
  for (const [pattern, v, want] of cases) {
    const m = match([pattern, h])
    t.is(clauseOf(m, v), want, `JS: ${inspect(v)}`)
    t.is(rust(m, v), want, `Rust: isMatching(${inspect(pattern)}, ${inspect(v)}) on encode(value)`)
  }
})

test('-0 survives encoding, so encoded and live messages match the same clause', (t) => {
  const m = match([0, () => 0], [-0, () => 1])
  t.is(clauseOf(m, -0), 1)
  t.true(Object.is(decode(encode(-0)), -0), 'decode(encode(-0)) is -0')
  t.is(rust(m, -0), 1)
})

test('the Rust evaluator answers -2 when only JS can decide', (t) => {
  const guarded = match([P.when((x: unknown) => x === 1), h], [P._, h])
  t.is(rust(guarded, 1), -2)
  class K {}
  const inst = match([P.instanceOf(K), h], [P._, h])
  t.is(rust(inst, 1), -2)
  const local = match([Symbol('local'), h], [P._, h])
  t.is(rust(local, 1), -2)
  // A key read on an array is JS's to decide (arrays have a length).
  const len = match([{ length: 2 }, h])
  t.is(clauseOf(len, [1, 2]), 0)
  t.true([0, -2].includes(rust(len, [1, 2])))
  t.is(rust(len, { length: 2 }), 0)
})

// ---------------------------------------------------------------------------
// Key presence (issue 16, item 12): ts-pattern's rule, in every back end.

for (const [name, make] of backEnds) {
  test(`${name}: an object pattern needs its keys present unless the key's pattern is P.optional`, (t) => {
    const m = make(
      [{ type: P.nullish }, () => 'nullish type'],
      [{ kind: P._ }, () => 'any kind'],
      [{ tag: P.optional(P.select(P.string)), id: P.number }, (tag: unknown) => ['id', tag]],
      [{ toString: P.nullish }, () => 'no toString'],
    ).otherwise(() => 'none')
    const cases: [unknown, unknown, number][] = [
      [{}, 'none', -1],
      [{ type: undefined }, 'nullish type', 0],
      [{ type: null }, 'nullish type', 0],
      [{ kind: undefined }, 'any kind', 1],
      [{ id: 1 }, ['id', undefined], 2],
      [{ id: 1, tag: 'x' }, ['id', 'x'], 2],
      [{ id: 1, tag: 2 }, 'none', -1],
      [[], 'none', -1],
    ]
    for (const [v, want, clause] of cases) {
      t.deepEqual(m(v), want, inspect(v))
      t.is(clauseOf(m, v), clause, inspect(v))
    }
    // The Rust evaluator over the encoded value (undefined cannot be encoded): an absent key is absent; a
    // key that a decoded object inherits ('toString') or the keys of an array are JS's to decide (-2).
    for (const [v, want] of [
      [{ type: null }, 0],
      [{ id: 1 }, 2],
      [{ id: 1, tag: 'x' }, 2],
      [{}, -2],
      [{ id: 1, tag: 2 }, -2],
      [[], -2],
    ] as const)
      t.is(rust(m, v), want, `Rust on ${inspect(v)}`)
    t.false(isMatching({ type: P.nullish }, {}))
    t.true(isMatching({ type: P.optional(P.nullish) }, {}))
    t.true(isMatching(P.optional(P.number), undefined))
    t.false(isMatching(P.optional(P.number), 'x'))
  })
}
