// The MessagePack writer for what most messages are made of: numbers,
// strings, booleans, null, arrays, plain objects, bytes, pids and refs.
// It checks and writes in one walk into one reused buffer, where msgpackr
// needed a checking walk first and then, for each object, tried its
// extension classes one `instanceof` at a time (a 100 B Uint8Array went
// past 16 of them): for the 100 B remote stream that was half the sending
// thread's time (docs/DECISIONS.md, issue 18).
//
// Its buffer is also this thread's byte block (crates/binding/src/block.rs),
// registered with the native side whenever it is replaced: the hot native
// sends read the message where it was written, with no argument to convert.
//
// It writes exactly the bytes msgpackr writes with codec.ts's options
// (__test__/writer.test.ts compares them on generated values), so a value
// reads the same whichever wrote it: the smallest int form (fixint up to
// 127), float64 for other numbers (and -0), the smallest str/bin/array
// header, and map16 for every object (msgpackr's form with useRecords off).
// Whatever else it meets (a Map, Set, Error, Date, BigInt, symbol,
// undefined, a hole, a class instance, a cycle or more than WRITE_DEPTH
// levels) makes it give up, and codec.ts takes the value the generic way,
// which boxes what needs a box and names the path of what cannot travel.
import { native } from '../native/index.js'
import { packIdPair } from './idcodec.js'
import { Pid, Ref } from './values.js'

/** The deepest value written here; deeper ones take the generic path (which enforces MAX_DEPTH). */
const WRITE_DEPTH = 64
/** The buffer's size between messages; one grown past SHRINK_OVER for a large message is let go. */
const START = 64 * 1024
const SHRINK_OVER = 1024 * 1024

let buf: Uint8Array = new Uint8Array(START)
let view: DataView = new DataView(buf.buffer)
/** The buffer as 32-bit words, for `copyBlock` (its size is a power of two, at least START). */
let words: Int32Array = new Int32Array(buf.buffer)
let pos = 0
/** `room`'s bound: the buffer's end, or while `writeInto` writes into another block, its limit. */
let cap = buf.length
/** While `writeInto` writes into another block: the writer's own buffer, which any other write puts back
 * first (a getter inside the value may write), so nothing but that value is ever written there. */
let own: Uint8Array | null = null
let ownView = view
/** Thrown by `room` past `writeInto`'s limit. */
const FULL: unique symbol = Symbol('full')
/** The buffer the native side reads (kept referenced until another is registered). */
let registered: Uint8Array | null = null
/** Set while writing. A getter or proxy trap inside a value that encodes too (it may send) writes over the
 * value being written, so it sets `clobbered`, and the outer write gives up once it is back. */
let busy = false
let clobbered = false
const utf8 = new TextEncoder()

/** Registers the buffer with the native side when it was replaced since the last write (every write ends
 * with this, so a native call after it reads the current buffer). */
function ready(): void {
  if (buf !== registered) {
    native.blockRegister(buf)
    registered = buf
  }
}

/** Makes room for `n` more bytes at `pos` (past `writeInto`'s limit, throws FULL). */
function room(n: number): void {
  if (pos + n <= cap) return
  if (own !== null) throw FULL
  let size = buf.length * 2
  while (size < pos + n) size *= 2
  const grown = new Uint8Array(size)
  grown.set(buf.subarray(0, pos))
  use(grown)
}

/** Makes `b` the writer's buffer. */
function use(b: Uint8Array): void {
  buf = b
  view = new DataView(b.buffer)
  words = new Int32Array(b.buffer)
  cap = b.length
}

/** Where every write into the block but `writeInto` begins: the writer's own buffer back in place, and a write
 * from inside another one (a getter's) makes that one give up. */
function claim(): void {
  putBack()
  if (busy) clobbered = true
}

/** Puts the writer's own buffer back, when `writeInto` had another block in its place. */
function putBack(): void {
  if (own === null) return
  buf = own
  view = ownView
  cap = buf.length
  own = null
}

/** Writes a MessagePack header: `small | n` under `smallMax`, else the 1, 2 or 4 byte length form. */
function header(n: number, small: number, smallMax: number, c8: number, c16: number, c32: number): void {
  room(5)
  if (n < smallMax) buf[pos++] = small | n
  else if (c8 !== 0 && n < 0x100) {
    buf[pos++] = c8
    buf[pos++] = n
  } else if (n < 0x10000) {
    buf[pos++] = c16
    buf[pos++] = n >> 8
    buf[pos++] = n & 0xff
  } else {
    buf[pos++] = c32
    view.setUint32(pos, n)
    pos += 4
  }
}

function number(v: number): void {
  room(9)
  if (v === 0 && 1 / v < 0) {
    buf[pos++] = 0xcb
    view.setFloat64(pos, v)
    pos += 8
  } else if (v >>> 0 === v) {
    if (v < 0x80) buf[pos++] = v
    else if (v < 0x100) {
      buf[pos++] = 0xcc
      buf[pos++] = v
    } else if (v < 0x10000) {
      buf[pos++] = 0xcd
      buf[pos++] = v >> 8
      buf[pos++] = v & 0xff
    } else {
      buf[pos++] = 0xce
      view.setUint32(pos, v)
      pos += 4
    }
  } else if (v >> 0 === v) {
    if (v >= -0x20) buf[pos++] = 0x100 + v
    else if (v >= -0x80) {
      buf[pos++] = 0xd0
      buf[pos++] = v + 0x100
    } else if (v >= -0x8000) {
      buf[pos++] = 0xd1
      view.setInt16(pos, v)
      pos += 2
    } else {
      buf[pos++] = 0xd2
      view.setInt32(pos, v)
      pos += 4
    }
  } else {
    buf[pos++] = 0xcb
    view.setFloat64(pos, v)
    pos += 8
  }
}

/** A str: short strings byte by byte as msgpackr writes them (a lone surrogate as its three bytes), longer
 * ones through TextEncoder (a lone surrogate as U+FFFD, as msgpackr's Buffer write gives). */
function string(s: string): void {
  const n = s.length
  const head = n < 0x20 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5
  room(5 + n * 3)
  const start = pos + head
  let p = start
  if (n < 0x40) {
    for (let i = 0; i < n; i++) {
      let c = s.charCodeAt(i)
      if (c < 0x80) buf[p++] = c
      else if (c < 0x800) {
        buf[p++] = (c >> 6) | 0xc0
        buf[p++] = (c & 0x3f) | 0x80
      } else {
        const d = s.charCodeAt(i + 1)
        if ((c & 0xfc00) === 0xd800 && (d & 0xfc00) === 0xdc00) {
          c = 0x10000 + ((c & 0x03ff) << 10) + (d & 0x03ff)
          i++
          buf[p++] = (c >> 18) | 0xf0
          buf[p++] = ((c >> 12) & 0x3f) | 0x80
          buf[p++] = ((c >> 6) & 0x3f) | 0x80
          buf[p++] = (c & 0x3f) | 0x80
        } else {
          buf[p++] = (c >> 12) | 0xe0
          buf[p++] = ((c >> 6) & 0x3f) | 0x80
          buf[p++] = (c & 0x3f) | 0x80
        }
      }
    }
  } else p += utf8.encodeInto(s, buf.subarray(start)).written
  const len = p - start
  // The header the length needs, and the bytes moved when it is longer than the one guessed from `n`.
  const need = len < 0x20 ? 1 : len < 0x100 ? 2 : len < 0x10000 ? 3 : 5
  if (need !== head) buf.copyWithin(pos + need, start, p)
  header(len, 0xa0, 0x20, 0xd9, 0xda, 0xdb)
  pos += len
}

function bytes(b: Uint8Array): void {
  header(b.length, 0, 0, 0xc4, 0xc5, 0xc6)
  room(b.length)
  buf.set(b, pos)
  pos += b.length
}

/** msgpackr's `alloc` form, for idcodec's pid and ref writer. */
function alloc(n: number): { target: Uint8Array; position: number } {
  room(n)
  const position = pos
  pos += n
  return { target: buf, position }
}

/** Writes `v`; false when it holds anything left to the generic path. */
function value(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'number':
      number(v)
      return true
    case 'string':
      string(v)
      return true
    case 'boolean':
      room(1)
      buf[pos++] = v ? 0xc3 : 0xc2
      return true
    case 'object':
      break
    default:
      return false
  }
  if (v === null) {
    room(1)
    buf[pos++] = 0xc0
    return true
  }
  if (depth >= WRITE_DEPTH) return false
  if (Array.isArray(v)) {
    const n = v.length
    header(n, 0x90, 0x10, 0, 0xdc, 0xdd)
    for (let i = 0; i < n; i++) if (!(i in v) || !value(v[i], depth + 1)) return false
    return true
  }
  // Before the prototype test: Object.getPrototypeOf of a typed array is a call into the runtime (~3% of a
  // 100 B stream's sender).
  if (v instanceof Uint8Array) {
    bytes(v)
    return true
  }
  const proto = Object.getPrototypeOf(v)
  if (proto === Object.prototype) {
    const o = v as Record<string, unknown>
    const keys = Object.keys(o)
    if (keys.length > 0xffff) return false
    room(3)
    buf[pos++] = 0xde
    buf[pos++] = keys.length >> 8
    buf[pos++] = keys.length & 0xff
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string
      string(k)
      if (!value(o[k], depth + 1)) return false
    }
    return true
  }
  if (v instanceof Pid || v instanceof Ref) packIdPair(v, alloc)
  else return false
  return true
}

/** Writes `v` in MessagePack at the start of this thread's block: its length, or -1 when `v` holds anything
 * this writer leaves to the generic path (see above). The bytes stay until the next write. */
export function writeMessage(v: unknown): number {
  claim()
  if (!busy && buf.length > SHRINK_OVER) use(new Uint8Array(START))
  const outer = busy
  busy = true
  pos = 0
  let ok = false
  try {
    ok = value(v, 0)
  } finally {
    busy = outer
  }
  if (!outer && clobbered) {
    clobbered = false
    ok = false
  }
  ready()
  return ok ? pos : -1
}

/** What `writeInto` gives when the value would pass its limit. */
export const PAST_LIMIT = -2

/** Writes `v` in MessagePack into `into` (`intoView`, a DataView of its buffer) at `at`, as `writeMessage`
 * does into this thread's block: where it ends, PAST_LIMIT when it would pass `limit` (a string reserves 3 bytes
 * per UTF-16 unit first), or -1 when it holds anything left to the generic path, a getter inside it wrote, or
 * this is called from inside another write (a getter's). A sender that queues the message in `into` saves
 * copying it out of the block (~8% of a 100 B stream's sender). Bytes from `at` up to `limit` may be written
 * even when it gives up. */
export function writeInto(v: unknown, into: Uint8Array, intoView: DataView, at: number, limit: number): number {
  if (busy) return -1
  own = buf
  ownView = view
  buf = into
  view = intoView
  cap = limit
  pos = at
  busy = true
  let ok = false
  let past = false
  try {
    ok = value(v, 0)
  } catch (e) {
    if (e !== FULL) throw e
    past = true
  } finally {
    busy = false
    putBack()
  }
  if (clobbered) {
    clobbered = false
    return -1
  }
  return ok ? pos : past ? PAST_LIMIT : -1
}

/** Copies `b` to the start of this thread's block (bytes the generic path wrote, for a native call): their
 * length. Like every write here, from inside a value being written (a getter) it makes that write give up. */
export function putBytes(b: Uint8Array): number {
  claim()
  pos = 0
  room(b.length)
  buf.set(b)
  ready()
  return b.length
}

/** Writes `s` in UTF-8 (no header) at `at` in the block, after a message: its length in bytes. */
export function putUtf8(at: number, s: string): number {
  claim()
  pos = at
  room(s.length * 3)
  // Names are short and mostly ASCII: byte by byte is cheaper than a call into TextEncoder.
  let n = 0
  while (n < s.length) {
    const c = s.charCodeAt(n)
    if (c >= 0x80) break
    buf[at + n++] = c
  }
  if (n < s.length) n = utf8.encodeInto(s, buf.subarray(at)).written
  ready()
  return n
}

/** The first `n` f64 slots of this thread's block, for a native call that reads numbers from it (valid until
 * the next write). */
export function blockFloats(n: number): Float64Array {
  claim()
  pos = 0
  room(n * 8)
  ready()
  return new Float64Array(buf.buffer, 0, n)
}

/** Copies bytes `0..n` of this thread's block into `into` (`intoWords`, its words) at `at`, a multiple of 4;
 * up to 3 bytes after them may be overwritten too. Word by word for a small message: a subarray and `set` cost
 * ~75 ns whatever the size, the words ~27 ns for 109 bytes. */
export function copyBlock(into: Uint8Array, intoWords: Int32Array, at: number, n: number): void {
  if (n > 256) {
    into.set(buf.subarray(0, n), at)
    return
  }
  const w = at >> 2
  const m = (n + 3) >> 2
  for (let i = 0; i < m; i++) intoWords[w + i] = words[i]
}

/** Bytes `0..n` of this thread's block (a view: the next write changes it). */
export function blockView(n: number): Uint8Array {
  return buf.subarray(0, n)
}
