// The JS back end: one function generated from the DAG, for live objects.
// Small DAGs become nested ifs with each property read hoisted to the first
// test that needs it; large or shared ones become a state machine with
// lazily loaded reads. Either way each property read, length read and
// test happens at most once per match.
import { Pid } from '../kernel/values.js'
import { type Dag, declared, type Lit, type Test } from './dag.js'
import type { Tables } from './ir.js'

/** `(v, out) => row`: the winning row or -1; `out[0]` gets the handler's
 * first argument (top level) or the declared-order selections (sub). */
export type Compiled = (v: unknown, out: unknown[]) => number

/** `(v) => result`: runs the winning clause's handler, or returns FAIL.
 * Each clause's handler has its own call site, so V8 can inline it. */
export type Direct = (v: unknown) => unknown

/** Returned by a Direct matcher when no clause matches. */
export const FAIL: unique symbol = Symbol('bfly.nomatch')

/** What a generated function produces at a leaf. */
type Mode = 'sub' | 'select' | 'direct'

const INLINE_LIMIT = 400

class Gen {
  lines: string[] = []
  consts: unknown[] = []
  tmp = 0
  constructor(
    readonly m: Dag,
    readonly mode: Mode,
    readonly subs: string[],
    readonly kid: number,
  ) {}

  get fail(): string {
    return this.mode === 'direct' ? 'FAIL' : '-1'
  }

  konst(v: unknown): string {
    let i = this.consts.indexOf(v)
    if (i < 0) i = this.consts.push(v) - 1
    return `K${this.kid}_${i}`
  }

  access(p: number): string {
    const { parent, step } = this.m.paths[p]
    if (step.s === 'index') return `p${parent}[${step.v}]`
    if (step.s === 'key')
      return /^[A-Za-z_$][\w$]*$/.test(step.v) ? `p${parent}.${step.v}` : `p${parent}[${JSON.stringify(step.v)}]`
    return 'v'
  }

  /** Statements that make p{path} (and ancestors) loaded. */
  load(p: number, loaded: Set<number> | null, out: string[]): void {
    if (p === 0 || loaded?.has(p)) return
    this.load(this.m.paths[p].parent, loaded, out)
    if (loaded === null) out.push(`if (p${p} === U) p${p} = ${this.access(p)};`)
    else {
      out.push(`p${p} = ${this.access(p)};`)
      loaded.add(p)
    }
  }

  loadLen(p: number, loaded: Set<number> | null, out: string[]): void {
    if (loaded === null) out.push(`if (l${p} < 0) l${p} = p${p}.length;`)
    else if (!loaded.has(-1 - p)) {
      out.push(`l${p} = p${p}.length;`)
      loaded.add(-1 - p)
    }
  }

  eq(x: string, l: Lit): string {
    switch (l.t) {
      case 'null':
        return `${x} === null`
      case 'undef':
        return `${x} === undefined`
      case 'bool':
        return `${x} === ${l.v}`
      case 'str':
        return `${x} === ${JSON.stringify(l.v)}`
      case 'big':
        return `${x} === ${l.v}n`
      case 'sym':
        return `${x} === ${this.konst(Symbol.for(l.v))}`
      case 'js':
        return `Object.is(${x}, T.consts[${l.v}])`
      case 'num':
        if (l.v === 'NaN') return `${x} !== ${x}`
        if (l.v === '0') return `(${x} === 0 && 1 / ${x} > 0)`
        if (l.v === '-0') return `Object.is(${x}, -0)`
        return `${x} === ${l.v}`
    }
  }

  /** Statements before the test and its condition. */
  test(i: number, loaded: Set<number> | null): { pre: string[]; cond: string } {
    const t: Test = this.m.tests[i]
    const pre: string[] = []
    this.load(t.path, loaded, pre)
    const x = `p${t.path}`
    switch (t.c) {
      case 'isArray':
        return { pre, cond: `Array.isArray(${x})` }
      case 'isObject':
        return { pre, cond: `(typeof ${x} === 'object' && ${x} !== null)` }
      case 'has':
        return { pre, cond: `(${JSON.stringify(t.key)} in ${x})` }
      case 'lenEq':
      case 'lenGe':
        this.loadLen(t.path, loaded, pre)
        return { pre, cond: `l${t.path} ${t.c === 'lenEq' ? '===' : '>='} ${t.n}` }
      case 'eq':
        return { pre, cond: this.eq(x, t.lit) }
      case 'type':
        if (t.t === 'nullish') return { pre, cond: `${x} == null` }
        if (t.t === 'pid') return { pre, cond: `${x} instanceof Pid` }
        return { pre, cond: `typeof ${x} === '${t.t}'` }
      case 'inst':
        return { pre, cond: `${x} instanceof T.classes[${t.cls}]` }
      case 'guard':
        return { pre, cond: `T.guards[${t.guard}](${x})` }
      case 'not':
        return { pre, cond: `${this.subs[t.sub]}(${x}, O) < 0` }
      case 'match': {
        const r = `r${this.tmp++}`
        pre.push(`const ${r} = ${this.subs[t.sub]}(${x}, O);`, `if (${r} >= 0) s${i} = O[0];`)
        return { pre, cond: `${r} >= 0` }
      }
      case 'all': {
        this.loadLen(t.path, loaded, pre)
        const n = declared(this.m.subs[t.sub]).length
        const ok = `ok${this.tmp++}`
        const lists = Array.from({ length: n }, () => '[]').join(', ')
        pre.push(`let ${ok} = true; const L${i} = [${lists}];`)
        const push = Array.from({ length: n }, (_, k) => `L${i}[${k}].push(O[0][${k}]);`).join(' ')
        pre.push(
          `for (let j = ${t.from}; j < l${t.path}; j++) { if (${this.subs[t.sub]}(${x}[j], O) < 0) { ${ok} = false; break } ${push} }`,
          `s${i} = L${i};`,
        )
        return { pre, cond: ok }
      }
    }
  }

  leaf(row: number, loaded: Set<number> | null): string[] {
    const r = this.m.rows[row]
    const pre: string[] = []
    const expr = (b: (typeof r.bind)[number][1]): string => {
      if (b.b === 'path') {
        this.load(b.path, loaded, pre)
        return `p${b.path}`
      }
      const sub = this.m.subs[(this.m.tests[b.test] as { sub: number }).sub]
      return `s${b.test}[${declared(sub).indexOf(b.name)}]`
    }
    let sel: string
    if (this.mode !== 'sub') {
      if (r.bind.length === 0) sel = 'v'
      else if (r.bind.length === 1 && r.bind[0][0] === null) sel = expr(r.bind[0][1])
      else sel = `{ ${r.bind.map(([n, b]) => `${JSON.stringify(n)}: ${expr(b)}`).join(', ')} }`
    } else {
      const names = declared(this.m)
      sel = `[${names
        .map((n) => {
          const b = r.bind.find(([x]) => x === n)
          return b === undefined ? 'undefined' : expr(b[1])
        })
        .join(', ')}]`
    }
    if (this.mode === 'direct') return [...pre, `return H${r.clause}(${sel}, v);`]
    return [...pre, `out[0] = ${sel}; return ${row};`]
  }

  tree(id: number, loaded: Set<number>, depth: number): void {
    const pad = '  '.repeat(depth)
    const node = this.m.nodes[id]
    if (node.n === 'fail') this.lines.push(`${pad}return ${this.fail};`)
    else if (node.n === 'leaf') for (const l of this.leaf(node.row, loaded)) this.lines.push(pad + l)
    else {
      const { pre, cond } = this.test(node.test, loaded)
      for (const l of pre) this.lines.push(pad + l)
      this.lines.push(`${pad}if (${cond}) {`)
      this.tree(node.yes, new Set(loaded), depth + 1)
      this.lines.push(`${pad}} else {`)
      this.tree(node.no, new Set(loaded), depth + 1)
      this.lines.push(`${pad}}`)
    }
  }

  machine(): void {
    this.lines.push(`let n = ${this.m.root};`, 'for (;;) switch (n) {')
    this.m.nodes.forEach((node, id) => {
      if (node.n === 'fail') this.lines.push(`case ${id}: return ${this.fail};`)
      else if (node.n === 'leaf') this.lines.push(`case ${id}: { ${this.leaf(node.row, null).join(' ')} }`)
      else {
        const { pre, cond } = this.test(node.test, null)
        const body = this.m.memo
          ? `if (t${node.test} === 0) { ${pre.join(' ')} t${node.test} = (${cond}) ? 1 : 2; } n = t${node.test} === 1 ? ${node.yes} : ${node.no}; break;`
          : `${pre.join(' ')} n = (${cond}) ? ${node.yes} : ${node.no}; break;`
        this.lines.push(`case ${id}: { ${body} }`)
      }
    })
    this.lines.push(`default: return ${this.fail};`, '}')
  }
}

/** Expanded tree size, capped. */
function treeSize(m: Dag, id: number, cap: number): number {
  const node = m.nodes[id]
  if (node.n !== 'test') return 1
  const y = treeSize(m, node.yes, cap)
  return y >= cap ? cap : Math.min(cap, 1 + y + treeSize(m, node.no, cap))
}

/** Sources of `m`'s sub-matchers (recursively); returns their names. */
function subs(m: Dag, name: string, out: string[], consts: unknown[][]): string[] {
  return m.subs.map((s, i) => emit(s, 'sub', `${name}_${i}`, subs(s, `${name}_${i}`, out, consts), out, consts))
}

/** Appends the source of one function for `m` to `out`; returns its name. */
function emit(m: Dag, mode: Mode, name: string, subNames: string[], out: string[], consts: unknown[][]): string {
  const g = new Gen(m, mode, subNames, consts.length)
  consts.push(g.consts)
  const inline = !m.memo && treeSize(m, m.root, INLINE_LIMIT) < INLINE_LIMIT
  if (inline) g.tree(m.root, new Set([0]), 1)
  else g.machine()
  const pathVars = m.paths.map((_, i) => i).filter((i) => i > 0)
  const decl = [
    ...pathVars.map((i) => `p${i} = ${inline ? 'undefined' : 'U'}`),
    ...pathVars.map((i) => `l${i} = -1`),
    'l0 = -1',
    ...m.tests.map((_, i) => `s${i}`),
    ...(m.memo ? m.tests.map((_, i) => `t${i} = 0`) : []),
  ]
  const k = g.consts.map((_, i) => `const K${g.kid}_${i} = KS[${g.kid}][${i}];`)
  out.push(
    `${k.join('\n')}\nfunction ${name}(v, out) {\n  const p0 = v; let ${decl.join(', ')};\n${g.lines.join('\n')}\n}`,
  )
  return name
}

/** Generates the matcher's two functions, or returns null when code
 * generation is not allowed here (then the interpreter runs). */
export function generate(m: Dag, t: Tables, handlers: readonly unknown[]): { select: Compiled; direct: Direct } | null {
  const parts: string[] = []
  const consts: unknown[][] = []
  const subNames = subs(m, 'm', parts, consts)
  const select = emit(m, 'select', 'select', subNames, parts, consts)
  const direct = emit(m, 'direct', 'direct', subNames, parts, consts)
  const hs = handlers.map((_, i) => `const H${i} = HS[${i}];`).join('\n')
  const body = `'use strict';\nconst U = Symbol('unset');\nconst O = [undefined];\n${hs}\n${parts.join('\n')}\nreturn { select: ${select}, direct: ${direct} };`
  try {
    return new Function('T', 'Pid', 'KS', 'HS', 'FAIL', body)(t, Pid, consts, handlers, FAIL) as {
      select: Compiled
      direct: Direct
    }
  } catch (e) {
    if (e instanceof EvalError) return null
    throw e
  }
}
