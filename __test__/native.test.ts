// The fast native calls take their numbers from an argument block, so their
// declarations in bindings/binding.d.ts have no such parameters and no type
// checks them. src/native/fast.ts gives each one typed, named parameters;
// these tests hold the two sides to one another: every Rust function that
// reads the block names its slots in one statement (`let [a, b] = slots();`),
// and its wrapper takes exactly those names, in that order, then the
// function's own parameters.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'ava'
import { native } from '../src/native/index.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BINDING = join(ROOT, 'crates/binding/src')

const camel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())

interface RustFast {
  slots: string[]
  params: string[]
}

/** The `#[napi]` functions of the binding that read the argument block. */
function rustFastCalls(): Map<string, RustFast> {
  const out = new Map<string, RustFast>()
  for (const file of readdirSync(BINDING).filter((f) => f.endsWith('.rs'))) {
    const src = readFileSync(join(BINDING, file), 'utf8')
    // A function: its attribute line, name, parameters, and the start of its body.
    const fns = /(#\[napi[^\]]*\]\s*)?pub(?:\(crate\))? fn (\w+)(?:<[^>]*>)?\(([^)]*)\)[^{]*\{\s*([^;{}]*;)?/g
    for (const m of src.matchAll(fns)) {
      const [, napi, name, params, first = ''] = m
      const slots = /^let \[([\w\s,]*)\] = slots\(\);$/.exec(first.trim())
      if (slots === null) continue
      if (napi === undefined) throw new Error(`${file}: ${name} reads slots but is not a #[napi] function`)
      out.set(camel(name), {
        slots: slots[1].split(',').map((s) => camel(s.trim())),
        params: params
          .split(',')
          .map((p) => p.trim())
          .filter((p) => p !== '' && !/:\s*Env$/.test(p))
          .map((p) =>
            camel(
              p
                .split(':')[0]
                .replace(/^mut\s+/, '')
                .trim(),
            ),
          ),
      })
    }
    // The block is read through slots() only, and only as a function's first statement.
    const reads = [...src.matchAll(/slots\(\)/g)].length
    const firsts = [...src.matchAll(/\{\s*let \[[\w\s,]*\] = slots\(\);/g)].length
    const defined = file === 'lib.rs' ? 1 : 0
    if (reads !== firsts + defined)
      throw new Error(`${file}: slots() is read somewhere other than a function's first statement`)
    if (file !== 'lib.rs' && /\barg\(/.test(src)) throw new Error(`${file}: reads arg() directly; use slots()`)
  }
  return out
}

/** The wrappers of src/native/fast.ts and their parameter names. */
function wrappers(): Map<string, string[]> {
  const src = readFileSync(join(ROOT, 'src/native/fast.ts'), 'utf8')
  const out = new Map<string, string[]>()
  for (const m of src.matchAll(/export function (\w+)\(([^)]*)\)/g)) {
    out.set(
      m[1],
      m[2]
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== '')
        .map((p) => p.split(':')[0].trim()),
    )
  }
  return out
}

test('every Rust function that reads the argument block has a wrapper with its slots, in order', (t) => {
  const rust = rustFastCalls()
  const ts = wrappers()
  t.true(rust.size >= 20, `found only ${rust.size} fast calls in crates/binding/src`)
  t.deepEqual([...ts.keys()].sort(), [...rust.keys()].sort(), 'the wrappers are exactly the fast calls')
  for (const [name, { slots, params }] of rust) {
    t.deepEqual(ts.get(name), [...slots, ...params], `${name}: wrapper parameters vs Rust slots then parameters`)
  }
})

test('the check above reads what it claims: a wrapper with its slots swapped would differ', (t) => {
  const link = rustFastCalls().get('clusterLink')
  t.deepEqual(link?.slots, ['node', 'from', 'to'])
  t.notDeepEqual(wrappers().get('clusterLink'), ['node', 'to', 'from'])
})

test('lanes and codes come from Rust: post refuses the lanes only the runtime posts', (t) => {
  t.is(native.LANE_USER, 0)
  t.is(native.REMOTE_EFFECTS, 1 << 30)
  for (const lane of [native.LANE_WAKE, native.LANE_SPAWN, native.LANE_REMOTE, 99]) {
    t.throws(() => native.post(1, lane, new Uint8Array([0xc0])), { message: /the runtime posts the others/ })
  }
})
