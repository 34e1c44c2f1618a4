// Mutation fuzzing of the JS codec's `decode` (the bytes a peer's message
// carries), the TS twin of tools/fuzz/mutate.rs: seeds from tools/fuzz/corpus/codec/
// and from `encode` of every portable kind, byte-level mutations, for a
// budget. Properties: decode returns or throws an Error (never anything
// else, never a hang); what it returns holds only well-formed pids and
// refs, and encodes again (or is refused with NotPortableError).
//   tsx tools/fuzz/codec.ts [seconds]   (npm run fuzz; __test__/fuzz-codec.test.ts runs it briefly)
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { decode, encode } from '../../src/kernel/codec.ts'
import { NotPortableError } from '../../src/kernel/errors.ts'
import { Pid, Ref } from '../../src/kernel/values.ts'

const ROOT = fileURLToPath(new URL('.', import.meta.url))
const CORPUS = `${ROOT}corpus/codec/`

function seeds(): Uint8Array[] {
  const values: unknown[] = [
    null,
    true,
    -0,
    1.5,
    2 ** 53,
    'text',
    new Uint8Array([1, 2, 3]),
    [1, [2, 'three'], { four: 4 }],
    new Pid('a@127.0.0.1', 7),
    new Ref('b@127.0.0.1', 9),
    Symbol.for('bfly.sys'),
    Object.assign(new Error('boom'), { name: 'TypeError' }),
    new Map<unknown, unknown>([
      ['k', 1],
      [2, [3]],
    ]),
    new Set([1, 'two']),
    123456789012345678901234567890n,
    new Date(0),
    { nested: { deep: [new Pid('c@h', 1), new Map([[new Ref('c@h', 2), new Set([-0])]])] } },
  ]
  const out = values.map((v) => encode(v))
  for (const f of readdirSync(CORPUS)) out.push(new Uint8Array(readFileSync(CORPUS + f)))
  return out
}

let state = 0x9e3779b9
function rnd(n: number): number {
  // xorshift32: repeatable from the printed seed.
  state ^= state << 13
  state ^= state >>> 17
  state ^= state << 5
  return n <= 0 ? 0 : (state >>> 0) % n
}

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0xc0, 0xc1, 0xc7, 0xd4, 0xd9, 0xdc, 0xdd, 0xde, 0xdf]

function mutate(a: Uint8Array, b: Uint8Array): Uint8Array {
  let v = Array.from(a)
  for (let k = 0, edits = 1 + rnd(4); k < edits; k++) {
    const n = v.length
    const i = rnd(n)
    switch (rnd(7)) {
      case 0:
        if (n > 0) v[i] ^= 1 << rnd(8)
        break
      case 1:
        if (n > 0) v[i] = INTERESTING[rnd(INTERESTING.length)]
        break
      case 2:
        v.splice(rnd(n + 1), 0, rnd(256))
        break
      case 3:
        v.splice(i, 1 + rnd(8))
        break
      case 4:
        v.splice(rnd(n + 1), 0, ...v.slice(i, i + 1 + rnd(16)))
        break
      case 5:
        v = v.slice(0, rnd(n + 1)).concat(Array.from(b.subarray(rnd(b.length))))
        break
      default:
        v.length = rnd(n + 1)
    }
  }
  return Uint8Array.from(v.slice(0, 4096))
}

/** Throws when `v` holds a malformed pid or ref. */
function wellFormed(v: unknown, depth = 0): void {
  if (depth > 200) return
  if (v instanceof Pid || v instanceof Ref) {
    if (typeof v.node !== 'string' || !Number.isSafeInteger(v.id)) throw new Error(`malformed ${v.constructor.name}`)
  } else if (Array.isArray(v) || v instanceof Set) for (const x of v) wellFormed(x, depth + 1)
  else if (v instanceof Map)
    for (const [k, x] of v) {
      wellFormed(k, depth + 1)
      wellFormed(x, depth + 1)
    }
  else if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof Date))
    for (const x of Object.values(v)) wellFormed(x, depth + 1)
}

/** One input: undefined when it held, else what broke. */
function check(input: Uint8Array): string | undefined {
  let v: unknown
  try {
    v = decode(input)
  } catch (e) {
    return e instanceof Error ? undefined : `decode threw a non-Error: ${String(e)}`
  }
  try {
    wellFormed(v)
  } catch (e) {
    return (e as Error).message
  }
  try {
    encode(v)
  } catch (e) {
    // undefined (msgpack's fixext of nothing) or a non-portable value is refused clearly.
    if (!(e instanceof NotPortableError)) return `re-encode threw ${(e as Error).name}: ${(e as Error).message}`
  }
  return undefined
}

/** Runs for `seconds` (or `cases` executions); returns executions and failures. */
export function fuzzCodec(opts: { seconds?: number; cases?: number; seed?: number }): {
  execs: number
  failures: { input: string; why: string }[]
} {
  state = (opts.seed ?? Date.now() & 0x7fffffff) | 1
  const seed = state
  const pool = seeds()
  const n0 = pool.length
  const end = opts.seconds === undefined ? Number.POSITIVE_INFINITY : Date.now() + opts.seconds * 1000
  const cases = opts.cases ?? Number.POSITIVE_INFINITY
  const failures: { input: string; why: string }[] = []
  const t0 = performance.now()
  let execs = 0
  while (execs < cases && (execs & 255 || Date.now() < end)) {
    const input = execs < n0 ? pool[execs] : mutate(pool[rnd(pool.length)], pool[rnd(pool.length)])
    execs++
    const why = check(input)
    if (why !== undefined) failures.push({ input: Buffer.from(input).toString('hex'), why })
    else if (execs > n0 && pool.length < 4096 && rnd(8) === 0) pool.push(input)
  }
  const s = (performance.now() - t0) / 1000
  console.log(
    `fuzz codec: ${execs} executions in ${s.toFixed(1)} s (${Math.round(execs / s)}/s), seed ${seed}, ${n0} seeds, ${failures.length} failures`,
  )
  return { execs, failures }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = fuzzCodec({ seconds: Number(process.argv[2] ?? 30) })
  if (r.failures.length > 0) {
    mkdirSync(`${ROOT}crashes/codec`, { recursive: true })
    for (const [i, f] of r.failures.slice(0, 20).entries())
      writeFileSync(`${ROOT}crashes/codec/fail-${i}.hex`, `${f.input}\n${f.why}\n`)
    console.error(r.failures.slice(0, 5))
    process.exit(1)
  }
}
