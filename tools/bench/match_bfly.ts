// bfly's matchers for the `match` suite: its public `match` and `P`.
import { type Matcher, match, P } from '../../index.js'
import { A, B, C, D, type Impl } from './match_cases.js'

/** The seed's example, as written in its README. */
export function seedMatcher(): Matcher<number> {
  return match([[A, B, C], () => 1], [[A, B, D], () => 2], [[A, B, P.select()], (x) => x as number])
}

/** The 12-clause dispatcher (results: match_cases.ts, dispatchCase). */
export function dispatchMatcher(): Matcher<number> {
  return match(
    [['$call', P.select('from', P.number), ['get', P.select('key', P.string)]], ({ from, key }) => from + key.length],
    [
      ['$call', P.select('from', P.number), ['put', P.select('key', P.string), P.select('val', P.number)]],
      ({ from, key, val }) => from + key.length + val,
    ],
    [['$call', P.select('from', P.number), P._], ({ from }) => from + 1],
    [['$cast', ['incr', P.select(P.number)]], (n) => 200 + n],
    [['$cast', 'flush'], () => 300],
    [['EXIT', P.select(P.number), 'normal'], (pid) => 400 + pid],
    [['EXIT', P.select('pid', P.number), P.select('reason', P.string)], ({ pid, reason }) => 500 + pid + reason.length],
    [
      ['DOWN', P.select('ref', P.number), 'process', P._, P.select('reason', P.string)],
      ({ ref, reason }) => 600 + ref + reason.length,
    ],
    [
      { type: 'order', item: { sku: P.select('sku', P.string), qty: P.select('qty', P.number) } },
      ({ sku, qty }) => 700 + sku.length * qty,
    ],
    [{ type: 'cancel', id: P.select(P.number) }, (id) => 800 + id],
    [{ type: 'ping', seq: P.select(P.number), from: P.number }, (seq) => 900 + seq],
    [['tick', P.select(P.number)], (t) => 1000 + t],
  )
}

/** A matcher as the suite's Impl (it is already a plain function). */
export const asImpl = (m: Matcher<number>): Impl => m
