// Pids, refs and the TIMEOUT marker.
import { native } from './native.js'
import type { Process } from './process.js'

/** This runtime's node name until `startNode` names it. */
export const nodeName = 'nonode@nohost'

/** A process id. Equal pids name the same process, wherever they travel. */
export class Pid {
  // The live local process while it lives: the send fast path. Private, so
  // it is invisible to equality checks and inspection.
  #p: Process | undefined = undefined
  constructor(
    readonly node: string,
    readonly id: number,
  ) {}
  /** @internal */
  static proc(pid: Pid): Process | undefined {
    return pid.#p
  }
  /** @internal */
  static bind(pid: Pid, p: Process | undefined): void {
    pid.#p = p
  }
  equals(other: unknown): boolean {
    return other instanceof Pid && other.id === this.id && other.node === this.node
  }
  toString(): string {
    return `<${this.node}.${this.id}>`
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Pid${this}`
  }
}

/** A unique reference (monitors, calls). */
export class Ref {
  // The pending call this ref answers, for refs minted by `call` here.
  #call: unknown = undefined
  constructor(
    readonly node: string,
    readonly id: number,
  ) {}
  /** @internal */
  static pending(r: Ref): unknown {
    return r.#call
  }
  /** @internal */
  static setPending(r: Ref, c: unknown): void {
    r.#call = c
  }
  equals(other: unknown): boolean {
    return other instanceof Ref && other.id === this.id && other.node === this.node
  }
  toString(): string {
    return `#Ref<${this.node}.${this.id}>`
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString()
  }
}

/** Returned by `receive` when its timeout passes with no matching message. */
export const TIMEOUT: unique symbol = Symbol('bfly.TIMEOUT')
export type Timeout = typeof TIMEOUT

/** A destination: a pid, or the name of a registered service. */
export type Dest = Pid | string

// Ref ids come from the native id space in blocks, so refs minted on any
// thread never collide and minting one costs no native call.
let refNext = 0
let refEnd = 0
const REF_BLOCK = 4096

/** A fresh, process-wide unique ref. */
export function makeRef(): Ref {
  if (refNext === refEnd) {
    refNext = native.idsReserve(REF_BLOCK)
    refEnd = refNext + REF_BLOCK
  }
  return new Ref(nodeName, refNext++)
}

/**
 * Validates a timeout in ms: `undefined` means wait forever, `0` polls.
 * Throws a TypeError or RangeError that says what is accepted.
 */
export function checkTimeout(t: unknown, what: string): number {
  if (t === undefined) return Number.POSITIVE_INFINITY
  if (typeof t !== 'number') throw new TypeError(`${what}: timeout must be a number of milliseconds, got ${typeof t}`)
  if (Number.isNaN(t) || t < 0)
    throw new RangeError(`${what}: timeout must be >= 0 ms (0 polls, Infinity waits forever), got ${t}`)
  return t
}
