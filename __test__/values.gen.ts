// Generated plain values (what src/kernel/writer.ts writes and
// src/kernel/reader.ts reads): numbers, strings of every UTF-8 width and
// lone surrogates, bytes (Uint8Array and Buffer), pids and refs, arrays and
// objects, with lengths on each side of every header boundary.
import fc from 'fast-check'
import { Pid, Ref } from '../index.ts'

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

/** Plain values: what the writer writes, around every header boundary. */
export const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
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
