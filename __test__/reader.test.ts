// The hand-written MessagePack reader (src/kernel/reader.ts) against
// msgpackr with codec.ts's options: on generated values, at an offset in a
// Buffer, on random and mutated bytes (never a throw; when it reads, the
// same value), and on the cases it must leave to msgpackr.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import test from 'ava'
import fc from 'fast-check'
import { Packr } from 'msgpackr'
import { decode, encode, Pid, Ref } from '../index.ts'
import { decodeRange } from '../src/kernel/codec.ts'
import { readMessage, UNREAD } from '../src/kernel/reader.ts'
import { value } from './values.gen.ts'

// codec.ts's options; the extensions (Pid 1, Ref 2...) are msgpackr's global ones that codec.ts registered.
const msgpackr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  moreTypes: false,
  int64AsType: 'auto' as 'number',
})
const unpack = (b: Uint8Array, start = 0, end = b.length): unknown => msgpackr.unpack(b, { start, end })

/** Why `a` and `b` differ (types, prototypes, key order, -0, views of the same bytes), or '' when they don't. */
function differ(a: unknown, b: unknown, at = 'value'): string {
  if (typeof a !== typeof b) return `${at}: ${typeof a} vs ${typeof b}`
  if (typeof a !== 'object' || a === null || b === null)
    return Object.is(a, b) ? '' : `${at}: ${String(a)} vs ${String(b)}`
  const o = b as object
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(o)) return `${at}: prototypes differ`
  if (a instanceof Uint8Array) {
    const u = o as Uint8Array
    const same = a.buffer === u.buffer && a.byteOffset === u.byteOffset && a.length === u.length
    return same ? '' : `${at}: different views`
  }
  if (a instanceof Pid || a instanceof Ref) {
    const p = o as Pid | Ref
    return a.node === p.node && a.id === p.id ? '' : `${at}: ${a} vs ${p}`
  }
  const ka = Reflect.ownKeys(a)
  const kb = Reflect.ownKeys(o)
  if (ka.join('\u0000') !== kb.join('\u0000')) return `${at}: keys ${String(ka)} vs ${String(kb)}`
  for (const k of ka) {
    if (k === 'length' && Array.isArray(a)) continue
    const d = differ(
      (a as Record<string | symbol, unknown>)[k],
      (o as Record<string | symbol, unknown>)[k],
      `${at}.${String(k)}`,
    )
    if (d !== '') return d
  }
  return ''
}

/** Strings the reader leaves to msgpackr: not valid UTF-8 once written (a lone surrogate) or starting with a BOM. */
const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
const leftString = (s: string): boolean => lone.test(s) || s.startsWith('\ufeff')
function hasLeftString(v: unknown): boolean {
  if (typeof v === 'string') return leftString(v)
  if (Array.isArray(v)) return v.some(hasLeftString)
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
    return Object.entries(v).some(([k, x]) => leftString(k) || hasLeftString(x))
  return false
}

test('encoded values read as msgpackr reads them, from a Uint8Array and at an offset in a Buffer', (t) => {
  let read = 0
  fc.assert(
    fc.property(value, (v) => {
      const bytes = encode(v)
      const mine = readMessage(bytes, 0, bytes.length)
      if (mine === UNREAD) {
        if (!hasLeftString(v)) throw new Error(`left to msgpackr: ${bytes.length} bytes`)
        return true
      }
      read++
      const d = differ(mine, unpack(bytes))
      if (d !== '') throw new Error(d)
      const buf = Buffer.alloc(bytes.length + 9, 0xc1)
      buf.set(bytes, 5)
      const again = readMessage(buf, 5, 5 + bytes.length)
      const d2 = differ(again, unpack(buf, 5, 5 + bytes.length))
      if (d2 !== '') throw new Error(`in a Buffer: ${d2}`)
      return true
    }),
    { numRuns: 3000 },
  )
  // The rest hold a lone surrogate (checked above); the generator makes many.
  t.true(read > 1500, `read ${read} of 3000`)
})

/** A byte string made from an encoded value: truncated, a byte changed, bytes inserted or appended. */
const mutated = fc
  .tuple(value, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('cut', 'set', 'insert', 'append'))
  .map(([v, at, byte, how]) => {
    const b = [...encode(v)]
    const i = at % b.length
    if (how === 'cut') b.length = i
    else if (how === 'set') b[i] = byte
    else if (how === 'insert') b.splice(i, 0, byte)
    else b.push(byte)
    return Uint8Array.from(b)
  })

test('random and mutated bytes never make it throw; what it reads, msgpackr reads the same', (t) => {
  fc.assert(
    fc.property(fc.oneof(mutated, fc.uint8Array({ maxLength: 64 })), (bytes) => {
      const mine = readMessage(bytes, 0, bytes.length)
      if (mine === UNREAD) return true
      const d = differ(mine, unpack(bytes))
      if (d !== '') throw new Error(d)
      return true
    }),
    { numRuns: 5000 },
  )
  t.pass()
})

test('it never reads outside [start, end)', (t) => {
  const bytes = encode({ seq: 1, kind: 'tick', tags: ['a', 'b'] })
  for (let end = 1; end < bytes.length; end++) t.is(readMessage(bytes, 0, end), UNREAD)
  const padded = Buffer.concat([Buffer.from([0x92]), bytes, Buffer.from([0x01])])
  t.deepEqual(readMessage(padded, 1, 1 + bytes.length), { seq: 1, kind: 'tick', tags: ['a', 'b'] })
  t.is(readMessage(bytes, 0, bytes.length + 1), UNREAD)
  t.is(readMessage(bytes, -1, bytes.length), UNREAD)
  t.is(readMessage(bytes, 3, 3), UNREAD)
})

test('a __proto__ key becomes __proto_ as in msgpackr, and never sets a prototype', (t) => {
  const v = JSON.parse('{"a": 1, "__proto__": {"polluted": true}, "b": 2}')
  const bytes = encode(v)
  for (let i = 0; i < 10; i++) {
    const mine = readMessage(bytes, 0, bytes.length) as Record<string, unknown>
    t.is(differ(mine, unpack(bytes)), '')
    t.is(Object.getPrototypeOf(mine), Object.prototype)
    t.deepEqual(Object.keys(mine), ['a', '__proto_', 'b'])
  }
  t.is(({} as Record<string, unknown>).polluted, undefined)
})

test('non-ASCII strings read; lone surrogates and a leading BOM are left to msgpackr', (t) => {
  // A real U+FFFD is valid UTF-8 (the reader checks strings that decode to one with the fatal TextDecoder).
  const valid = [
    'héllo',
    'é'.repeat(20),
    '€'.repeat(30),
    '😀'.repeat(40),
    'x\ufeff',
    `a${'ü'.repeat(100)}`,
    'a\ufffdb',
    `${'x'.repeat(30)}\ufffd`,
  ]
  for (const s of valid) {
    const bytes = encode({ [s]: s })
    t.not(readMessage(bytes, 0, bytes.length), UNREAD, s)
    t.is(differ(readMessage(bytes, 0, bytes.length), unpack(bytes)), '', s)
  }
  for (const s of [
    '\ud800',
    `${'a'.repeat(20)}\udc00`,
    `${'é'.repeat(50)}\ud800`,
    '\ufeff',
    `\ufeff${'x'.repeat(80)}`,
  ]) {
    const bytes = encode([s])
    t.is(readMessage(bytes, 0, bytes.length), UNREAD, JSON.stringify(s))
    t.deepEqual(decode(bytes), unpack(bytes))
  }
  // Bytes that are not UTF-8 at all (a stray continuation byte, an overlong form).
  for (const raw of [
    [0xa1, 0x80],
    [0xa2, 0xc0, 0x80],
    [0xd9, 20, ...new Array(19).fill(0x61), 0xff],
  ]) {
    const bytes = Uint8Array.from(raw)
    t.is(readMessage(bytes, 0, bytes.length), UNREAD)
    t.deepEqual(decode(bytes), unpack(bytes))
  }
})

test('maps of 16 and more keys, past the shaped size, and many distinct shapes', (t) => {
  for (const n of [15, 16, 17, 32, 33, 100, 300]) {
    const o = Object.fromEntries(Array.from({ length: n }, (_, i) => [`key${i}`, i]))
    const bytes = encode(o)
    for (let i = 0; i < 6; i++) t.is(differ(readMessage(bytes, 0, bytes.length), unpack(bytes)), '', `${n} keys`)
  }
  // More shapes than the cache keeps (4096 keys across all): the later ones are built by assignment.
  for (let i = 0; i < 6000; i++) {
    const o = { [`k${i}`]: i, x: 'y', [`z${i % 7}`]: [i] }
    const bytes = encode(o)
    const d = differ(readMessage(bytes, 0, bytes.length), unpack(bytes))
    if (d !== '') t.fail(`shape ${i}: ${d}`)
  }
  // A shape whose key sequence ran out of room midway still gives every key, in order.
  const o = { x: 'y', a: 1, b: 2, c: 3 }
  const bytes = encode(o)
  t.deepEqual(Object.keys(readMessage(bytes, 0, bytes.length) as object), ['x', 'a', 'b', 'c'])
  // The same key twice: the last value, at the first place (as msgpackr's assignment gives).
  const twice = Uint8Array.from([0x83, 0xa1, 0x61, 1, 0xa1, 0x62, 2, 0xa1, 0x61, 3])
  for (let i = 0; i < 6; i++) t.is(differ(readMessage(twice, 0, twice.length), unpack(twice)), '')
})

test('nesting to the bound reads; deeper is left to msgpackr', (t) => {
  const nest = (n: number): unknown => (n === 0 ? 1 : n % 2 ? [nest(n - 1)] : { a: nest(n - 1) })
  const at = encode(nest(64))
  t.is(differ(readMessage(at, 0, at.length), unpack(at)), '')
  const over = encode(nest(65))
  t.is(readMessage(over, 0, over.length), UNREAD)
  t.deepEqual(decode(over), nest(65))
})

test('trailing bytes, truncation, float32, other extensions and big int64s are left to msgpackr', (t) => {
  const bytes = encode({ a: [1, 2] })
  const trailing = Uint8Array.from([...bytes, 0])
  t.is(readMessage(trailing, 0, trailing.length), UNREAD)
  t.throws(() => decode(trailing), { message: /end of buffer not reached/ })
  t.throws(() => decode(bytes.subarray(0, bytes.length - 1)))
  const left = [
    [0xca, 0x3f, 0xc0, 0, 0], // float32 1.5
    [0xc1],
    [0xd4, 0x7f, 0], // ext 127 (bfly's -0 marker type)
    [0xcf, 0, 0x20, 0, 0, 0, 0, 0, 1], // uint64 2^53 + 1: a BigInt
    [0xd3, 0xff, 0xdf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // int64 -2^53 - 1
    [0x81, 0x01, 0x02], // a non-string key
  ]
  for (const raw of left) {
    const b = Uint8Array.from(raw)
    t.is(readMessage(b, 0, b.length), UNREAD, raw.join(' '))
  }
  t.is(decode(Uint8Array.from(left[3] as number[])), 2n ** 53n + 1n)
  t.is(decode(Uint8Array.from(left[4] as number[])), -(2n ** 53n) - 1n)
  t.deepEqual(decode(Uint8Array.from(left[5] as number[])), { 1: 2 })
  const numbers: [number[], number][] = [
    [[0xcf, 0, 0x20, 0, 0, 0, 0, 0, 0], 2 ** 53],
    [[0xd3, 0xff, 0xe0, 0, 0, 0, 0, 0, 0], -(2 ** 53)],
    [[0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], -1],
    [[0xd1, 0x80, 0], -32768],
    [[0xcb, 0x80, 0, 0, 0, 0, 0, 0, 0], -0],
  ]
  for (const [raw, n] of numbers) t.true(Object.is(readMessage(Uint8Array.from(raw), 0, raw.length), n), raw.join(' '))
})

test('decode and decodeRange give the reader’s values and msgpackr’s for the rest', (t) => {
  const v = { seq: 7, kind: 'tick', value: 10.5, tags: ['a', 'b'], from: new Pid('n@h', 3), at: new Date(5) }
  t.deepEqual(decode(encode(v)), v)
  const item = encode({ seq: 7, kind: 'tick', tags: ['a', 'b'], bin: Buffer.from([1, 2]) })
  const batch = Buffer.concat([Buffer.from([9, 9]), item])
  const got = decodeRange(batch, 2, batch.length) as { bin: Uint8Array }
  t.true(Buffer.isBuffer(got.bin))
  t.is(got.bin.buffer, batch.buffer)
  t.is(differ(got, unpack(batch, 2, batch.length)), '')
})

test('without code generation (node --disallow-code-generation-from-strings) objects are built by assignment', (t) => {
  const script = `
    import { encode } from './src/kernel/codec.ts'
    import { readMessage } from './src/kernel/reader.ts'
    const b = encode({ seq: 1, kind: 'tick', tags: ['a'] })
    const out = []
    for (let i = 0; i < 10; i++) out.push(JSON.stringify(readMessage(b, 0, b.length)))
    console.log(JSON.stringify(out))`
  const r = spawnSync(
    process.execPath,
    ['--disallow-code-generation-from-strings', '--import=tsx', '--input-type=module', '-e', script],
    { encoding: 'utf8', cwd: fileURLToPath(new URL('..', import.meta.url)) },
  )
  t.is(r.status, 0, r.stderr)
  t.deepEqual(JSON.parse(r.stdout), new Array(10).fill('{"seq":1,"kind":"tick","tags":["a"]}'))
})

test('a bin in a plain Uint8Array that is itself a view is a Uint8Array over the same bytes', (t) => {
  const item = encode([Buffer.from([1, 2, 3]), Buffer.alloc(0)])
  const whole = new Uint8Array(item.length + 13).fill(0xc1)
  whole.set(item, 7)
  // A view at an offset of its buffer, as a drained batch's slab may be: the bin's view must add both offsets.
  const view = whole.subarray(5)
  const got = readMessage(view, 2, 2 + item.length) as Uint8Array[]
  t.deepEqual(got, unpack(view, 2, 2 + item.length))
  const [bin, empty] = got as [Uint8Array, Uint8Array]
  t.is(Object.getPrototypeOf(bin), Uint8Array.prototype)
  t.is(bin.buffer, whole.buffer)
  t.is(bin.byteOffset, 7 + item.indexOf(1))
  t.deepEqual([...bin], [1, 2, 3])
  t.is(empty.length, 0)
  t.is(Object.getPrototypeOf(readMessage(Buffer.from(item), 0, item.length) as unknown[]), Array.prototype)
  t.true(Buffer.isBuffer((readMessage(Buffer.from(item), 0, item.length) as Uint8Array[])[0]))
})
