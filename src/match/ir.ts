// JS patterns to the compiler's IR (crates/pattern/src/ir.rs; its shape
// is ./shapes.ts, generated from the Rust types), with the tables of what
// only JS can hold: constants, classes and guards. Malformed patterns are
// refused here, when `match` builds the matcher.
import { Pattern } from './patterns.js'
import type { Lit, Pat, Rest } from './shapes.js'

/** What the JS back ends need besides the DAG. */
export interface Tables {
  consts: unknown[]
  classes: (abstract new (...a: never[]) => unknown)[]
  guards: ((v: never) => unknown)[]
}

/** A pattern the compiler cannot accept; thrown by `match`. */
export class PatternError extends TypeError {
  /** Always `'PatternError'`; the message names the clause and the part of its pattern at fault. */
  override name = 'PatternError'
}

function lit(v: unknown, t: Tables): Lit | undefined {
  switch (typeof v) {
    case 'string':
      return { t: 'str', v }
    case 'number':
      return { t: 'num', v: Object.is(v, -0) ? '-0' : String(v) }
    case 'boolean':
      return { t: 'bool', v }
    case 'bigint':
      return { t: 'big', v: v.toString() }
    case 'undefined':
      return { t: 'undef' }
    case 'symbol': {
      const key = Symbol.keyFor(v)
      if (key !== undefined) return { t: 'sym', v: key }
      t.consts.push(v)
      return { t: 'js', v: t.consts.length - 1 }
    }
  }
  return v === null ? { t: 'null' } : undefined
}

function index<T>(list: T[], x: T): number {
  const i = list.indexOf(x)
  if (i >= 0) return i
  list.push(x)
  return list.length - 1
}

/** The IR of pattern `p` found at `where` (for error messages). */
export function toIR(p: unknown, t: Tables, where: string): Pat {
  const l = lit(p, t)
  if (l !== undefined) return { k: 'lit', lit: l }
  if (p instanceof Pattern) {
    const n = p.node
    switch (n.k) {
      case 'any':
        return { k: 'any' }
      case 'type':
        return { k: 'type', t: n.t }
      case 'arrayOf':
        return { k: 'arrayOf', of: toIR(n.of, t, `${where} (P.array)`) }
      case 'rest':
        throw new PatternError(`${where}: P.rest(...) must be the last element of an array pattern`)
      case 'inst':
        return {
          k: 'inst',
          cls: index(t.classes, n.cls),
          fields: Object.entries(n.fields ?? {}).map(([k, v]) => [k, toIR(v, t, `${where}.${k}`)]),
        }
      case 'when':
        if (typeof n.guard !== 'function') throw new PatternError(`${where}: P.when(pred) needs a function`)
        return { k: 'when', guard: index(t.guards, n.guard) }
      case 'union':
        if (n.of.length === 0) throw new PatternError(`${where}: P.union() needs at least one pattern`)
        return { k: 'union', of: n.of.map((x, i) => toIR(x, t, `${where} (P.union alternative ${i})`)) }
      case 'not':
        return { k: 'not', of: toIR(n.of, t, `${where} (P.not)`) }
      case 'optional':
        return { k: 'optional', of: toIR(n.of, t, `${where} (P.optional)`) }
      case 'sel':
        return { k: 'sel', name: n.name ?? null, of: toIR(n.of, t, where) }
    }
  }
  if (Array.isArray(p)) {
    const items: Pat[] = []
    let rest: Rest | undefined
    p.forEach((x, i) => {
      if (x instanceof Pattern && x.node.k === 'rest') {
        if (i !== p.length - 1)
          throw new PatternError(`${where}[${i}]: P.rest(...) must be the last element of an array pattern`)
        rest = 'of' in x.node ? { of: toIR(x.node.of, t, `${where}[${i}] (P.rest)`) } : {}
      } else {
        items.push(toIR(x, t, `${where}[${i}]`))
      }
    })
    return rest === undefined ? { k: 'arr', items } : { k: 'arr', items, rest }
  }
  if (typeof p === 'function')
    throw new PatternError(
      `${where}: a function is not a pattern; wrap a test in P.when(fn), or use P.instanceOf(Class)`,
    )
  if (typeof p === 'object') {
    const proto = Object.getPrototypeOf(p)
    if (proto !== Object.prototype && proto !== null)
      throw new PatternError(
        `${where}: a ${proto?.constructor?.name ?? 'class'} instance is not a pattern; use P.instanceOf(Class, fields)`,
      )
    return { k: 'obj', keys: Object.entries(p as object).map(([k, v]) => [k, toIR(v, t, `${where}.${k}`)]) }
  }
  throw new PatternError(`${where}: ${String(p)} is not a pattern`)
}
