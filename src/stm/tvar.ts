// The JS handle of a transactional variable. The value lives encoded in
// Rust (crates/stm/src), shared by every thread of this OS process;
// a TVar that travels to another thread (codec extension 8) is the same
// variable there.
import { encode, portableClass } from '../kernel/codec.js'
import { StmError } from '../kernel/errors.js'
import { native } from '../native/index.js'

/** Identifies this OS process in encoded TVars. */
const instance = native.stmInstance()

// A collected handle tells the store, which forgets a TVar once no handle
// is left on any thread, unless it was ever encoded (its bytes may still be
// decoded somewhere, so it is kept for the life of the process).
const handles = new FinalizationRegistry<number>((id) => native.stmRelease(id))

// Set by `fromWire` just before it constructs a handle for a decoded TVar.
let wire: [number, number] | null = null

/** A transactional variable holding a portable value of type `T`. Read
 * and write it inside `atomically`. */
export class TVar<T = unknown> {
  readonly #instance: number
  readonly #id: number
  /** A new variable holding `initial` (portable; throws NotPortableError otherwise).
   * @throws {@link NotPortableError} when `initial` cannot be encoded; no variable is made. */
  constructor(initial: T) {
    if (wire !== null) {
      ;[this.#instance, this.#id] = wire
      wire = null
      return
    }
    this.#instance = instance
    this.#id = native.stmNew(encode(initial, 'initial'))
    handles.register(this, this.#id)
  }

  /** Whether `other` is a handle to the same variable. */
  equals(other: unknown): boolean {
    return other instanceof TVar && other.#id === this.#id && other.#instance === this.#instance
  }

  /** `TVar<id>`; for logs only (it shows no value: reading one needs a transaction). */
  toString(): string {
    return `TVar<${this.#id}>`
  }

  /** @internal The store id of `tv`; throws for a foreign TVar or a non-TVar. */
  static idOf(tv: unknown): number {
    if (!(tv instanceof TVar)) throw new TypeError(`expected a TVar, got ${typeof tv === 'object' ? tv : typeof tv}`)
    if (tv.#instance !== instance) {
      throw new StmError(
        `${tv} was made by another OS process (another node); a TVar is shared only by the threads of one node`,
      )
    }
    return tv.#id
  }

  /** @internal */
  static toWire(tv: TVar): [number, number] {
    if (tv.#instance === instance) native.stmPin(tv.#id)
    return [tv.#instance, tv.#id]
  }

  /** @internal */
  static fromWire([inst, id]: [number, number]): TVar {
    wire = [inst, id]
    const tv = new TVar(null)
    if (inst === instance && native.stmRetain(id)) handles.register(tv, id)
    return tv
  }
}

portableClass(TVar, 8, TVar.toWire, TVar.fromWire)
