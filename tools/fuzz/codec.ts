// Mutation fuzzing of the JS codec's `decode` (the bytes a peer's message
// carries), the TS twin of tools/fuzz/mutate.rs: seeds from tools/fuzz/corpus/codec/
// and from `encode` of every portable kind, byte-level mutations (mutator.ts), for a
// budget. Properties: decode returns or throws an Error (never anything
// else, never a hang); what it returns holds only well-formed pids and
// refs, and encodes again (or is refused with NotPortableError); and what
// the Rust check a node makes on arrival accepts (envelope::term) decodes
// and encodes again to bytes it accepts.
//   tsx tools/fuzz/codec.ts [seconds]   (npm run fuzz; __test__/fuzz-codec.test.ts runs it briefly)
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { decode, encode } from '../../src/kernel/codec.ts'
import { NotPortableError } from '../../src/kernel/errors.ts'
import { Pid, Ref } from '../../src/kernel/values.ts'
import { native } from '../../src/native/addon.ts'
import { type Failure, failWith, Mutator } from './shared.ts'

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
    new Date(Number.NaN),
  ]
  const out = values.map((v) => encode(v))
  // At the depth bound and one past it (arrays of one element around nil).
  for (const n of [511, 512, 513]) out.push(Uint8Array.from([...new Array(n).fill(0x91), 0xc0]))
  for (const f of readdirSync(CORPUS)) out.push(new Uint8Array(readFileSync(CORPUS + f)))
  return out
}

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0xc0, 0xc1, 0xc7, 0xd4, 0xd9, 0xdc, 0xdd, 0xde, 0xdf]

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

/** One input: undefined when it held, else what broke. Bytes that pass
 * the check a node makes on arrival (native termCheck) must decode, hold
 * only well-formed pids and refs, and encode again to bytes that pass it. */
function check(input: Uint8Array): string | undefined {
  const accepted = native.termCheck(input) === null
  let v: unknown
  try {
    v = decode(input)
  } catch (e) {
    if (accepted) return `accepted on arrival, but decode threw ${String(e)}`
    return e instanceof Error ? undefined : `decode threw a non-Error: ${String(e)}`
  }
  try {
    wellFormed(v)
  } catch (e) {
    return (e as Error).message
  }
  try {
    const again = encode(v)
    if (accepted && native.termCheck(again) !== null)
      return `accepted on arrival, but its re-encoding is refused: ${native.termCheck(again)}`
  } catch (e) {
    // A foreign int64 beyond 2^53 decodes to a BigInt, one level deeper than the integer: at the bound, that
    // one re-encoding is refused (clearly), not the value as it arrived.
    const deeper = e instanceof NotPortableError && /nested deeper than/.test(e.message)
    if (accepted && !deeper)
      return `accepted on arrival, but re-encode threw ${(e as Error).name}: ${(e as Error).message}`
    // undefined (msgpack's fixext of nothing) or a non-portable value is refused clearly.
    if (!(e instanceof NotPortableError)) return `re-encode threw ${(e as Error).name}: ${(e as Error).message}`
  }
  return undefined
}

/** Runs for `seconds` (or `cases` executions); returns executions and failures. */
export function fuzzCodec(opts: { seconds?: number; cases?: number; seed?: number }): {
  execs: number
  failures: Failure[]
} {
  const m = new Mutator(opts.seed)
  const pool = seeds()
  const n0 = pool.length
  const end = opts.seconds === undefined ? Number.POSITIVE_INFINITY : Date.now() + opts.seconds * 1000
  const cases = opts.cases ?? Number.POSITIVE_INFINITY
  const failures: Failure[] = []
  const t0 = performance.now()
  let execs = 0
  while (execs < cases && (execs & 255 || Date.now() < end)) {
    const input =
      execs < n0 ? pool[execs] : m.mutate(pool[m.rnd(pool.length)], pool[m.rnd(pool.length)], INTERESTING, 4096)
    execs++
    const why = check(input)
    if (why !== undefined) failures.push({ input: Buffer.from(input).toString('hex'), why })
    else if (execs > n0 && pool.length < 4096 && m.rnd(8) === 0) pool.push(input)
  }
  const s = (performance.now() - t0) / 1000
  console.log(
    `fuzz codec: ${execs} executions in ${s.toFixed(1)} s (${Math.round(execs / s)}/s), seed ${m.seed}, ${n0} seeds, ${failures.length} failures`,
  )
  return { execs, failures }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = fuzzCodec({ seconds: Number(process.argv[2] ?? 30) })
  if (r.failures.length > 0) failWith('codec', r.failures)
}
