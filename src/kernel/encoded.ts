// A message that arrived encoded (from another thread or node). It stays
// encoded in the mailbox until something needs its value, so a compiled
// matcher can decide on the bytes in Rust and skip decoding what it rejects.
import { decodeRange } from './codec.js'

const UNDECODED: unique symbol = Symbol('undecoded')

export class Encoded {
  #value: unknown = UNDECODED
  /** `src[start..end)` holds the message (a range of a drained batch). */
  constructor(
    private readonly src: Uint8Array,
    private readonly start = 0,
    private readonly end = src.length,
  ) {}
  /** The message's bytes (a view; made on demand, for compiled matchers). */
  get bytes(): Uint8Array {
    return this.start === 0 && this.end === this.src.length ? this.src : this.src.subarray(this.start, this.end)
  }
  /** The decoded value (decoded once). */
  value(): unknown {
    if (this.#value === UNDECODED) this.#value = decodeRange(this.src, this.start, this.end)
    return this.#value
  }
}

/** A mailbox test; `enc`, when present, also takes Encoded entries itself
 * (a compiled matcher decides on their bytes). */
export type Test = ((m: unknown) => unknown) & { enc?: (m: unknown) => unknown }

/** `test` extended to entries that may be Encoded. */
export function encodedAware(test: Test): (m: unknown) => unknown {
  return test.enc ?? ((m: unknown) => test(m instanceof Encoded ? m.value() : m))
}
