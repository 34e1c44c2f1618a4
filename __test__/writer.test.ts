// The hand-written MessagePack writer (src/kernel/writer.ts) against the
// generic path (msgpackr with codec.ts's boxes): byte for byte the same on
// generated values around every header boundary, and what it leaves to the
// generic path still encodes (or is refused) as before.
import test from 'ava'
import fc from 'fast-check'
import { decode, encode, NotPortableError } from '../index.ts'
import { encodeBoxed, encodeTransient } from '../src/kernel/codec.ts'
import { blockView, PAST_LIMIT, writeInto, writeMessage } from '../src/kernel/writer.ts'
import { value } from './values.gen.ts'

/** The writer's bytes for `v` (a copy), or undefined when it leaves `v` to the generic path. */
function written(v: unknown): Uint8Array | undefined {
  const n = writeMessage(v)
  return n < 0 ? undefined : blockView(n).slice()
}

test('the writer writes what the generic path writes, byte for byte', (t) => {
  fc.assert(
    fc.property(value, (v) => {
      const mine = written(v)
      if (mine === undefined) return false
      return Buffer.compare(Buffer.from(mine), Buffer.from(encodeBoxed(v, 'value'))) === 0
    }),
    { numRuns: 3000 },
  )
  t.pass()
})

test('long arrays and objects take the 16- and 32-bit headers', (t) => {
  for (const n of [15, 16, 65535, 65536]) {
    const a = Array.from({ length: n }, (_, i) => i)
    t.deepEqual(Buffer.from(written(a) ?? []), Buffer.from(encodeBoxed(a, 'value')), `array of ${n}`)
  }
  const o = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, i]))
  t.deepEqual(Buffer.from(written(o) ?? []), Buffer.from(encodeBoxed(o, 'value')))
})

test('values it leaves to the generic path still encode, or are refused with their path', (t) => {
  const deep: unknown[] = []
  let inner = deep
  for (let i = 0; i < 100; i++) {
    const next: unknown[] = []
    inner.push(next)
    inner = next
  }
  const left = [
    new Map([[1, 2]]),
    new Set([1]),
    new Error('x'),
    new Date(0),
    10n,
    Symbol.for('s'),
    (() => {
      const a = [1, 2, 3]
      delete a[1]
      return a
    })(),
    Object.create(null),
    deep,
    { a: [new Map()] },
  ]
  for (const v of left) {
    t.is(written(v), undefined)
    t.deepEqual(decode(encode(v)), decode(encodeBoxed(v, 'value')))
  }
  t.is(written({ a: [1, undefined] }), undefined)
  const e = t.throws(() => encode({ a: [1, () => 0] }), { instanceOf: NotPortableError })
  t.is(e?.path, 'value.a[1]')
})

test('encode copies; encodeTransient is overwritten by the next encode', (t) => {
  const a = encode('first')
  const view = encodeTransient('first')
  encode('other')
  t.is(decode(a), 'first')
  t.is(decode(view), 'other')
})

test('a getter that encodes while the writer runs gets its own bytes', (t) => {
  let inside: Uint8Array | undefined
  const v = {
    get x() {
      inside = encode(['inner', 1])
      return 'outer'
    },
  }
  t.deepEqual(decode(encode(v)), { x: 'outer' })
  t.deepEqual(decode(inside as Uint8Array), ['inner', 1])
})

test('writeInto writes what writeMessage writes, never at or past its limit (PAST_LIMIT), and leaves the block alone', (t) => {
  fc.assert(
    fc.property(value, fc.nat(64), (v, at) => {
      const mine = written(v)
      if (mine === undefined) return false
      const before = blockView(mine.length).slice()
      // Room for what it reserves before writing (a string's 3 bytes per UTF-16 unit, 9 for a number).
      const into = new Uint8Array(at + 3 * mine.length + 16).fill(0xee)
      const view = new DataView(into.buffer)
      const end = writeInto(v, into, view, at, into.length)
      const same =
        end === at + mine.length && Buffer.compare(Buffer.from(into.subarray(at, end)), Buffer.from(mine)) === 0
      // One byte short: it gives up (PAST_LIMIT), and wrote nothing from its limit on.
      into.fill(0xee)
      const short = writeInto(v, into, view, at, at + mine.length - 1)
      const untouched = into.subarray(at + mine.length - 1).every((b) => b === 0xee)
      const block = Buffer.compare(Buffer.from(blockView(mine.length)), Buffer.from(before)) === 0
      return same && short === PAST_LIMIT && untouched && block
    }),
    { numRuns: 2000 },
  )
  t.pass()
})

test('writeInto gives up when a getter inside the value writes, and that write gets its own bytes', (t) => {
  const into = new Uint8Array(256)
  let inside: Uint8Array | undefined
  const v = {
    get x() {
      inside = encode(['inner', 1])
      return 'outer'
    },
  }
  t.is(writeInto(v, into, new DataView(into.buffer), 0, 256), -1)
  t.deepEqual(decode(inside as Uint8Array), ['inner', 1])
  t.deepEqual(decode(encode(v)), { x: 'outer' })
})
