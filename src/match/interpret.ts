// The interpreter back end: evaluates the DAG directly, for environments
// that forbid code generation. Same results as the generated code (both
// are tested against a naive reference).
import { Pid } from '../kernel/values.js'
import { type Dag, declared, litValue, type Test } from './dag.js'
import type { Tables } from './ir.js'

const UNSET = Symbol('unset')

/** Runs `m` on `v`: the winning row, or -1. `out[0]` receives the row's
 * selections, aligned with its `bind` list. */
export function interpret(m: Dag, t: Tables, v: unknown, out: unknown[]): number {
  const vals: unknown[] = new Array(m.paths.length).fill(UNSET)
  const lens: number[] = []
  const memo: (boolean | undefined)[] = []
  const subsel: unknown[][] = []
  vals[0] = v

  const val = (p: number): unknown => {
    const x = vals[p]
    if (x !== UNSET) return x
    const { parent, step } = m.paths[p]
    const pv = val(parent) as Record<string | number, unknown>
    const y = step.s === 'index' ? pv[step.v] : step.s === 'key' ? pv[step.v] : pv
    vals[p] = y
    return y
  }
  const len = (p: number): number => {
    let l = lens[p]
    if (l === undefined) {
      l = (val(p) as unknown[]).length
      lens[p] = l
    }
    return l
  }
  const check = (i: number, x: Test): boolean => {
    const pv = val(x.path)
    switch (x.c) {
      case 'isArray':
        return Array.isArray(pv)
      case 'isObject':
        return typeof pv === 'object' && pv !== null
      case 'has':
        return x.key in (pv as object)
      case 'lenEq':
        return len(x.path) === x.n
      case 'lenGe':
        return len(x.path) >= x.n
      case 'eq':
        return Object.is(pv, litValue(x.lit, t.consts))
      case 'type':
        return x.t === 'nullish' ? pv == null : x.t === 'pid' ? pv instanceof Pid : typeof pv === x.t
      case 'inst':
        return pv instanceof (t.classes[x.cls] as new () => unknown)
      case 'guard':
        return Boolean(t.guards[x.guard](pv as never))
      case 'all': {
        const sub = m.subs[x.sub]
        const names = declared(sub)
        const lists: unknown[][] = names.map(() => [])
        const n = len(x.path)
        const a = pv as unknown[]
        const o: unknown[] = [undefined]
        for (let j = x.from; j < n; j++) {
          const r = interpret(sub, t, a[j], o)
          if (r < 0) return false
          const bind = sub.rows[r].bind
          names.forEach((name, k) => {
            const at = bind.findIndex(([b]) => b === name)
            lists[k].push(at < 0 ? undefined : (o[0] as unknown[])[at])
          })
        }
        subsel[i] = lists
        return true
      }
      case 'match': {
        const sub = m.subs[x.sub]
        const o: unknown[] = [undefined]
        const r = interpret(sub, t, pv, o)
        if (r < 0) return false
        const bind = sub.rows[r].bind
        subsel[i] = declared(sub).map((name) => {
          const at = bind.findIndex(([b]) => b === name)
          return at < 0 ? undefined : (o[0] as unknown[])[at]
        })
        return true
      }
      case 'not':
        return interpret(m.subs[x.sub], t, pv, [undefined]) < 0
    }
  }
  const test = (i: number): boolean => {
    if (m.memo) {
      const known = memo[i]
      if (known !== undefined) return known
    }
    const r = check(i, m.tests[i])
    if (m.memo) memo[i] = r
    return r
  }

  let at = m.root
  for (;;) {
    const node = m.nodes[at]
    if (node.n === 'fail') return -1
    if (node.n === 'leaf') {
      const row = m.rows[node.row]
      out[0] = row.bind.map(([, b]) => {
        if (b.b === 'path') return val(b.path)
        const x = m.tests[b.test] as Test & { sub: number }
        return subsel[b.test]?.[declared(m.subs[x.sub]).indexOf(b.name)]
      })
      return node.row
    }
    at = test(node.test) ? node.yes : node.no
  }
}
