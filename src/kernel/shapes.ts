// Object shapes for reader.ts: a tree of the key sequences of the maps read
// so far, each key kept as its raw bytes, so a map of a known shape is
// matched byte by byte without making its key strings, and built by one
// object literal compiled for that shape (V8 then gives every such object
// the same hidden class from a boilerplate, where assigning key by key
// walks the transitions each time). The tree is bounded: a map whose shape
// finds no room is built by assignment.
//
// Keys come as reader.ts gives them (`__proto__` renamed `__proto_`, as
// msgpackr does); the compiled literal's keys are computed, so no key could
// set a prototype anyway.

/** Builds the object of one shape from its values at v[b], v[b+1], ... */
type Make = (v: unknown[], b: number) => Record<string, unknown>

/** One key sequence: the path from the root to this node. */
export interface Shape {
  /** The last key's UTF-8 bytes (a copy) and string. */
  readonly bytes: Uint8Array
  readonly key: string
  readonly parent: Shape | null
  readonly next: Shape[]
  /** Objects built with this shape, up to COMPILE_AFTER; its literal once compiled. */
  hits: number
  make: Make | null
  keys: string[] | null
}

/** Shapes kept in all (keys across all sequences). */
const MAX_SHAPES = 4096
/** Next keys kept after one key sequence (a scan of them matches a key). */
const MAX_NEXT = 16
/** Objects of one shape built by assignment before its literal is compiled (a shape seen once costs no
 * compile). */
const COMPILE_AFTER = 4

let count = 0
const newShape = (bytes: Uint8Array, key: string, parent: Shape | null): Shape => ({
  bytes,
  key,
  parent,
  next: [],
  hits: 0,
  make: null,
  keys: null,
})

/** The empty key sequence. */
export const shapeRoot: Shape = newShape(new Uint8Array(0), '', null)

/** The shape after `node` whose last key is the `len` bytes at `src[at]` (made, with `keyOf`'s string, when it
 * is new and there is room), or null when there is no room. */
export function shapeChild(
  node: Shape,
  src: Uint8Array,
  at: number,
  len: number,
  keyOf: (at: number, len: number) => string,
): Shape | null {
  const next = node.next
  for (let c = 0; c < next.length; c++) {
    const s = next[c] as Shape
    const b = s.bytes
    if (b.length !== len) continue
    let i = 0
    while (i < len && b[i] === src[at + i]) i++
    if (i === len) return s
  }
  if (count >= MAX_SHAPES || next.length >= MAX_NEXT) return null
  const s = newShape(Uint8Array.prototype.slice.call(src, at, at + len), keyOf(at, len), node)
  next.push(s)
  count++
  return s
}

/** The keys of `node`'s sequence, in order. */
export function shapeKeys(node: Shape): string[] {
  if (node.keys === null) {
    const keys: string[] = []
    for (let s: Shape | null = node; s !== null && s.parent !== null; s = s.parent) keys.push(s.key)
    node.keys = keys.reverse()
  }
  return node.keys
}

/** The object of shape `node` with the values at v[b...]. */
export function shapeBuild(node: Shape, v: unknown[], b: number): Record<string, unknown> {
  if (node.make !== null) return node.make(v, b)
  const keys = shapeKeys(node)
  if (++node.hits >= COMPILE_AFTER && compiles) {
    node.make = compile(keys)
    if (node.make !== null) return node.make(v, b)
  }
  const o: Record<string, unknown> = {}
  for (let i = 0; i < keys.length; i++) o[keys[i] as string] = v[b + i]
  return o
}

/** False once code generation failed (`node --disallow-code-generation-from-strings`): assignment from then on. */
let compiles = true

function compile(keys: string[]): Make | null {
  // Computed keys (`["seq"]: ...`) are own properties whatever the key, `__proto__` included (a quoted literal
  // `"__proto__": x` would set the prototype); V8 builds them as fast as quoted literal keys (the item of the
  // cross-thread stream, measured both ways).
  const props = keys.map((k, i) => `[${JSON.stringify(k)}]:v[b+${i}]`)
  try {
    return new Function('v', 'b', `return {${props.join(',')}}`) as Make
  } catch {
    compiles = false
    return null
  }
}
