// Pids and refs in their MessagePack form, written and read byte by byte:
// ext type 1 or 2 (fixext when the length allows) around the payload
// [node, id], with a str name and the smallest uint, the bytes any
// MessagePack encoder writes. They travel in most messages (a call's
// `from`, a ping's sender), and through msgpackr's generic extension path
// (a Packr per payload, an unpack per pid) each cost 1-2 us, a tenth of a
// remote round trip. codec.ts registers them as its extensions 1 and 2.
import { Pid, type Ref } from './values.js'

/** A node name as a MessagePack str (header and UTF-8), per name. */
const nameStrs = new Map<string, Uint8Array>()
const utf8 = new TextEncoder()

function nameStr(node: string): Uint8Array {
  let s = nameStrs.get(node)
  if (s === undefined) {
    const b = utf8.encode(node)
    const n = b.length
    const head = n < 32 ? [0xa0 | n] : n < 256 ? [0xd9, n] : [0xda, n >> 8, n & 255]
    s = new Uint8Array(head.length + n)
    s.set(head)
    s.set(b, head.length)
    // Names are few (one per node); a flood of distinct ones is not cached.
    if (nameStrs.size < 1024) nameStrs.set(node, s)
  }
  return s
}

/** Bytes of `id` as a MessagePack uint (the smallest form, as rmp writes it). */
function uintLen(id: number): number {
  return id < 128 ? 1 : id < 256 ? 2 : id < 65536 ? 3 : id < 2 ** 32 ? 5 : 9
}

/** Writes a Pid's or Ref's whole extension (header, type, [node, id])
 * through msgpackr's `alloc` form of `pack`. */
export function packIdPair(v: Pid | Ref, alloc: (n: number) => { target: Uint8Array; position: number }): void {
  const s = nameStr(v.node)
  const id = v.id
  const len = 1 + s.length + uintLen(id)
  const fixed = len === 1 || len === 2 || len === 4 || len === 8 || len === 16
  const head = fixed ? 2 : len < 256 ? 3 : 4
  const { target: t, position } = alloc(head + len)
  let p = position
  if (fixed) t[p++] = len === 1 ? 0xd4 : len === 2 ? 0xd5 : len === 4 ? 0xd6 : len === 8 ? 0xd7 : 0xd8
  else if (len < 256) {
    t[p++] = 0xc7
    t[p++] = len
  } else {
    t[p++] = 0xc8
    t[p++] = len >> 8
    t[p++] = len & 255
  }
  t[p++] = v instanceof Pid ? 1 : 2
  t[p++] = 0x92
  t.set(s, p)
  p += s.length
  if (id < 128) t[p] = id
  else if (id < 256) {
    t[p++] = 0xcc
    t[p] = id
  } else if (id < 65536) {
    t[p++] = 0xcd
    t[p++] = id >> 8
    t[p] = id & 255
  } else if (id < 2 ** 32) {
    t[p++] = 0xce
    t[p++] = id >>> 24
    t[p++] = (id >>> 16) & 255
    t[p++] = (id >>> 8) & 255
    t[p] = id & 255
  } else {
    const hi = Math.floor(id / 2 ** 32)
    const lo = id >>> 0
    t[p++] = 0xcf
    t[p++] = hi >>> 24
    t[p++] = (hi >>> 16) & 255
    t[p++] = (hi >>> 8) & 255
    t[p++] = hi & 255
    t[p++] = lo >>> 24
    t[p++] = (lo >>> 16) & 255
    t[p++] = (lo >>> 8) & 255
    t[p] = lo & 255
  }
}

/** Recently read node names with their bytes (a node sees few). */
const readNames: { bytes: Uint8Array; name: string }[] = []
let readNext = 0
const utf8Decoder = new TextDecoder('utf-8', { fatal: true })

/** The node name at `b[start..start+n)`, or null when it is not valid UTF-8
 * (the generic path then reads it as msgpackr reads any string). */
function nameAt(b: Uint8Array, start: number, n: number): string | null {
  for (const e of readNames) {
    const k = e.bytes
    if (k.length !== n) continue
    let i = 0
    while (i < n && k[i] === b[start + i]) i++
    if (i === n) return e.name
  }
  const bytes = b.slice(start, start + n)
  let name: string
  try {
    name = utf8Decoder.decode(bytes)
  } catch {
    return null
  }
  readNames[readNext] = { bytes, name }
  readNext = (readNext + 1) % 16
  return name
}

/** A pid's or ref's payload read in place: [node, id] with a str name and
 * a uint id; anything else goes through `generic` (the extension payload
 * decoder), checked. */
export function readIdPair<T>(
  what: string,
  b: Uint8Array,
  Make: new (node: string, id: number) => T,
  generic: (b: Uint8Array) => unknown,
): T {
  let p = 0
  if (b[p++] === 0x92) {
    const h = b[p++] as number
    let n = -1
    if (h >= 0xa0 && h < 0xc0) n = h & 31
    else if (h === 0xd9) n = b[p++] as number
    else if (h === 0xda) {
      n = ((b[p] as number) << 8) | (b[p + 1] as number)
      p += 2
    }
    const id = n < 0 || p + n >= b.length ? -1 : uintAt(b, p + n)
    const name = id < 0 ? null : nameAt(b, p, n)
    if (name !== null) return new Make(name, id)
  }
  return new Make(...idPair(what, generic(b)))
}

/** The uint at `p` when it is the last value of `b` (else -1). */
function uintAt(b: Uint8Array, p: number): number {
  const h = b[p] as number
  const left = b.length - p
  if (h < 128) return left === 1 ? h : -1
  if (h === 0xcc) return left === 2 ? (b[p + 1] as number) : -1
  if (h === 0xcd) return left === 3 ? ((b[p + 1] as number) << 8) | (b[p + 2] as number) : -1
  const u32 = (o: number) =>
    (((b[o] as number) << 24) | ((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number)) >>> 0
  if (h === 0xce) return left === 5 ? u32(p + 1) : -1
  if (h === 0xcf && left === 9) {
    const v = u32(p + 1) * 2 ** 32 + u32(p + 5)
    return Number.isSafeInteger(v) ? v : -1
  }
  return -1
}

/** A pid's or ref's payload, checked: bytes from a peer may hold anything
 * (found by tools/fuzz/codec.ts: a string payload made a Pid of its letters). */
function idPair(what: string, d: unknown): [string, number] {
  if (!Array.isArray(d) || d.length !== 2 || typeof d[0] !== 'string' || !Number.isSafeInteger(d[1]) || d[1] < 0)
    throw new TypeError(`decode: a malformed ${what} (its payload must be [node, id])`)
  return d as [string, number]
}
