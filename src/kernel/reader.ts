// The MessagePack reader for what writer.ts writes: nil, booleans, ints,
// float64, strings, bytes, arrays, maps with string keys, pids and refs.
// A receiving thread spent ~40% of its time in msgpackr's decode on the
// cross-thread stream (issue 18); this reader builds each object of a known
// key sequence with one compiled literal (shapes.ts), gives short ASCII
// strings from a cache, and reads numbers without a DataView.
//
// It gives exactly what msgpackr gives with codec.ts's options, or UNREAD
// for anything it leaves to msgpackr (codec.ts then decodes the bytes the
// established way, which also gives the established error for bad bytes):
// float32, ext types other than 1 (Pid) and 2 (Ref), non-string map keys,
// int64s beyond ±2^53 (msgpackr's BigInts), 0xc1, strings that are not
// valid UTF-8 or start with a BOM (msgpackr's decoders disagree on those),
// truncation, bytes after the value, nesting past READ_DEPTH. It never
// throws and never reads outside [start, end).
import { readIdPair } from './idcodec.js'
import { type Shape, shapeBuild, shapeChild, shapeKeys, shapeRoot } from './shapes.js'
import { Pid, Ref } from './values.js'

/** What `readMessage` returns for bytes it leaves to msgpackr. */
export const UNREAD: unique symbol = Symbol('left to msgpackr')

/** The deepest nesting read here (the writer's WRITE_DEPTH); deeper values go to msgpackr. */
const READ_DEPTH = 64
/** Maps with more keys than this are built by assignment, without a shape. */
const SHAPE_KEYS = 32

const EMPTY = new Uint8Array(0)
let src: Uint8Array = EMPTY
/** The plain Uint8Array (a drained batch) last read, its buffer and offset: a bin is then made over that
 * buffer (see `bin`). Kept from one message to the next, since the messages of a batch share their source and
 * `buffer` is a call into C++; it holds at most one batch alive past its messages. */
let plain: Uint8Array = EMPTY
let plainBuffer: ArrayBufferLike = EMPTY.buffer
let plainOffset = 0
let pos = 0
let end = 0
/** Values of the maps being read, in order; a map's values sit at [base, sp) until it is built. */
const stack: unknown[] = []
let sp = 0

// float64 without a DataView: the 8 bytes into a scratch double, reversed on a little-endian host.
const f64 = new Float64Array(1)
const f64b = new Uint8Array(f64.buffer)
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** Thrown (and caught in readMessage) to leave the bytes to msgpackr. */
const LEAVE = UNREAD

function need(n: number): void {
  if (end - pos < n) throw LEAVE
}
function u8(): number {
  need(1)
  return src[pos++] as number
}
function u16(): number {
  need(2)
  const v = ((src[pos] as number) << 8) | (src[pos + 1] as number)
  pos += 2
  return v
}
function u32(): number {
  need(4)
  const v =
    (((src[pos] as number) << 24) |
      ((src[pos + 1] as number) << 16) |
      ((src[pos + 2] as number) << 8) |
      (src[pos + 3] as number)) >>>
    0
  pos += 4
  return v
}
function float64(): number {
  need(8)
  const p = pos
  if (LITTLE) {
    f64b[7] = src[p] as number
    f64b[6] = src[p + 1] as number
    f64b[5] = src[p + 2] as number
    f64b[4] = src[p + 3] as number
    f64b[3] = src[p + 4] as number
    f64b[2] = src[p + 5] as number
    f64b[1] = src[p + 6] as number
    f64b[0] = src[p + 7] as number
  } else f64b.set(src.subarray(p, p + 8))
  pos += 8
  return f64[0] as number
}
/** An int64/uint64 as msgpackr's int64AsType 'auto' gives it when that is a Number (|n| <= 2^53). */
function int64(signed: boolean): number {
  const hi = u32()
  const lo = u32()
  const h = signed ? hi | 0 : hi
  if ((h >= -0x200000 && h < 0x200000) || (h === 0x200000 && lo === 0)) return h * 2 ** 32 + lo
  throw LEAVE
}

// Short ASCII strings (up to 8 bytes: tags, kinds, small keys of a Map) from a cache keyed by their bytes.
const CACHE = 1024
const cacheLo = new Int32Array(CACHE)
const cacheHi = new Int32Array(CACHE)
const cacheLen = new Uint8Array(CACHE)
const cacheStr: string[] = new Array(CACHE).fill('')
const fromCharCode = String.fromCharCode
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** The string at src[at, at+n) (n <= 8), or null when a byte is not ASCII. */
function shortString(at: number, n: number): string | null {
  let lo = 0
  let hi = 0
  for (let i = 0; i < n; i++) {
    const b = src[at + i] as number
    if (i < 4) lo |= b << (i * 8)
    else hi |= b << ((i - 4) * 8)
  }
  if (((lo | hi) & 0x80808080) !== 0) return null
  const h = (Math.imul(lo ^ Math.imul(hi, 31) ^ n, 0x9e3779b1) >>> 22) & (CACHE - 1)
  if (cacheLen[h] === n + 1 && cacheLo[h] === lo && cacheHi[h] === hi) return cacheStr[h] as string
  const s = fromCharCode.apply(null, src.subarray(at, at + n) as unknown as number[])
  cacheLo[h] = lo
  cacheHi[h] = hi
  cacheLen[h] = n + 1
  cacheStr[h] = s
  return s
}

// Longer strings through Buffer's own UTF-8 slice (on any Uint8Array): a third of TextDecoder's cost on 200
// bytes, and under a tenth of a JS scan. It replaces bad UTF-8 with U+FFFD; a string holding one is then checked
// by the fatal TextDecoder (a real U+FFFD is valid). Without it (another runtime), TextDecoder alone.
type Slice = (this: Uint8Array, start: number, end: number) => string
const utf8Slice: Slice =
  (Buffer.prototype as unknown as { utf8Slice?: Slice }).utf8Slice ??
  function (this: Uint8Array, start: number, stop: number): string {
    return utf8.decode(this.subarray(start, stop))
  }

/** The string at src[at, at+n) as all of msgpackr's string routes give it: valid UTF-8 not starting with a BOM
 * (TextDecoder would drop it, msgpackr's JS decoder keep it); anything else is left to msgpackr. */
function textAt(at: number, n: number): string {
  if (n <= 8) {
    const s = shortString(at, n)
    if (s !== null) return s
  }
  if (n >= 3 && src[at] === 0xef && src[at + 1] === 0xbb && src[at + 2] === 0xbf) throw LEAVE
  const s = utf8Slice.call(src, at, at + n)
  if (s.indexOf('\ufffd') === -1) return s
  try {
    return utf8.decode(src.subarray(at, at + n))
  } catch {
    throw LEAVE
  }
}

function str(n: number): string {
  need(n)
  const at = pos
  pos += n
  return textAt(at, n)
}

/** A map key's byte length after its str header (pos then at its first byte). */
function keyLength(): number {
  const t = u8()
  let n: number
  if (t >= 0xa0 && t < 0xc0) n = t & 0x1f
  else if (t === 0xd9) n = u8()
  else if (t === 0xda) n = u16()
  else if (t === 0xdb) n = u32()
  else throw LEAVE
  need(n)
  return n
}

/** msgpackr's key rule: `__proto__` becomes `__proto_`, so no map sets a prototype. */
function safeKey(k: string): string {
  return k === '__proto__' ? '__proto_' : k
}

const NONE: Record<string, unknown> = Object.freeze({})

function map(n: number, depth: number): unknown {
  if (depth >= READ_DEPTH || n * 2 > end - pos) throw LEAVE
  if (n === 0) return {}
  const base = sp
  let node: Shape | null = n <= SHAPE_KEYS ? shapeRoot : null
  // The object built by assignment (a map without a shape); a shaped map is built at the end.
  let o: Record<string, unknown> = node === null ? {} : NONE
  for (let i = 0; i < n; i++) {
    const len = keyLength()
    const at = pos
    pos += len
    if (node !== null) {
      const next = shapeChild(node, src, at, len, keyAt)
      if (next !== null) {
        node = next
        stack[sp++] = read(depth + 1)
        continue
      }
      // No room for another shape: the keys so far and their values into an object, the rest by assignment.
      const keys = shapeKeys(node)
      o = {}
      for (let j = 0; j < keys.length; j++) o[keys[j] as string] = stack[base + j]
      release(base)
      node = null
    }
    const key = keyAt(at, len)
    o[key] = read(depth + 1)
  }
  if (node === null) return o
  const made = shapeBuild(node, stack, base)
  release(base)
  return made
}

/** A key's string as msgpackr gives it (bytes already checked to be in range). */
function keyAt(at: number, len: number): string {
  return safeKey(textAt(at, len))
}

/** Drops the values of a built map from the stack (so it holds nothing of a past message). */
function release(base: number): void {
  for (let i = base; i < sp; i++) stack[i] = undefined
  sp = base
}

function array(n: number, depth: number): unknown[] {
  if (depth >= READ_DEPTH || n > end - pos) throw LEAVE
  const a = new Array(n)
  for (let i = 0; i < n; i++) a[i] = read(depth + 1)
  return a
}

function bin(n: number): Uint8Array {
  need(n)
  // The same view as `subarray` gives, made directly: subarray looks up the species constructor first, which
  // made a bin's view ~1.5-2x dearer (it was ~6% of a 100 B stream's receiving thread). A Buffer's bins stay
  // Buffers, through subarray, as msgpackr gives them.
  const b = plain === src ? new Uint8Array(plainBuffer, plainOffset + pos, n) : src.subarray(pos, pos + n)
  pos += n
  return b
}

const noGeneric = (): never => {
  throw LEAVE
}

/** Extension 1 (Pid) or 2 (Ref) through idcodec's reader; its generic fallback is msgpackr's, so here a leave. */
function ext(n: number): unknown {
  need(n + 1)
  const type = src[pos++]
  if (type !== 1 && type !== 2) throw LEAVE
  const b = src.subarray(pos, pos + n)
  pos += n
  return type === 1 ? readIdPair('pid', b, Pid, noGeneric) : readIdPair('ref', b, Ref, noGeneric)
}

/** A length of 1 << k bytes (k = 0, 1, 2). */
function length(k: number): number {
  return k === 0 ? u8() : k === 1 ? u16() : u32()
}

function read(depth: number): unknown {
  if (pos >= end) throw LEAVE
  const t = src[pos++] as number
  if (t < 0x80) return t
  if (t < 0x90) return map(t & 0x0f, depth)
  if (t < 0xa0) return array(t & 0x0f, depth)
  if (t < 0xc0) return str(t & 0x1f)
  if (t >= 0xe0) return t - 0x100
  switch (t) {
    case 0xc0:
      return null
    case 0xc2:
      return false
    case 0xc3:
      return true
    case 0xcb:
      return float64()
    case 0xcc:
      return u8()
    case 0xcd:
      return u16()
    case 0xce:
      return u32()
    case 0xcf:
      return int64(false)
    case 0xd0:
      return (u8() << 24) >> 24
    case 0xd1:
      return (u16() << 16) >> 16
    case 0xd2:
      return u32() | 0
    case 0xd3:
      return int64(true)
  }
  // The families with an 8-, 16- or 32-bit length after the token (arrays and maps: 16 or 32).
  if (t >= 0xd9 && t <= 0xdb) return str(length(t - 0xd9))
  if (t >= 0xc4 && t <= 0xc6) return bin(length(t - 0xc4))
  if (t >= 0xc7 && t <= 0xc9) return ext(length(t - 0xc7))
  if (t >= 0xd4 && t <= 0xd8) return ext(1 << (t - 0xd4)) // fixext 1, 2, 4, 8, 16
  if (t === 0xdc || t === 0xdd) return array(length(t - 0xdb), depth)
  if (t === 0xde || t === 0xdf) return map(length(t - 0xdd), depth)
  throw LEAVE // 0xc1 (never used), 0xca (float32)
}

/** Decodes the one value that spans `s[start..end)` as msgpackr does with codec.ts's options, or gives UNREAD
 * when the bytes hold anything left to msgpackr (see above) or are malformed. Never throws; a bin in the result
 * is a view of `s` (`s.subarray`, a Buffer for a Buffer), as msgpackr gives it. */
export function readMessage(s: Uint8Array, start: number, stop: number): unknown {
  if (!(start >= 0 && start < stop && stop <= s.length)) return UNREAD
  src = s
  if (s !== plain && Object.getPrototypeOf(s) === Uint8Array.prototype) {
    plain = s
    plainBuffer = s.buffer
    plainOffset = s.byteOffset
  }
  pos = start
  end = stop
  sp = 0
  try {
    const v = read(0)
    return pos === end ? v : UNREAD
  } catch {
    release(0)
    return UNREAD
  } finally {
    src = EMPTY
  }
}
