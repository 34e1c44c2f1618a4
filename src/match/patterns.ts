// The P builders: patterns as values, with the types they match and select.
import type { Pid } from '../kernel/values.js'
import type { TypeTag } from './shapes.js'

/** The key of an anonymous selection in a selection map. */
export declare const ANON: unique symbol
export type Anon = typeof ANON

declare const phantom: unique symbol

/** The IR node a builder stands for (see crates/pattern/src/ir.rs). */
export type Node =
  | { k: 'any' }
  | { k: 'type'; t: TypeTag }
  | { k: 'arrayOf'; of: unknown }
  | { k: 'rest'; of?: unknown }
  | { k: 'inst'; cls: abstract new (...a: never[]) => unknown; fields?: Record<string, unknown> }
  | { k: 'when'; guard: (v: never) => unknown }
  | { k: 'union'; of: unknown[] }
  | { k: 'not'; of: unknown }
  | { k: 'optional'; of: unknown }
  | { k: 'sel'; name?: string; of: unknown }

/** No selections. */
export type NoSel = Record<never, never>

/** A pattern built with `P`: matches values of type `T`, selects `S`. */
export class Pattern<T = unknown, S = NoSel> {
  /** @internal Carries `T` and `S` for the type checker only; never set at run time. */
  declare readonly [phantom]: { t: T; s: S }
  /** @internal */
  constructor(
    /** @internal The IR node this builder stands for, compiled by `match`. */
    readonly node: Node,
  ) {}
}

/** Literal patterns: matched with Object.is. */
export type Literal = string | number | boolean | bigint | symbol | null | undefined

/** The value type a pattern matches. */
export type Matched<P> =
  P extends Pattern<infer T, infer _S>
    ? T
    : P extends Literal
      ? P
      : P extends readonly unknown[]
        ? MatchedArray<P>
        : P extends object
          ? MatchedObject<P>
          : never

/** An object pattern's type: a key whose pattern is `P.optional(...)` may be absent. */
type MatchedObject<P> = { [K in keyof P as P[K] extends Optional ? never : K]: Matched<P[K]> } & {
  [K in keyof P as P[K] extends Optional ? K : never]?: Matched<P[K]>
} extends infer O
  ? { [K in keyof O]: O[K] }
  : never

/** What `P.optional` marks its pattern with, for the types of object patterns. */
type Optional = { optional: true }

type MatchedArray<P extends readonly unknown[]> = P extends readonly [
  ...infer H,
  Pattern<infer R, infer _S> & { rest: true },
]
  ? [...{ [K in keyof H]: Matched<H[K]> }, ...R[]]
  : { [K in keyof P]: Matched<P[K]> }

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never

/** What a pattern selects: `NoSel` for nothing, `{ [ANON]: T }` for an
 * anonymous selection, `{ name: T, ... }` for named ones. */
export type Selected<P> =
  P extends Pattern<infer _T, infer S>
    ? S
    : P extends Literal
      ? NoSel
      : P extends readonly unknown[]
        ? UnionToIntersection<{ [K in keyof P]: Selected<P[K]> }[number]> & NoSel
        : P extends object
          ? UnionToIntersection<{ [K in keyof P]: Selected<P[K]> }[keyof P]> & NoSel
          : NoSel

/** The first argument a handler gets: the anonymous selection itself, the
 * object of named selections, or the matched value when nothing is selected. */
export type HandlerArg<P, V = Matched<P>> = keyof Selected<P> extends never
  ? V
  : Anon extends keyof Selected<P>
    ? Selected<P>[Anon]
    : Selected<P>

type Sel<name extends string | undefined, T> = name extends string ? { [K in name]: T } : { [ANON]: T }
type ListOf<S> = { [K in keyof S]: S[K][] }

const any = new Pattern<unknown>({ k: 'any' })

/** `P.select` overloads: anonymous or named, with or without a pattern. */
export interface Select {
  (): Pattern<unknown, { [ANON]: unknown }>
  <const N extends string>(name: N): Pattern<unknown, Sel<N, unknown>>
  <const N extends string, const Q>(name: N, pattern: Q): Pattern<Matched<Q>, Selected<Q> & Sel<N, Matched<Q>>>
  <const Q>(pattern: Q): Pattern<Matched<Q>, Selected<Q> & { [ANON]: Matched<Q> }>
}

// Arity, not `undefined`, tells "no pattern" (anything) from the literal
// `undefined` pattern, here and in P.array and P.rest.
const select = ((...args: unknown[]) =>
  typeof args[0] === 'string'
    ? new Pattern<unknown>({ k: 'sel', name: args[0], of: args.length > 1 ? args[1] : any })
    : new Pattern<unknown>({ k: 'sel', of: args.length > 0 ? args[0] : any })) as Select

/** Pattern builders (Butterfly's MATCH patterns; ts-pattern's names). */
export const P = {
  /** Anything, `undefined` included. */
  _: any,
  /** Anything, `undefined` included (the same pattern as `P._`). */
  any,
  /** A string primitive (`typeof v === 'string'`). */
  string: new Pattern<string>({ k: 'type', t: 'string' }),
  /** A number primitive, NaN and the infinities included. */
  number: new Pattern<number>({ k: 'type', t: 'number' }),
  /** `true` or `false`. */
  boolean: new Pattern<boolean>({ k: 'type', t: 'boolean' }),
  /** A bigint primitive. */
  bigint: new Pattern<bigint>({ k: 'type', t: 'bigint' }),
  /** A symbol, registered (`Symbol.for`) or not. */
  symbol: new Pattern<symbol>({ k: 'type', t: 'symbol' }),
  /** `null` or `undefined`. */
  nullish: new Pattern<null | undefined>({ k: 'type', t: 'nullish' }),
  /** A process id. */
  pid: new Pattern<Pid>({ k: 'type', t: 'pid' }),
  /** An array of any length whose every element matches `p`; selections
   * inside collect arrays. */
  array<const Q = Pattern<unknown>>(...p: [Q?]): Pattern<Matched<Q>[], ListOf<Selected<Q>>> {
    return new Pattern({ k: 'arrayOf', of: p.length > 0 ? p[0] : any })
  },
  /** The remaining elements, as the last element of an array pattern; each
   * matches `p` when given; selections inside collect arrays. */
  rest<const Q = Pattern<unknown>>(
    ...p: [Q?]
  ): Pattern<Matched<Q>, ListOf<Selected<Q>>> & {
    /** Marks the pattern as a rest: valid only as an array pattern's last element. */
    rest: true
  } {
    const node: Node = p.length > 0 ? { k: 'rest', of: p[0] } : { k: 'rest' }
    return Object.assign(new Pattern<Matched<Q>, ListOf<Selected<Q>>>(node), { rest: true as const })
  },
  /** An instance of `cls` (Butterfly's #T templates), optionally with fields. */
  instanceOf<C extends abstract new (...a: never[]) => unknown, const F = NoSel>(
    cls: C,
    fields?: F,
  ): Pattern<InstanceType<C>, Selected<F>> {
    return new Pattern({ k: 'inst', cls, fields: fields as Record<string, unknown> | undefined })
  },
  /** A computed test. Runs at most once per attempt of its clause, after
   * the clause's structural tests passed. */
  when<T = unknown>(pred: (v: T) => unknown): Pattern<T> {
    return new Pattern({ k: 'when', guard: pred as (v: never) => unknown })
  },
  /** The first of `ps` that matches. */
  union<const Qs extends readonly unknown[]>(
    ...ps: Qs
  ): Pattern<Matched<Qs[number]>, Partial<UnionToIntersection<Selected<Qs[number]>>>> {
    return new Pattern({ k: 'union', of: [...ps] })
  },
  /** Anything `p` does not match. */
  not<const Q>(p: Q): Pattern<unknown> {
    return new Pattern({ k: 'not', of: p })
  },
  /** `undefined` or a value `p` matches; as the pattern of an object
   * pattern's key, the key may also be absent (any other key pattern needs
   * the key present, as in ts-pattern: `{ type: P.nullish }` does not match
   * `{}`, `{ type: P.optional(P.nullish) }` does). Selections inside are
   * `undefined` when the value is. */
  optional<const Q>(
    p: Q,
  ): Pattern<Matched<Q> | undefined, { [K in keyof Selected<Q>]: Selected<Q>[K] | undefined }> & Optional {
    return Object.assign(
      new Pattern<Matched<Q> | undefined, { [K in keyof Selected<Q>]: Selected<Q>[K] | undefined }>({
        k: 'optional',
        of: p,
      }),
      { optional: true as const },
    )
  },
  /** Binds the matched value: `P.select()`, `P.select(p)`, `P.select(name)`,
   * `P.select(name, p)`. */
  select,
}
