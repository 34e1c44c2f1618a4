// The portable codec (docs/PROTOCOL.md, section 1): round trips, refusals
// with paths, interoperability with another MessagePack library, and
// arbitrary bytes never crashing the decoder.
import { ExtData, decode as otherDecode, encode as otherEncode } from '@msgpack/msgpack'
import test from 'ava'
import fc from 'fast-check'
import { decode, encode, NotPortableError, Pid, Ref } from '../index.ts'
import { MAX_BIGINT, MAX_DEPTH } from '../src/kernel/codec.ts'
import { native } from '../src/native/index.ts'

const portable = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.constantFrom(-0, 0, Number.NaN, 2 ** 53, -(2 ** 40)),
    fc.string(),
    fc.bigInt(),
    fc.uint8Array({ maxLength: 8 }),
    fc.date({ noInvalidDate: true }),
    fc.string({ maxLength: 4 }).map((k) => Symbol.for(k)),
    fc.nat().map((id) => new Pid('n@h', id)),
    fc.nat().map((id) => new Ref('n@h', id)),
  ),
  value: fc.oneof(
    { depthSize: 'small' },
    tie('leaf'),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 4 }), tie('value'), { maxKeys: 4 }),
    fc.array(fc.tuple(tie('leaf'), tie('value')), { maxLength: 3 }).map((e) => new Map(e)),
    fc.array(tie('leaf'), { maxLength: 3 }).map((e) => new Set(e)),
  ),
})).value

/** Equality as the codec promises it: Object.is on numbers, pids and refs
 * by value, Maps and Sets in order, Dates by time, bytes by content. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b)
  if (a instanceof Pid || a instanceof Ref) return a.equals(b)
  if (a instanceof Date) return b instanceof Date && a.getTime() === b.getTime()
  if (a instanceof Uint8Array) return b instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b))
  if (a instanceof Map) return b instanceof Map && same([...a], [...b])
  if (a instanceof Set) return b instanceof Set && same([...a], [...b])
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]))
  if (a !== null && typeof a === 'object') {
    if (b === null || typeof b !== 'object') return false
    const ka = Object.keys(a)
    const kb = Object.keys(b)
    return (
      ka.length === kb.length &&
      ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    )
  }
  return a === b
}

test('every portable value round-trips equal, and passes the check a node makes on arrival', (t) => {
  fc.assert(
    fc.property(portable, (v) => {
      const bytes = encode(v)
      return same(decode(bytes), v) && native.termCheck(bytes) === null
    }),
    { numRuns: 2000 },
  )
  t.is(native.termCheck(encode([new Date(Number.NaN), new Date(-1e13), new Date(1.5e12 + 1)])), null)
})

test('a non-portable value is refused with the path of the offending part', (t) => {
  const cases: [unknown, string][] = [
    [{ body: [1, 2, { fn: () => 1 }] }, 'msg.body[2].fn'],
    [{ a: undefined }, 'msg.a'],
    [[Symbol('local')], 'msg[0]'],
    [{ x: new (class Point {})() }, 'msg.x'],
    [new Map([[1, { f: () => 0 }]]), 'msg.get(0).f'],
  ]
  for (const [v, path] of cases) {
    const e = t.throws(() => encode(v, 'msg'), { instanceOf: NotPortableError })
    t.is(e?.path, path)
  }
  const cyclic: Record<string, unknown> = {}
  cyclic.self = cyclic
  t.throws(() => encode(cyclic), { instanceOf: NotPortableError })
  // A deep value is not a cycle (the fast walk gives up on depth; the checked walk decides).
  let deep: unknown = [1n]
  for (let i = 0; i < 200; i++) deep = { d: [deep] }
  t.deepEqual(decode(encode(deep)), deep)
  const shared = { x: -0 }
  t.deepEqual(
    decode(encode([shared, shared, { shared }])),
    [shared, shared, { shared }],
    'a shared object is not a cycle',
  )
  t.true(Object.is((decode(encode([shared])) as [{ x: number }])[0].x, -0))
})

test('plain values use only standard MessagePack, and extensions are well-formed for any decoder', (t) => {
  const plain = { a: [1, -2, 3.5, 'x', null, true], b: { c: new Uint8Array([1, 2]) } }
  const back = otherDecode(encode(plain)) as typeof plain
  t.deepEqual(back.a, plain.a)
  t.deepEqual([...back.b.c], [1, 2])
  // Another library reads bfly's extensions as opaque extension data whose
  // bytes are one MessagePack value (the payload of docs/PROTOCOL.md).
  const ext = otherDecode(encode([Symbol.for('A'), new Pid('n', 7), 10n ** 20n, 1])) as unknown[]
  t.is(ext.length, 4)
  t.is(ext[3], 1)
  const payload = (x: unknown): [number, unknown] => {
    if (!(x instanceof ExtData) || !(x.data instanceof Uint8Array)) throw new Error('not extension data')
    return [x.type, otherDecode(x.data)]
  }
  t.deepEqual(payload(ext[0]), [3, 'A'])
  t.deepEqual(payload(ext[1]), [1, ['n', 7]])
  t.deepEqual(payload(ext[2]), [7, '100000000000000000000'])
  t.true(Object.is(otherDecode(encode(-0)), -0))
})

test('arbitrary bytes either decode or throw an Error; nothing else happens', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      try {
        decode(b)
      } catch (e) {
        return e instanceof Error
      }
      return true
    }),
    { numRuns: 3000 },
  )
  t.pass()
})

/** `inner` wrapped `n` times by `wrap`. */
function nest(n: number, inner: unknown, wrap: (v: unknown) => unknown): unknown {
  let v = inner
  for (let i = 0; i < n; i++) v = wrap(v)
  return v
}

test('encode refuses a value deeper than a node accepts (MAX_DEPTH); what it writes, a node accepts', (t) => {
  t.is(MAX_DEPTH, 512)
  const fits: unknown[] = [
    nest(MAX_DEPTH, 1, (v) => [v]),
    nest(MAX_DEPTH, 1, (v) => ({ v })),
    nest(MAX_DEPTH / 2, 1, (v) => new Set([v])),
    nest(MAX_DEPTH / 2, 1, (v) => new Map([['k', v]])),
    nest(MAX_DEPTH - 2, new Pid('a@h', 1), (v) => [v]),
    nest(MAX_DEPTH - 1, 10n, (v) => [v]),
    nest(MAX_DEPTH - 2, new Error('deep'), (v) => [v]),
  ]
  for (const v of fits) {
    const bytes = encode(v)
    t.is(native.termCheck(bytes), null)
    t.notThrows(() => decode(bytes))
  }
  const over: unknown[] = [
    nest(MAX_DEPTH + 1, 1, (v) => [v]),
    nest(MAX_DEPTH / 2 + 1, 1, (v) => new Set([v])),
    nest(MAX_DEPTH - 1, new Pid('a@h', 1), (v) => [v]),
    nest(MAX_DEPTH, 10n, (v) => [v]),
    nest(100_000, 1, (v) => [v]),
  ]
  for (const v of over) {
    const e = t.throws(() => encode(v, 'msg'), { instanceOf: NotPortableError })
    t.regex(e?.message ?? '', /nested deeper than 512 levels/)
  }
  // What a peer might send instead: the native check refuses it (the link closes).
  const raw = new Uint8Array(MAX_DEPTH + 2).fill(0x91)
  raw[MAX_DEPTH + 1] = 0xc0
  t.is(native.termCheck(raw), 'value nested deeper than 512 levels')
  t.is(native.termCheck(raw.subarray(1)), null)
})

test('encode refuses a BigInt longer than a node accepts (MAX_BIGINT characters)', (t) => {
  const longest = BigInt(`-${'9'.repeat(MAX_BIGINT - 1)}`)
  t.is(native.termCheck(encode(longest)), null)
  t.is(decode(encode(longest)), longest)
  const e = t.throws(() => encode({ n: longest * 10n }, 'msg'), { instanceOf: NotPortableError })
  t.is(e?.path, 'msg.n')
})

test('a standard int64/uint64 decodes to a Number within ±2^53 and a BigInt beyond, as other MessagePack libraries give it', (t) => {
  const int64 = (n: bigint): Uint8Array => {
    const b = Buffer.alloc(9)
    b[0] = 0xd3
    b.writeBigInt64BE(n, 1)
    return b
  }
  const uint64 = (n: bigint): Uint8Array => {
    const b = Buffer.alloc(9)
    b[0] = 0xcf
    b.writeBigUInt64BE(n, 1)
    return b
  }
  const safe = [0n, 1n, -1n, -(2n ** 40n), 2n ** 40n, 2n ** 53n - 1n, -(2n ** 53n - 1n), 2n ** 53n, -(2n ** 53n)]
  for (const n of safe) {
    t.is(decode(int64(n)), Number(n), `int64 ${n}`)
    if (n >= 0n) t.is(decode(uint64(n)), Number(n), `uint64 ${n}`)
  }
  for (const n of [2n ** 53n + 1n, -(2n ** 53n + 1n), 2n ** 63n - 1n, -(2n ** 63n)])
    t.is(decode(int64(n)), n, `int64 ${n}`)
  for (const n of [2n ** 53n + 1n, 2n ** 64n - 1n]) t.is(decode(uint64(n)), n, `uint64 ${n}`)
  // What @msgpack/msgpack writes for a safe integer beyond 32 bits is such an int64 or uint64.
  t.deepEqual(decode(otherEncode({ at: -(2 ** 40), big: 2 ** 52 + 3 })), { at: -(2 ** 40), big: 2 ** 52 + 3 })
  t.deepEqual(decode(otherEncode([2n ** 60n, -5n], { useBigInt64: true })), [2n ** 60n, -5])
})

test("bfly's own bigints stay bigints, small or large, and decode to BigInt elsewhere only through extension 7", (t) => {
  for (const n of [0n, 5n, -5n, 2n ** 40n, 2n ** 64n + 1n, -(10n ** 30n)]) {
    const bytes = encode({ n })
    const back = decode(bytes) as { n: unknown }
    t.is(typeof back.n, 'bigint', `${n}`)
    t.is(back.n, n)
    // Another library sees extension 7 with the decimal text inside (docs/PROTOCOL.md).
    const other = otherDecode(bytes) as { n: ExtData }
    t.is(other.n.type, 7)
    t.is(otherDecode(other.n.data as Uint8Array), n.toString())
  }
})
