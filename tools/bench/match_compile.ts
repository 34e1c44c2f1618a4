// compile_100_clauses: ms for `match(...)` to build a matcher of 100
// distinct clauses (string-tagged tuples of 2 and 3 elements, objects
// tagged by `type` with a nested or extra field, all with selects). Each
// sample builds `k` matchers from `k` fresh clause lists (built before the
// clock starts) and reports the mean; every matcher is then checked on one
// input per clause.
import { type Matcher, match, P } from '../../index.js'
import { check, now, since } from './harness.js'

type Clause = readonly [unknown, (s: never) => number]

/** The 100 clauses, fresh pattern objects each call. */
function clauses(): Clause[] {
  const cs: Clause[] = []
  for (let i = 0; i < 100; i++) {
    const base = i * 1000
    switch (i % 4) {
      case 0:
        cs.push([[`tag${i}`, P.select(P.number)], (x: number) => base + x])
        break
      case 1:
        cs.push([
          [`tag${i}`, P.select('a', P.number), P.select('b', P.string)],
          ({ a, b }: { a: number; b: string }) => base + a + b.length,
        ])
        break
      case 2:
        cs.push([{ type: `t${i}`, body: { n: P.select(P.number) } }, (n: number) => base + n])
        break
      default:
        cs.push([
          { type: `t${i}`, id: P.select('id', P.number), meta: { ok: true } },
          ({ id }: { id: number }) => base + id,
        ])
    }
  }
  return cs
}

/** One input per clause and the result its handler gives. */
function inputs(): [unknown, number][] {
  const out: [unknown, number][] = []
  for (let i = 0; i < 100; i++) {
    const base = i * 1000
    const x = i % 7
    switch (i % 4) {
      case 0:
        out.push([[`tag${i}`, x], base + x])
        break
      case 1:
        out.push([[`tag${i}`, x, 'abc'], base + x + 3])
        break
      case 2:
        out.push([{ type: `t${i}`, body: { n: x } }, base + x])
        break
      default:
        out.push([{ type: `t${i}`, id: x, meta: { ok: true, at: i } }, base + x])
    }
  }
  return out
}

function verify(m: Matcher<number>, cases: [unknown, number][]): void {
  for (const [v, want] of cases) {
    const r = m(v)
    check(r === want, `compile_100_clauses: ${JSON.stringify(v)} gave ${r}, expected ${want}`)
  }
}

/** Mean ms per `match(...)` of the 100 clauses, over `k` builds. */
export function compile100(k: number): number {
  const lists = Array.from({ length: k }, clauses)
  const built: Matcher<number>[] = []
  const t0 = now()
  for (const cs of lists) built.push(match(...cs))
  const ns = since(t0)
  check(built.length === k, `compile_100_clauses: built ${built.length} of ${k}`)
  const cases = inputs()
  for (const m of built) verify(m, cases)
  return ns / k / 1e6
}
