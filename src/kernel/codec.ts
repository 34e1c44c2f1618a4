// The portable codec: MessagePack (msgpackr) with bfly's extension types.
// Values are checked and boxed in one walk before packing, so a value that
// cannot travel is refused with its path and nothing is sent.
//
// Extension types (application range); each one's data is the MessagePack
// encoding of the payload shown:
//   1 Pid [node, id]   2 Ref [node, id]   3 Symbol key (Symbol.for)
//   4 Error [name, message, stack]   5 Map [k0, v0, k1, v1, ...]
//   6 Set [e0, e1, ...]   7 BigInt (decimal string)
//   8 TVar [instance, id] (src/stm/tvar.ts; registered with portableClass)
// Date uses MessagePack's standard timestamp extension (-1); -0 is a float64.
// A standard int64/uint64 (which bfly never writes: its integers beyond 32
// bits are float64, its bigints extension 7) decodes as other MessagePack
// libraries give it: a Number within ±2^53, a BigInt beyond (docs/DECISIONS.md).
import { addExtension, Packr } from 'msgpackr'
import { native } from '../native/index.js'
import { NotPortableError } from './errors.js'
import { packIdPair, readIdPair } from './idcodec.js'
import { readMessage, UNREAD } from './reader.js'
import { Pid, Ref } from './values.js'
import { blockView, putBytes, writeMessage } from './writer.js'

/** The deepest value that travels (docs/PROTOCOL.md, 1.1): arrays, objects, Maps, Sets, Errors, pids... each
 * count one level, and what an extension carries (a pid's [node, id], a Set's elements) one more. A node closes a
 * link that brings a deeper one, so `encode` refuses it. */
export const MAX_DEPTH: number = native.TERM_MAX_DEPTH
/** The longest BigInt that travels, in decimal characters (sign included). */
export const MAX_BIGINT: number = native.TERM_MAX_BIGINT
/** msgpackr's 'auto' (missing from its typings): int64/uint64 as a Number when |n| <= 2^53, else a BigInt. */
const INT64 = { int64AsType: 'auto' as 'number' }

class Boxed {
  constructor(readonly v: unknown) {}
}
class SymBox extends Boxed {}
class ErrBox extends Boxed {}
class MapBox extends Boxed {}
class SetBox extends Boxed {}
class BigBox extends Boxed {}

// Each extension's data is one complete MessagePack value (its payload),
// so any MessagePack decoder can skip or read it, and the Rust evaluator
// can look inside it in place.
const inner = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, ...INT64 })

function ext<C>(
  Class: abstract new (...a: never[]) => C,
  type: number,
  write: (v: C) => unknown,
  read: (d: never) => unknown,
) {
  addExtension({
    Class: Class as unknown as new () => C,
    type,
    pack: (v: C) => inner.pack(write(v)),
    unpack: (b: Uint8Array) => read(inner.unpack(b) as never),
  })
}

// Pids and refs have a packer and reader of their own (idcodec.ts); the
// bytes are those of the generic path.
const payload = (b: Uint8Array): unknown => inner.unpack(b)
addExtension({
  Class: Pid,
  type: 1,
  pack: packIdPair as unknown as (v: Pid) => Uint8Array,
  unpack: (b: Uint8Array) => readIdPair('pid', b, Pid, payload),
})
addExtension({
  Class: Ref,
  type: 2,
  pack: packIdPair as unknown as (v: Ref) => Uint8Array,
  unpack: (b: Uint8Array) => readIdPair('ref', b, Ref, payload),
})
ext(
  SymBox,
  3,
  (b) => b.v,
  (k: string) => Symbol.for(k),
)
ext(
  ErrBox,
  4,
  (b) => b.v,
  ([name, message, stack]: [string, string, string | null]) => {
    const e = new Error(message)
    e.name = name
    e.stack = stack ?? undefined
    return e
  },
)
ext(
  MapBox,
  5,
  (b) => b.v,
  (a: unknown[]) => {
    const m = new Map()
    for (let i = 0; i < a.length; i += 2) m.set(a[i], a[i + 1])
    return m
  },
)
ext(
  SetBox,
  6,
  (b) => b.v,
  (a: unknown[]) => new Set(a),
)
ext(
  BigBox,
  7,
  (b) => b.v,
  (s: string) => BigInt(s),
)

// -0 is written as a standard float64 (msgpackr would write the integer 0).
class NegZero {}
const NEG_ZERO = new NegZero()
addExtension({
  Class: NegZero,
  type: 127,
  // msgpackr lets pack() write raw bytes through `alloc` and return nothing
  // (its typings only show the Buffer-returning form).
  pack: ((_v: NegZero, alloc: (n: number) => { target: Uint8Array; position: number }) => {
    const { target, position } = alloc(9)
    target.set([0xcb, 0x80, 0, 0, 0, 0, 0, 0, 0], position)
  }) as unknown as (v: NegZero) => Uint8Array,
  unpack: () => -0,
})

// Classes other modules make portable (portableClass), passed through
// `portable` as they are and packed by their own extension.
const registered: (abstract new (...a: never[]) => unknown)[] = []

/** Makes instances of `Class` portable as extension `type` (see the table
 * above): `write` gives the payload, `read` makes the value back. */
export function portableClass<C>(
  Class: abstract new (...a: never[]) => C,
  type: number,
  write: (v: C) => unknown,
  read: (d: never) => unknown,
): void {
  registered.push(Class)
  ext(Class, type, write, read)
}

const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, ...INT64 })

const NOT_LEAF: unique symbol = Symbol('not a leaf')
const WHY: Record<string, string> = {
  symbol: 'a local symbol (only Symbol.for symbols travel)',
  undefined: 'undefined (use null)',
  function: 'a function',
  bigint: `a BigInt of over ${MAX_BIGINT} digits (the longest a node accepts)`,
}

/** `v` boxed when it is a portable leaf (a scalar, null, a pid, ref, date
 * or bytes); NOT_LEAF for an object to walk or a value that cannot travel
 * (a BigInt over MAX_BIGINT characters too). */
function boxLeaf(v: unknown): unknown {
  switch (typeof v) {
    case 'number':
      return v === 0 && 1 / v < 0 ? NEG_ZERO : v
    case 'string':
    case 'boolean':
      return v
    case 'bigint': {
      const s = v.toString()
      return s.length > MAX_BIGINT ? NOT_LEAF : new BigBox(s)
    }
    case 'symbol': {
      const k = Symbol.keyFor(v)
      return k === undefined ? NOT_LEAF : new SymBox(k)
    }
    case 'undefined':
    case 'function':
      return NOT_LEAF
  }
  if (v === null || v instanceof Pid || v instanceof Ref || v instanceof Date || v instanceof Uint8Array) return v
  return NOT_LEAF
}

/** Levels a boxed leaf takes (PROTOCOL.md 1.1): an extension one, and its payload one more when it is an array. */
function leafLevels(leaf: unknown): number {
  if (leaf instanceof Pid || leaf instanceof Ref) return 2
  if (leaf instanceof Boxed || leaf instanceof Date) return 1
  return 0
}

/** Throws when a value at `path` would reach `levels` deep. */
function deep(levels: number, path: string): void {
  if (levels > MAX_DEPTH)
    throw new NotPortableError(path, `nested deeper than ${MAX_DEPTH} levels (the most a node accepts)`)
}

/** Checks `v` is portable and boxes the types MessagePack lacks; `depth`
 * is the number of levels around it. */
function portable(v: unknown, path: string, seen: Set<object>, depth: number): unknown {
  const leaf = boxLeaf(v)
  if (leaf !== NOT_LEAF) {
    deep(depth + leafLevels(leaf), path)
    return leaf
  }
  if (typeof v !== 'object') throw new NotPortableError(path, WHY[typeof v] ?? typeof v)
  const o = v as object
  if (seen.has(o)) throw new NotPortableError(path, 'a cyclic reference')
  seen.add(o)
  let out: unknown
  if (Array.isArray(o)) {
    deep(depth + 1, path)
    out = o.map((x, i) => portable(x, `${path}[${i}]`, seen, depth + 1))
  } else if (o instanceof Map) {
    deep(depth + 2, path)
    const a: unknown[] = []
    let i = 0
    for (const [k, x] of o) {
      a.push(portable(k, `${path}.<key ${i}>`, seen, depth + 2), portable(x, `${path}.get(${i})`, seen, depth + 2))
      i++
    }
    out = new MapBox(a)
  } else if (o instanceof Set) {
    deep(depth + 2, path)
    out = new SetBox([...o].map((x, i) => portable(x, `${path}.<element ${i}>`, seen, depth + 2)))
  } else if (o instanceof Error) {
    deep(depth + 2, path)
    out = new ErrBox([o.name, o.message, o.stack ?? null])
  } else {
    const proto = Object.getPrototypeOf(o)
    if (proto !== Object.prototype && proto !== null) {
      if (registered.some((C) => o instanceof C)) {
        // Registered payloads are arrays of scalars (a TVar's [instance, id]).
        deep(depth + 2, path)
        seen.delete(o)
        return o
      }
      const name = (proto?.constructor as { name?: string } | undefined)?.name ?? 'an unknown class'
      throw new NotPortableError(path, `an instance of ${name}`)
    }
    deep(depth + 1, path)
    const r: Record<string, unknown> = {}
    for (const k of Object.keys(o)) r[k] = portable((o as Record<string, unknown>)[k], `${path}.${k}`, seen, depth + 1)
    out = r
  }
  seen.delete(o)
  return out
}

// The fast walk: the same checks and boxes as `portable`, without paths or
// a seen-set, and without copying what needs no box (most messages are
// plain objects, arrays, strings and numbers, and go to the packer as they
// are). Anything it cannot settle (an error to report with its path, a
// cycle, which shows as depth, a hole, a null-prototype object) makes it
// bail, and `portable` redoes the value with paths.
// It goes FAST_DEPTH levels at most, far below MAX_DEPTH.
const BAIL: unique symbol = Symbol('bail')
const FAST_DEPTH = 64

function fast(v: unknown, depth: number): unknown {
  const leaf = boxLeaf(v)
  if (leaf !== NOT_LEAF) return leaf
  if (typeof v !== 'object') throw BAIL
  if (depth > FAST_DEPTH) throw BAIL
  if (Array.isArray(v)) {
    let out: unknown[] | undefined
    for (let i = 0; i < v.length; i++) {
      if (!(i in v)) throw BAIL
      const x = v[i]
      const y = fast(x, depth + 1)
      if (out === undefined && y !== x) out = v.slice(0, i)
      out?.push(y)
    }
    return out ?? v
  }
  const proto = Object.getPrototypeOf(v)
  if (proto !== Object.prototype) throw BAIL
  const o = v as Record<string, unknown>
  const keys = Object.keys(o)
  let out: Record<string, unknown> | undefined
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string
    const x = o[k]
    const y = fast(x, depth + 1)
    if (out === undefined && y !== x) {
      out = {}
      for (let j = 0; j < i; j++) out[keys[j] as string] = o[keys[j] as string]
    }
    if (out !== undefined) out[k] = y
  }
  return out ?? v
}

/** Encodes a portable value; throws NotPortableError naming the path of
 * the first value that cannot travel.
 * @throws {@link NotPortableError} for a function, a non-plain object, a non-registered symbol, `undefined` in
 * an array... (see docs/API.md in the bfly package, "Values"); its `path` names where, starting at `path`. */
export function encode(value: unknown, path = 'value'): Uint8Array {
  const n = writeMessage(value)
  return n >= 0 ? blockView(n).slice() : encodeBoxed(value, path)
}

/** `encode`'s bytes, perhaps a view of this thread's block that the next encode overwrites: for a caller that
 * copies them (into a batch) before encoding again.
 * @throws as {@link encode}. */
export function encodeTransient(value: unknown, path = 'value'): Uint8Array {
  const n = writeMessage(value)
  return n >= 0 ? blockView(n) : encodeBoxed(value, path)
}

/** Encodes `value` at the start of this thread's byte block, for the native call that follows (which reads it
 * there): its length.
 * @throws as {@link encode}. */
export function encodeToBlock(value: unknown, path = 'value'): number {
  const n = writeMessage(value)
  return n >= 0 ? n : putBytes(encodeBoxed(value, path))
}

/** The generic path: boxes what MessagePack lacks (fast walk, else with paths) and packs with msgpackr. For
 * a value the writer takes, its bytes are the writer's (__test__/writer.test.ts compares them). */
export function encodeBoxed(value: unknown, path: string): Uint8Array {
  let boxed: unknown
  try {
    boxed = fast(value, 0)
  } catch (e) {
    if (e !== BAIL) throw e
    boxed = portable(value, path, new Set(), 0)
  }
  return packr.pack(boxed)
}

// For a reused block (the STM scratch): binaries are copied out, since
// views into the block would change under their holder.
const copying = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, copyBuffers: true, ...INT64 })

/** Decodes the first `end` bytes of the reused `block`, copying binaries out. */
export function decodeFrom(block: Uint8Array, end: number): unknown {
  return copying.unpack(block, end)
}

/** Decodes bytes written by `encode` (or any MessagePack encoder): plain values by reader.ts, the rest (and
 * malformed bytes) by msgpackr, which gives the same values (__test__/reader.test.ts). A standard int64 or uint64 becomes a
 * Number when it is within ±2^53 (every such integer is exact as a Number), a BigInt beyond; bfly's own
 * bigints travel as extension 7 and always decode to BigInt.
 * @throws the MessagePack decoder's Error for truncated bytes or bytes left over after one value; decode only
 * what `encode` (or another MessagePack encoder) wrote, since other bytes may still decode to something. */
export function decode(bytes: Uint8Array): unknown {
  const v = readMessage(bytes, 0, bytes.length)
  return v !== UNREAD ? v : packr.unpack(bytes)
}

/** Decodes `src[start..end)`, which must hold exactly one value (binaries are views of `src`). Decoding
 * ranges of one batch takes no copy of the range: reader.ts reads in place, and msgpackr (for what it leaves)
 * reuses the batch's DataView, which it caches on the source (a fresh subarray per message made a DataView
 * each time).
 * @throws as {@link decode}. */
export function decodeRange(src: Uint8Array, start: number, end: number): unknown {
  const v = readMessage(src, start, end)
  return v !== UNREAD ? v : packr.unpack(src, { start, end })
}

/** An exit reason as it travels to another thread or node: itself when
 * portable, else its description (a reason that cannot travel still kills). */
export function encodeReason(reason: unknown): Uint8Array {
  try {
    return encode(reason, 'reason')
  } catch {
    return encode(String(reason))
  }
}
