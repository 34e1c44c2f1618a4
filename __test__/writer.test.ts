// The hand-written MessagePack writer (src/kernel/writer.ts) against the
// generic path (msgpackr with codec.ts's boxes): byte for byte the same on
// generated values around every header boundary, and what it leaves to the
// generic path still encodes (or is refused) as before.
import test from 'ava'
import fc from 'fast-check'
import { decode, encode, NotPortableError, Pid, Ref } from '../index.ts'
import { encodeBoxed, encodeTransient } from '../src/kernel/codec.ts'
import { blockView, writeMessage } from '../src/kernel/writer.ts'

/** The writer's bytes for `v` (a copy), or undefined when it leaves `v` to the generic path. */
function written(v: unknown): Uint8Array | undefined {
  const n = writeMessage(v)
  return n < 0 ? undefined : blockView(n).slice()
}

/** Lengths on each side of the str/bin/array/map header boundaries. */
const edges = [0, 1, 15, 16, 31, 32, 63, 64, 255, 256, 65535, 65536]
const length = fc.oneof(fc.nat({ max: 40 }), fc.constantFrom(...edges))

/** Code units that exercise every UTF-8 width and lone surrogates. */
const unit = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }),
  fc.integer({ min: 0x80, max: 0x7ff }),
  fc.integer({ min: 0x800, max: 0xd7ff }),
  fc.integer({ min: 0xd800, max: 0xdfff }),
  fc.integer({ min: 0xe000, max: 0xffff }),
)
const text = fc.oneof(
  fc.string({ maxLength: 70 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.array(unit, { maxLength: 80 }).map((u) => String.fromCharCode(...u)),
  fc
    .tuple(fc.constantFrom(...edges, 70_000), fc.constantFrom('a', 'é', '€', '😀', '\ud800'))
    .map(([n, c]) => c.repeat(Math.max(0, Math.floor(n / c.length)))),
)
const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(
    0,
    -0,
    127,
    128,
    255,
    256,
    65535,
    65536,
    2 ** 32 - 1,
    2 ** 32,
    -32,
    -33,
    -128,
    -129,
    -32768,
    -32769,
    -(2 ** 31),
    -(2 ** 31) - 1,
    2 ** 53,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
  ),
)
const ids = fc.oneof(fc.nat(), fc.constantFrom(0, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 40))
const node = fc.constantFrom('n@h', 'a-rather-long-node-name@some.host.example.org', `${'x'.repeat(40)}@h`)

const value = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.constant(null),
    fc.boolean(),
    number,
    text,
    length.map((n) => new Uint8Array(n).map((_, i) => i * 7)),
    length.map((n) => Buffer.alloc(n, 0xa5)),
    fc.tuple(node, ids).map(([n, id]) => new Pid(n, id)),
    fc.tuple(node, ids).map(([n, id]) => new Ref(n, id)),
  ),
  value: fc.oneof(
    { depthSize: 'small' },
    tie('leaf'),
    fc.array(tie('value'), { maxLength: 20 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 20, noNullPrototype: true }),
  ),
})).value

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
