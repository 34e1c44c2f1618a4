// The compiled DAG as the core serializes it (crates/pattern/src; its
// shape is ./shapes.ts, generated from the Rust types).
import type { Dag, Lit } from './shapes.js'

export type { Binding, Dag, DagNode, Lit, Row, Step, Test } from './shapes.js'

/** Selection names a matcher can produce, each once, in first-seen order
 * (the order of a sub-matcher's selection arrays). */
export function declared(m: Dag): (string | null)[] {
  const out: (string | null)[] = []
  for (const r of m.rows) for (const [n] of r.bind) if (!out.includes(n)) out.push(n)
  return out
}

/** The literal's value. */
export function litValue(l: Lit, consts: readonly unknown[]): unknown {
  switch (l.t) {
    case 'null':
      return null
    case 'undef':
      return undefined
    case 'bool':
      return l.v
    case 'num':
      return Number(l.v)
    case 'str':
      return l.v
    case 'big':
      return BigInt(l.v)
    case 'sym':
      return Symbol.for(l.v)
    case 'js':
      return consts[l.v]
  }
}
