// The routing seam. The kernel runs the processes of one JS thread and
// knows nothing else: what is for a process of another thread of this
// node, or of another node, it hands to the route registered for it. The
// threads layer (src/threads/route.ts) registers the route to other
// threads, the nodes layer (src/nodes/route.ts) the route to other nodes;
// index.ts wires both. Until then the kernel alone has no other thread and
// is not a node: what it would route refuses, as each default says.
import { NoProcError } from './errors.js'
import type { Receiver } from './receiver.js'
import type { SpawnSpec } from './spec.js'
import type { Pid, Ref, RemoteService } from './values.js'

/** How the kernel reaches processes of other threads of this node (by id). */
export interface ThreadRoute {
  /** Takes this thread's native inbox and delivers it (the native side's wake-up calls this). */
  drain(): void
  /** Writes what this thread queued for other threads: called before a table change (an exit) that their
   * processes must see after those messages. */
  flush(): void
  /** A user message; throws NotPortableError before anything is queued. */
  send(id: number, msg: unknown): void
  /** An exit signal `['EXIT', from, reason, viaExit]` or a `['DOWN', ref, pid, reason]`. */
  signal(id: number, sig: unknown[]): void
  /** A call, answered on this thread's reply lane. */
  call<T>(caller: Receiver | null, id: number, request: unknown, ms: number): Promise<T>
  /** Answers a call that came from a process of another thread. */
  reply(from: readonly [Pid, Ref], value: unknown): void
  /** Starts `spec` on a pool thread (linked to `parent` when given) and returns its pid at once. */
  spawn(spec: SpawnSpec, parent: Receiver | null, what: string): Pid
}

/** How the kernel reaches processes and services of other nodes. */
export interface NodeRoute {
  /** A user message; a promise when held for credit (see `send`). */
  send(pid: Pid, msg: unknown): Promise<void> | undefined
  /** A user message to a service of another node; a promise when its link is busy (see `send`). */
  sendService(rs: RemoteService, msg: unknown): Promise<void> | undefined
  /** A call, answered on this thread's reply lane. */
  call<T>(caller: Receiver | null, dest: Pid | RemoteService, request: unknown, ms: number): Promise<T>
  /** Answers a call that came from a process of another node. */
  reply(from: readonly [Pid, Ref], value: unknown): void
  /** Links `p` with remote `pid`: false when it cannot (the caller signals 'noconnection'). */
  link(p: Receiver, pid: Pid): boolean
  unlink(p: Receiver, pid: Pid): void
  /** `p` monitors remote `pid`: the ref, or undefined when it cannot (the caller delivers DOWN 'noconnection'). */
  monitor(p: Receiver, pid: Pid): Ref | undefined
  /** An exit signal from `from` to remote `pid`. */
  exit(from: Pid, pid: Pid, reason: unknown): void
  /** Starts `spec` on node `node` (linked to `parent` when `link`); resolves with its pid. */
  spawn(spec: SpawnSpec, node: string, parent: Receiver | null, link: boolean): Promise<Pid>
}

function unwired(what: string): never {
  throw new Error(`bfly: ${what} needs the runtime's layers wired; import 'bfly' (index.ts), not src/kernel alone`)
}

/** Before the threads layer is wired: no other thread exists to reach (deliveries wait in the native inbox). */
const NO_THREADS: ThreadRoute = {
  drain() {},
  flush() {},
  send: () => unwired('a send to another thread'),
  signal: () => unwired('a signal to another thread'),
  call: () => unwired('a call to another thread'),
  reply: () => unwired('a reply to another thread'),
  spawn: () => unwired("spawn({ thread: 'pool' })"),
}

const notANode = (what: string) => new NoProcError(`${what}: this runtime is not a node`)

/** Before the nodes layer is wired: as a runtime that is not a node. */
const NO_NODES: NodeRoute = {
  send: () => undefined,
  sendService: () => {
    throw notANode('send')
  },
  call: () => Promise.reject(notANode('call')),
  reply() {},
  link: () => false,
  unlink() {},
  monitor: () => undefined,
  exit() {},
  spawn: () => Promise.reject(notANode('spawn')),
}

/** The route to processes of other threads of this node. */
export let threads: ThreadRoute = NO_THREADS
/** The route to other nodes. */
export let nodes: NodeRoute = NO_NODES

/** Registers the route to other threads (src/threads/route.ts). */
export function routeThreads(r: ThreadRoute): void {
  threads = r
}

/** Registers the route to other nodes (src/nodes/route.ts). */
export function routeNodes(r: NodeRoute): void {
  nodes = r
}
