// ts_pattern baseline of the `match` suite: ts-pattern 5.9, in two forms.
// `inline` is how its README writes it: `match(v).with(pattern, handler)`
// with the patterns and handlers written in the chain, so they are built
// on every call. `hoisted` is its reusable form: the patterns and handlers
// are built once and the chain reuses them (ts-pattern 5 has no compiled
// matcher; `match(v)` and its `.with` chain still run per call). The suite
// measures both, each in its own child, and reports the faster one.
import { match, NonExhaustiveError, P } from 'ts-pattern'
import type { Impl } from '../match_cases.js'

// The seed's symbols, local (as in match_hand.ts).
const A = Symbol.for('A')
const B = Symbol.for('B')
const C = Symbol.for('C')
const D = Symbol.for('D')

function noMatch(v: unknown): never {
  throw new NonExhaustiveError(v)
}

export function seedInline(v: unknown): number {
  return match(v)
    .with([A, B, C], () => 1)
    .with([A, B, D], () => 2)
    .with([A, B, P.select()], (x) => x as number)
    .otherwise(noMatch)
}

const seedP1 = [A, B, C] as const
const seedP2 = [A, B, D] as const
const seedP3 = [A, B, P.select()] as const
const seedH1 = () => 1
const seedH2 = () => 2
const seedH3 = (x: unknown) => x as number

export function seedHoisted(v: unknown): number {
  return match(v).with(seedP1, seedH1).with(seedP2, seedH2).with(seedP3, seedH3).otherwise(noMatch)
}

export function dispatchInline(v: unknown): number {
  return match(v)
    .with(
      ['$call', P.select('from', P.number), ['get', P.select('key', P.string)]],
      ({ from, key }) => from + key.length,
    )
    .with(
      ['$call', P.select('from', P.number), ['put', P.select('key', P.string), P.select('val', P.number)]],
      ({ from, key, val }) => from + key.length + val,
    )
    .with(['$call', P.select('from', P.number), P._], ({ from }) => from + 1)
    .with(['$cast', ['incr', P.select(P.number)]], (n) => 200 + n)
    .with(['$cast', 'flush'], () => 300)
    .with(['EXIT', P.select(P.number), 'normal'], (pid) => 400 + pid)
    .with(
      ['EXIT', P.select('pid', P.number), P.select('reason', P.string)],
      ({ pid, reason }) => 500 + pid + reason.length,
    )
    .with(
      ['DOWN', P.select('ref', P.number), 'process', P._, P.select('reason', P.string)],
      ({ ref, reason }) => 600 + ref + reason.length,
    )
    .with(
      { type: 'order', item: { sku: P.select('sku', P.string), qty: P.select('qty', P.number) } },
      ({ sku, qty }) => 700 + sku.length * qty,
    )
    .with({ type: 'cancel', id: P.select(P.number) }, (id) => 800 + id)
    .with({ type: 'ping', seq: P.select(P.number), from: P.number }, (seq) => 900 + seq)
    .with(['tick', P.select(P.number)], (t) => 1000 + t)
    .otherwise(noMatch)
}

const dp = {
  get: ['$call', P.select('from', P.number), ['get', P.select('key', P.string)]],
  put: ['$call', P.select('from', P.number), ['put', P.select('key', P.string), P.select('val', P.number)]],
  call: ['$call', P.select('from', P.number), P._],
  incr: ['$cast', ['incr', P.select(P.number)]],
  flush: ['$cast', 'flush'],
  normal: ['EXIT', P.select(P.number), 'normal'],
  exit: ['EXIT', P.select('pid', P.number), P.select('reason', P.string)],
  down: ['DOWN', P.select('ref', P.number), 'process', P._, P.select('reason', P.string)],
  order: { type: 'order', item: { sku: P.select('sku', P.string), qty: P.select('qty', P.number) } },
  cancel: { type: 'cancel', id: P.select(P.number) },
  ping: { type: 'ping', seq: P.select(P.number), from: P.number },
  tick: ['tick', P.select(P.number)],
} as const

const dh = {
  get: ({ from, key }: { from: number; key: string }) => from + key.length,
  put: ({ from, key, val }: { from: number; key: string; val: number }) => from + key.length + val,
  call: ({ from }: { from: number }) => from + 1,
  incr: (n: number) => 200 + n,
  flush: () => 300,
  normal: (pid: number) => 400 + pid,
  exit: ({ pid, reason }: { pid: number; reason: string }) => 500 + pid + reason.length,
  down: ({ ref, reason }: { ref: number; reason: string }) => 600 + ref + reason.length,
  order: ({ sku, qty }: { sku: string; qty: number }) => 700 + sku.length * qty,
  cancel: (id: number) => 800 + id,
  ping: (seq: number) => 900 + seq,
  tick: (t: number) => 1000 + t,
}

export function dispatchHoisted(v: unknown): number {
  return match(v)
    .with(dp.get, dh.get)
    .with(dp.put, dh.put)
    .with(dp.call, dh.call)
    .with(dp.incr, dh.incr)
    .with(dp.flush, dh.flush)
    .with(dp.normal, dh.normal)
    .with(dp.exit, dh.exit)
    .with(dp.down, dh.down)
    .with(dp.order, dh.order)
    .with(dp.cancel, dh.cancel)
    .with(dp.ping, dh.ping)
    .with(dp.tick, dh.tick)
    .otherwise(noMatch)
}

/** The forms, by name, per case. */
export const FORMS: Record<'seed' | 'dispatch', Record<'inline' | 'hoisted', Impl>> = {
  seed: { inline: seedInline, hoisted: seedHoisted },
  dispatch: { inline: dispatchInline, hoisted: dispatchHoisted },
}
