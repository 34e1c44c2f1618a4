// Pids, refs, remote services and the TIMEOUT marker: the values that
// name processes and calls, here or on another node.
import { native } from '../native/index.js'

/** The node name of a runtime that is not (yet) a node, as in Erlang. */
export const NONODE = 'nonode@nohost'

/** This runtime's node name: NONODE until `startNode` names it (a worker
 * thread started later reads it from the native side). */
export let nodeName: string = native.clusterName() ?? NONODE

/** @internal Renames this runtime (startNode, node.stop). */
export function setNodeName(name: string): void {
  nodeName = name
}

// Pids and refs of this node keep no node name of their own: they follow
// the runtime's, so one made before `startNode` equals its copy that came
// back from another node after it.
const own = (node: string): string | null => (node === nodeName || node === NONODE ? null : node)

/** What the pid of a live process of this thread points at: where a send delivers (kernel/receiver.ts). */
export interface Deliverable {
  _deliver(msg: unknown): Promise<void> | undefined
}

/** A process id. Equal pids name the same process, wherever they travel. */
export class Pid {
  // The live process behind this pid, while it lives, when it is of this
  // thread: the send fast path (the pid's own field, where a probe of the
  // thread's table misses the cache among 10,000 processes: the ring bench
  // ran 0.76x without it). Private: invisible to equality and inspection.
  #p: Deliverable | undefined = undefined
  readonly #node: string | null
  /**
   * Pids are made by `spawn`, `p.self` and the codec; constructing one names a process, it does not create one.
   * @param node The node the process lives on (this node's name or NONODE for a local process).
   * @param id The process's number, unique on its node for the node's lifetime (never reused).
   */
  constructor(
    node: string,
    readonly id: number,
  ) {
    this.#node = own(node)
  }
  /** The node this process lives on. */
  get node(): string {
    return this.#node ?? nodeName
  }
  /** @internal Whether this pid names a process of this node. */
  static isLocal(pid: Pid): boolean {
    return pid.#node === null
  }
  /** @internal The live process of this thread behind `pid`, if any. */
  static proc(pid: Pid): Deliverable | undefined {
    return pid.#p
  }
  /** @internal Set by the process when it starts, cleared when it dies. */
  static bind(pid: Pid, p: Deliverable | undefined): void {
    pid.#p = p
  }
  /** True when `other` is a Pid of the same process (same node and id), however each copy travelled. */
  equals(other: unknown): boolean {
    return other instanceof Pid && other.id === this.id && other.node === this.node
  }
  /** `<node.id>`, e.g. `<a@host.42>`; for logs only, not a format to parse. */
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
  readonly #node: string | null
  /**
   * Refs are minted by `p.monitor`, `call` and the codec; a constructed one is only as unique as its id.
   * @param node The node that made the ref.
   * @param id Its number, unique among the refs and pids of that node.
   */
  constructor(
    node: string,
    readonly id: number,
  ) {
    this.#node = own(node)
  }
  /** The node that made this ref. */
  get node(): string {
    return this.#node ?? nodeName
  }
  /** @internal */
  static pending(r: Ref): unknown {
    return r.#call
  }
  /** @internal */
  static setPending(r: Ref, c: unknown): void {
    r.#call = c
  }
  /** True when `other` is a Ref with the same node and id (the same reference, however it travelled). */
  equals(other: unknown): boolean {
    return other instanceof Ref && other.id === this.id && other.node === this.node
  }
  /** `#Ref<node.id>`; for logs only. */
  toString(): string {
    return `#Ref<${this.node}.${this.id}>`
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString()
  }
}

/** Returned by `receive` when its timeout passes with no matching message. */
export const TIMEOUT: unique symbol = Symbol('bfly.TIMEOUT')
/** The type of TIMEOUT, for `receive`'s result: `const m = await p.receive(undefined, { timeout: 100 })` is
 * `unknown`, and `m === TIMEOUT` narrows it. */
export type Timeout = typeof TIMEOUT

/** A service registered under `name` on node `node` (Butterfly's remote-service).
 * Register it locally with `registerService(alias, rs)`, or use it as a
 * destination directly. Made by `remoteService`. */
export class RemoteService {
  constructor(
    /** The node the service is registered on. */
    readonly node: string,
    /** The name it is registered under on that node. */
    readonly name: string,
  ) {}
  /** `name@node`; for logs only. */
  toString(): string {
    return `${this.name}@${this.node}`
  }
}

/** A destination: a pid, the name of a registered service, or a service of
 * another node (`remoteService`). */
export type Dest =
  | Pid
  | string
  | {
      /** The node the service is registered on. */
      readonly node: string
      /** The name it is registered under there. */
      readonly name: string
    }

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

/**
 * Throws a TypeError unless `opts` is undefined or an options object. A
 * bare number (Erlang's `gen_server:call(Dest, Msg, Timeout)`) is refused
 * rather than ignored: the timeout goes in `{ timeout }` (docs/DECISIONS.md).
 */
export function checkOpts(opts: unknown, what: string): void {
  if (opts === undefined || (opts !== null && typeof opts === 'object')) return
  if (typeof opts === 'number')
    throw new TypeError(
      `${what}: the timeout goes in an options object: { timeout: ${opts} }, not a bare number (see docs/DECISIONS.md)`,
    )
  throw new TypeError(
    `${what}: options must be an object such as { timeout: ms }, got ${opts === null ? 'null' : typeof opts}`,
  )
}

/** Throws a TypeError unless `pid` is a Pid. */
export function checkPid(pid: unknown, what: string): asserts pid is Pid {
  if (!(pid instanceof Pid))
    throw new TypeError(
      `${what}: expected a Pid (from spawn, p.self or whereis), got ${pid === null ? 'null' : typeof pid}`,
    )
}
