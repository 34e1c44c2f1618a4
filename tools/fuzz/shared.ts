// What the TypeScript fuzz targets share: the byte-level mutator (the twin
// of mutate.rs: a repeatable xorshift32 stream, and one input spliced from
// two pool entries with a few edits each: bit flips, interesting bytes,
// inserts, deletes, repeats, crossovers, truncation) and where failing
// inputs are saved.
import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** A failing input (hex) and what it broke. */
export interface Failure {
  input: string
  why: string
}

/** Saves up to 20 failures under tools/fuzz/crashes/<target>/, prints 5 and ends the process with code 1. */
export function failWith(target: string, failures: Failure[]): never {
  const dir = fileURLToPath(new URL(`./crashes/${target}/`, import.meta.url))
  mkdirSync(dir, { recursive: true })
  for (const [i, f] of failures.slice(0, 20).entries()) writeFileSync(`${dir}fail-${i}.hex`, `${f.input}\n${f.why}\n`)
  console.error(failures.slice(0, 5))
  process.exit(1)
}

export class Mutator {
  #state: number
  /** The seed this run can be repeated with. */
  readonly seed: number
  constructor(seed: number = Date.now() & 0x7fffffff) {
    this.#state = seed | 1
    this.seed = this.#state
  }

  /** A number in 0..n-1 (0 when n <= 0). */
  rnd(n: number): number {
    this.#state ^= this.#state << 13
    this.#state ^= this.#state >>> 17
    this.#state ^= this.#state << 5
    return n <= 0 ? 0 : (this.#state >>> 0) % n
  }

  /** `a` with 1 to 4 edits; `b` supplies crossovers; `interesting` the bytes
   * worth writing; the result is cut at `max` bytes. */
  mutate(a: Uint8Array, b: Uint8Array, interesting: readonly number[], max: number): Uint8Array {
    let v = Array.from(a)
    for (let k = 0, edits = 1 + this.rnd(4); k < edits; k++) {
      const n = v.length
      const i = this.rnd(n)
      switch (this.rnd(7)) {
        case 0:
          if (n > 0) v[i] ^= 1 << this.rnd(8)
          break
        case 1:
          if (n > 0) v[i] = interesting[this.rnd(interesting.length)]
          break
        case 2:
          v.splice(this.rnd(n + 1), 0, this.rnd(256))
          break
        case 3:
          v.splice(i, 1 + this.rnd(8))
          break
        case 4:
          v.splice(this.rnd(n + 1), 0, ...v.slice(i, i + 1 + this.rnd(16)))
          break
        case 5:
          v = v.slice(0, this.rnd(n + 1)).concat(Array.from(b.subarray(this.rnd(b.length))))
          break
        default:
          v.length = this.rnd(n + 1)
      }
    }
    return Uint8Array.from(v.slice(0, max))
  }
}
