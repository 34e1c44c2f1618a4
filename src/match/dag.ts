// The compiled DAG as the core serializes it (crates/pattern/src).

export type Step = { s: 'root' } | { s: 'index'; v: number } | { s: 'key'; v: string }
export type Lit =
  | { t: 'null' }
  | { t: 'undef' }
  | { t: 'bool'; v: boolean }
  | { t: 'num'; v: string }
  | { t: 'str'; v: string }
  | { t: 'big'; v: string }
  | { t: 'sym'; v: string }
  | { t: 'js'; v: number }
export type Check =
  | { c: 'isArray' }
  | { c: 'isObject' }
  | { c: 'has'; key: string }
  | { c: 'lenEq'; n: number }
  | { c: 'lenGe'; n: number }
  | { c: 'eq'; lit: Lit }
  | { c: 'type'; t: 'string' | 'number' | 'boolean' | 'bigint' | 'symbol' | 'nullish' | 'pid' }
  | { c: 'inst'; cls: number }
  | { c: 'guard'; guard: number }
  | { c: 'all'; from: number; sub: number }
  | { c: 'match'; sub: number }
  | { c: 'not'; sub: number }
export type Test = { path: number } & Check
export type Binding = { b: 'path'; path: number } | { b: 'sub'; test: number; name: string | null }
export type Row = { clause: number; tests: number[]; bind: [string | null, Binding][] }
export type DagNode = { n: 'fail' } | { n: 'leaf'; row: number } | { n: 'test'; test: number; yes: number; no: number }

export interface Dag {
  paths: { parent: number; step: Step }[]
  tests: Test[]
  subs: Dag[]
  rows: Row[]
  nodes: DagNode[]
  root: number
  memo: boolean
  clauses: number
}

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
