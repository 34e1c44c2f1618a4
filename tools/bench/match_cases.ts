// The `match` suite's inputs, shared by bfly and its baselines: each case is
// a fixed array of inputs, rotated through, with the handler result each
// input must give (written down here, not computed by any implementation).
// Every implementation is checked against it once per input, then timed
// over the rotation with a checksum that proves every call gave the right
// answer the right number of times.
import { check, now, perSecond, since } from './harness.js'

/** One implementation of a case: a value to its handler's (numeric) result. */
export type Impl = (v: unknown) => number

export interface Case {
  name: string
  inputs: readonly unknown[]
  expected: readonly number[]
}

// The seed's symbols ('A 'B 'C 'D): interned, as Lisp symbols are.
export const A = Symbol.for('A')
export const B = Symbol.for('B')
export const C = Symbol.for('C')
export const D = Symbol.for('D')

/**
 * The seed's 3-clause example `('A 'B 'C) / ('A 'B 'D) / ('A 'B va1)`:
 * results 1, 2 and the selected third element. 24 inputs (fresh arrays),
 * rotating over the three clauses.
 */
export function seedCase(): Case {
  const inputs: unknown[] = []
  const expected: number[] = []
  for (let i = 0; i < 8; i++) {
    inputs.push([A, B, C], [A, B, D], [A, B, 10 + i])
    expected.push(1, 2, 10 + i)
  }
  return { name: 'seed_3_clauses', inputs, expected }
}

/**
 * A 12-clause message dispatcher (see match_bfly.ts for the clauses). Four
 * inputs per clause, interleaved so consecutive calls hit different clauses;
 * some are written to fall through an earlier clause with the same tag
 * (`['EXIT', pid, 'normal']` before the generic EXIT, a `put` of a
 * non-number to the catch-all `$call`) and objects carry extra keys.
 */
export function dispatchCase(): Case {
  const per: [unknown, number][][] = []
  for (let i = 0; i < 4; i++) {
    const key = 'k'.repeat(i + 1)
    per.push([
      [['$call', 10 + i, ['get', key]], 10 + i + key.length],
      [['$call', 20 + i, ['put', key, i * 7]], 20 + i + key.length + i * 7],
      [['$call', 30 + i, i % 2 === 0 ? ['stats'] : ['put', key, 'not a number']], 30 + i + 1],
      [['$cast', ['incr', i + 1]], 200 + i + 1],
      [['$cast', 'flush'], 300],
      [['EXIT', 40 + i, 'normal'], 400 + 40 + i],
      [['EXIT', 50 + i, i % 2 === 0 ? 'killed' : 'shutdown'], 500 + 50 + i + (i % 2 === 0 ? 6 : 8)],
      [['DOWN', 60 + i, 'process', { pid: i }, 'noproc'], 600 + 60 + i + 6],
      [{ type: 'order', item: { sku: `sku-${i}`, qty: i + 2, note: 'gift' }, at: i }, 700 + 5 * (i + 2)],
      [{ type: 'cancel', id: 70 + i, why: 'late' }, 800 + 70 + i],
      [{ type: 'ping', seq: i, from: 99 }, 900 + i],
      [['tick', 1000 * i], 1000 + 1000 * i],
    ])
  }
  const inputs: unknown[] = []
  const expected: number[] = []
  for (const round of per) {
    for (const [v, r] of round) {
      inputs.push(v)
      expected.push(r)
    }
  }
  return { name: 'dispatch_12_clauses', inputs, expected }
}

/** Throws unless `f` gives every input's expected result. */
export function verify(f: Impl, c: Case): void {
  c.inputs.forEach((v, i) => {
    let r: unknown
    try {
      r = f(v)
    } catch (e) {
      throw new Error(`${c.name}: input ${i} threw ${String(e)}`)
    }
    check(r === c.expected[i], `${c.name}: input ${i} gave ${String(r)}, expected ${c.expected[i]}`)
  })
}

/** The sum of the expected results over `n` rotating calls. */
function expectedSum(c: Case, n: number): number {
  const len = c.expected.length
  let cycle = 0
  for (const r of c.expected) cycle += r
  let rest = 0
  for (let i = 0; i < n % len; i++) rest += c.expected[i] ?? 0
  return Math.floor(n / len) * cycle + rest
}

/** `n` calls of `f` over the rotating inputs; returns the sum of the results. */
function loop(f: Impl, inputs: readonly unknown[], n: number): number {
  const len = inputs.length
  let acc = 0
  let j = 0
  for (let i = 0; i < n; i++) {
    acc += f(inputs[j])
    if (++j === len) j = 0
  }
  return acc
}

/** Matches/s of `f` over `n` rotating calls, checked (results and count). */
export function matchRate(f: Impl, c: Case, n: number): number {
  verify(f, c)
  const t0 = now()
  const acc = loop(f, c.inputs, n)
  const ns = since(t0)
  const want = expectedSum(c, n)
  check(acc === want, `${c.name}: checksum ${acc} over ${n} calls, expected ${want}`)
  return perSecond(n, ns)
}
