// Type-level tests of the matcher (issue 3: handlers get inferred selection
// types for literals, tuples, objects and selects; a wrong use is a
// compile-time error). The assertions are checked by `tsc --noEmit` (part of
// `npm test`); the ava test runs the same matchers so the types describe
// what really arrives.
import test from 'ava'
import { isMatching, match, matchWith, P, Pid } from '../index.ts'

/** Compile time: true when T is `any`. */
type IsAny<T> = 0 extends 1 & T ? true : false
/** Compile time: T and U are mutually assignable (and neither is `any`). */
type Same<T, U> =
  IsAny<T> extends true
    ? false
    : IsAny<U> extends true
      ? false
      : [T] extends [U]
        ? [U] extends [T]
          ? true
          : false
        : false
/** `expectType<T, U>(true)` compiles only when Same<T, U>. */
function expectType<T, U>(_ok: Same<T, U>): void {}
/** Type-checks `f` without running it. */
function compileOnly(_f: () => unknown): void {}

const A = Symbol.for('A')
const seen: unknown[] = []
const got = (x: unknown): void => {
  seen.push(x)
}

test('handler arguments are inferred from the pattern', (t) => {
  const m = match(
    [
      1,
      (v, value) => {
        expectType<typeof v, 1>(true)
        expectType<typeof value, 1>(true)
        got(['lit', v])
      },
    ],
    [
      'str',
      (v) => {
        expectType<typeof v, 'str'>(true)
        // @ts-expect-error: the literal 'str' is not 'other'
        const other: 'other' = v
        got(['str', other])
      },
    ],
    [
      [1, P.string],
      (v) => {
        expectType<typeof v, readonly [1, string]>(true)
        const s: string = v[1]
        // @ts-expect-error: v[1] is a string
        const n: number = v[1]
        got(['tuple', s, n])
      },
    ],
    [
      { kind: 'point', x: P.number, y: P.number },
      (v) => {
        expectType<typeof v, { readonly kind: 'point'; readonly x: number; readonly y: number }>(true)
        // @ts-expect-error: no such key in the pattern
        compileOnly(() => v.z)
        got(['point', v.x + v.y])
      },
    ],
    [
      [A, P.select()],
      (s) => {
        expectType<typeof s, unknown>(true)
        got(['anon', s])
      },
    ],
    [
      ['n', P.select(P.number)],
      (s, value) => {
        expectType<typeof s, number>(true)
        expectType<typeof value, readonly ['n', number]>(true)
        // @ts-expect-error: the selection is a number
        compileOnly(() => s.toUpperCase())
        got(['anon number', s + 1])
      },
    ],
    [
      { a: P.select('x', P.string), b: P.select('y') },
      (s) => {
        expectType<typeof s, { x: string; y: unknown }>(true)
        const x: string = s.x
        // @ts-expect-error: no selection named z
        compileOnly(() => s.z)
        got(['named', x, s.y])
      },
    ],
    [
      { deep: { deeper: [P.select('big', P.bigint)] } },
      (s) => {
        expectType<typeof s, { big: bigint }>(true)
        got(['deep', s.big])
      },
    ],
    [
      ['ns', P.array(P.select('x', P.number))],
      (s) => {
        expectType<typeof s, { x: number[] }>(true)
        // @ts-expect-error: a select inside P.array collects an array
        const one: number = s.x
        got(['array', s.x, one])
      },
    ],
    [
      ['anons', P.array(P.select(P.string))],
      (s) => {
        expectType<typeof s, string[]>(true)
        got(['array anon', s])
      },
    ],
    [
      ['rest', P.rest(P.string)],
      (v) => {
        expectType<typeof v, ['rest', ...string[]]>(true)
        got(['rest', v.length])
      },
    ],
    [
      ['restsel', P.select('head', P.number), P.rest(P.select('tail', P.string))],
      (s) => {
        expectType<typeof s, { head: number; tail: string[] }>(true)
        got(['rest sel', s.head, s.tail])
      },
    ],
    [
      ['u', P.union(P.select('x', 1), P.select('y', 'a'))],
      (s) => {
        expectType<typeof s, { x?: 1; y?: 'a' }>(true)
        // @ts-expect-error: x is absent when the other alternative matched
        const x: 1 = s.x
        got(['union', x, s.y])
      },
    ],
    [
      ['lits', P.union(1, 'a', null)],
      (v) => {
        expectType<typeof v, readonly ['lits', 1 | 'a' | null]>(true)
        got(['union lits', v[1]])
      },
    ],
    [
      P.instanceOf(Date, { marker: P.select('marker', P.string) }),
      (s) => {
        expectType<typeof s, { marker: string }>(true)
        got(['date', s.marker])
      },
    ],
    [
      P.instanceOf(Date),
      (v) => {
        expectType<typeof v, Date>(true)
        got(['date', v.getTime()])
      },
    ],
    [
      P.pid,
      (v) => {
        expectType<typeof v, Pid>(true)
        got(['pid', v.id])
      },
    ],
    [
      P.when((x: number) => x > 100),
      (v) => {
        expectType<typeof v, number>(true)
        got(['when', v])
      },
    ],
    [
      P.nullish,
      (v) => {
        expectType<typeof v, null | undefined>(true)
        got(['nullish', v])
      },
    ],
    [
      P.select('all'),
      (s) => {
        expectType<typeof s, { all: unknown }>(true)
        got(['all', s.all])
      },
    ],
  )
  const when = new Date(0)
  const marked = Object.assign(new Date(1), { marker: 'm' })
  const pid = new Pid('nonode@nohost', 5)
  const values: unknown[] = [
    1,
    'str',
    [1, 's'],
    { kind: 'point', x: 1, y: 2 },
    [A, 9],
    ['n', 1],
    { a: 'x', b: 2 },
    { deep: { deeper: [5n] } },
    ['ns', [1, 2]],
    ['anons', ['a']],
    ['rest', 'a', 'b'],
    ['restsel', 1, 'a', 'b'],
    ['u', 'a'],
    ['lits', null],
    marked,
    when,
    pid,
    101,
    null,
    'anything else',
  ]
  for (const v of values) m(v)
  t.deepEqual(seen, [
    ['lit', 1],
    ['str', 'str'],
    ['tuple', 's', 's'],
    ['point', 3],
    ['anon', 9],
    ['anon number', 2],
    ['named', 'x', 2],
    ['deep', 5n],
    ['array', [1, 2], [1, 2]],
    ['array anon', ['a']],
    ['rest', 3],
    ['rest sel', 1, ['a', 'b']],
    ['union', undefined, 'a'],
    ['union lits', null],
    ['date', 'm'],
    ['date', 0],
    ['pid', 5],
    ['when', 101],
    ['nullish', null],
    ['all', 'anything else'],
  ])
})

test('matchWith infers the same handler arguments; isMatching narrows', (t) => {
  const m = matchWith({ codegen: false }, [
    { x: P.select('x', P.number) },
    (s) => {
      expectType<typeof s, { x: number }>(true)
      return s.x * 2
    },
  ])
  t.is(m({ x: 21 }), 42)
  const v: unknown = { a: 1, b: ['s'] }
  if (isMatching({ a: P.number, b: [P.string] }, v)) {
    expectType<typeof v, { readonly a: number; readonly b: readonly [string] }>(true)
    t.is(v.a + v.b[0].length, 2)
  } else t.fail()
})

test('clause and builder misuse is a compile-time error', (t) => {
  // @ts-expect-error: a handler must be a function
  t.throws(() => match([1, 'not a function']))
  // @ts-expect-error: a clause is [pattern, handler]
  t.throws(() => match([1]))
  // @ts-expect-error: P.instanceOf takes a class
  compileOnly(() => P.instanceOf(42))
  // @ts-expect-error: P.when takes a function
  compileOnly(() => P.when(42))
  // @ts-expect-error: isMatching takes a pattern and a value
  compileOnly(() => isMatching(1))
  // @ts-expect-error: no selection named y
  compileOnly(() => match([P.select('x'), (s) => s.y]))
  // @ts-expect-error: the selection is a number
  compileOnly(() => match([[P.select('x', P.number)], ({ x }) => x.toUpperCase()]))
})

test('a matcher returns the union of its handlers results', (t) => {
  const m = match([P.select('x', P.number), ({ x }) => x + 1], [P.string, (s) => s.length])
  const n: number = m(41)
  const either = match([P.number, () => 1], [P.string, (s) => s])
  expectType<ReturnType<typeof either>, number | string>(true)
  compileOnly(() => {
    // @ts-expect-error: the result may be a string
    const x: number = either(1)
    return x
  })
  t.is(n, 42)
  t.is(either('ab'), 'ab')
})
