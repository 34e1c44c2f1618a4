// The fast native calls, typed. These take their numbers from an argument
// block that JS fills before the call (converting one JS number argument
// costs ~60 ns through N-API, writing a slot a few ns), so the binding
// declares them with no such parameters (`procLink(): boolean`) and no type
// could check the most important calls. Each wrapper here takes them as
// named, typed parameters, in the order the Rust function reads its
// `slots()`; __test__/native.test.ts checks that the names and their order
// agree with crates/binding/src. Outside src/native/ the raw calls are not
// visible (see ./index.ts), so this is the only way to make them.
import type { AskKind } from '../../bindings/binding.js'
import { native } from './addon.js'

/** The argument block of this JS thread (each worker has its own). */
const A = new Float64Array(16)
let open = false

/** The block, registered with the native side on first use: importing
 * this module touches nothing native. */
function slots(): Float64Array {
  if (!open) {
    native.argsRegister(A)
    open = true
  }
  return A
}

/** Fills slots 0 and 1 of the block, for the call that follows. */
function args2(a: number, b: number): void {
  const s = slots()
  s[0] = a
  s[1] = b
}

/** Fills slots 0 to 2 of the block, for the call that follows. */
function args3(a: number, b: number, c: number): void {
  args2(a, b)
  A[2] = c
}

/** A new process linked to `parent` in one step: its id, 0 when `parent` is dead. */
export function procSpawnLink(parent: number): number {
  slots()[0] = parent
  return native.procSpawnLink()
}

/** A new process registered as `name` (linked to `parent` unless 0): its id, or a `NameCode`. */
export function procSpawnNamed(parent: number, name: string): number {
  slots()[0] = parent
  return native.procSpawnNamed(name)
}

/** A new process owned by pool thread `thread` (linked to `parent` unless 0), started there from `spec`: its
 * id, or a `SpawnOnCode`. */
export function procSpawnOn(thread: number, parent: number, spec: Uint8Array, node: string): number {
  args2(thread, parent)
  return native.procSpawnOn(spec, node)
}

/** Removes process `id` from the table: -1 when it was gone, else the length of its effects, with
 * `REMOTE_EFFECTS` set when it had relations on other nodes. */
export function procExit(id: number): number {
  slots()[0] = id
  return native.procExit()
}

/** Links `a` and `b`; false when either is dead. */
export function procLink(a: number, b: number): boolean {
  args2(a, b)
  return native.procLink()
}

/** Unlinks `a` and `b`. */
export function procUnlink(a: number, b: number): void {
  args2(a, b)
  native.procUnlink()
}

/** `watcher` monitors `target`: the ref id, 0 when `target` is dead. */
export function procMonitor(watcher: number, target: number): number {
  args2(watcher, target)
  return native.procMonitor()
}

/** Ends monitor `monitor` of `watcher` (local or remote target); whether it was active. */
export function procDemonitor(watcher: number, monitor: number): boolean {
  args2(watcher, monitor)
  return native.procDemonitor()
}

/** `procDemonitor` for a call that got its answer: a remote monitor's frame
 * waits for this thread's next cluster flush (the caller schedules one). */
export function procDemonitorDeferred(watcher: number, monitor: number): boolean {
  args2(watcher, monitor)
  return native.procDemonitorDeferred()
}

/** Whether process `id` (of any thread of this node) is alive. */
export function procAlive(id: number): boolean {
  slots()[0] = id
  return native.procAlive()
}

/** A user message (the first `len` bytes of the byte block) for process `to` of node `node` (credit counted): 0
 * sent, a wake token when held for credit, or a `RemoteCode` (`Busy`: sent, to a busy link). `refuse`: 1 when
 * the sender will not wait for credit or a busy link. */
export function clusterSend(node: number, to: number, refuse: number, len: number): number {
  args3(node, to, refuse)
  A[3] = len
  return native.clusterSend()
}

/** How many more user messages to process `to` of node `node` would be sent at once now: what is left of its
 * credit window (4294967295 when the peer counts no credit; 0 while messages to it wait for credit). */
export function clusterCreditLeft(node: number, to: number): number {
  args2(node, to)
  return native.clusterCreditLeft()
}

/** Returns credit to node `node`: the byte block holds `pairs` (process id, count) pairs as f64s (see
 * `blockFloats`); count 0 says the process is gone. Leaves with the thread's next cluster flush. */
export function clusterGrant(node: number, pairs: number): void {
  args2(node, pairs)
  native.clusterGrant()
}

/** A message (the first `len` bytes of the byte block) for the service whose name's UTF-8 is the `nameLen`
 * bytes after it, on node `node`: 0 sent, or a `RemoteCode` (`Busy`: sent, to a busy link). `refuse`: 1 when
 * the sender will not wait for a busy link. */
export function clusterSendName(node: number, len: number, nameLen: number, refuse: number): number {
  args3(node, len, nameLen)
  A[3] = refuse
  return native.clusterSendName()
}

/** A token woken on this thread once the link to node `node` is no longer busy (or is gone); 0 when this
 * runtime is not a node. */
export function clusterCalm(node: number): number {
  slots()[0] = node
  return native.clusterCalm()
}

/** An exit signal from local `from` to process `to` of node `node`. */
export function clusterExit(node: number, from: number, to: number, reason: Uint8Array): boolean {
  args3(node, from, to)
  return native.clusterExit(reason)
}

/** Links local `from` with process `to` of node `node`: 1 done, 0 `from` dead, or `RemoteCode.NotANode`. */
export function clusterLink(node: number, from: number, to: number): number {
  args3(node, from, to)
  return native.clusterLink()
}

/** Removes the link of local `from` with process `to` of node `node`. */
export function clusterUnlink(node: number, from: number, to: number): void {
  args3(node, from, to)
  native.clusterUnlink()
}

/** Local `watcher` monitors process `target` of node `node`: the ref, 0 when `watcher` is dead, or
 * `RemoteCode.NotANode`. */
export function clusterMonitor(node: number, watcher: number, target: number): number {
  args3(node, watcher, target)
  return native.clusterMonitor()
}

/** Local `watcher` monitors node `node` itself (a DOWN when its link is lost); as `clusterMonitor`. */
export function clusterMonitorNode(node: number, watcher: number): number {
  args2(node, watcher)
  return native.clusterMonitorNode()
}

/** Local `watcher` monitors the service whose name's UTF-8 is the `nameLen` bytes at `nameAt` in the byte block,
 * on node `node`; as `clusterMonitor`. */
export function clusterMonitorName(node: number, watcher: number, nameAt: number, nameLen: number): number {
  args3(node, watcher, nameAt)
  A[3] = nameLen
  return native.clusterMonitorName()
}

/** Ends monitor `monitor` of local `watcher` taken on the service whose name's UTF-8 is the first `nameLen`
 * bytes of the byte block. */
export function clusterDemonitorName(watcher: number, monitor: number, nameLen: number): boolean {
  args3(watcher, monitor, nameLen)
  return native.clusterDemonitorName()
}

/** A call's answer `[ref, value]` (the first `len` bytes of the byte block) for process `to` of node `node`. */
export function clusterReply(node: number, to: number, len: number): boolean {
  args3(node, to, len)
  return native.clusterReply()
}

/** Asks node `node`'s agent for `kind` on behalf of local `from`, answered with ref `request`; `flags` 1 links
 * the spawned process to `from`. */
export function clusterAsk(
  node: number,
  from: number,
  request: number,
  flags: number,
  kind: AskKind,
  body: Uint8Array,
): boolean {
  args3(node, from, request)
  A[3] = flags
  return native.clusterAsk(kind, body)
}

/** The agent's answer to request `request` of process `to` of node `node`; `link` (unless 0) is a new local
 * process linked to the requester before the answer leaves. */
export function clusterAnswer(node: number, to: number, request: number, link: number, body: Uint8Array): boolean {
  args3(node, to, request)
  A[3] = link
  return native.clusterAnswer(body)
}

/** Posts the first `count` messages of the post blocks this thread registered (`threadPostBlocks`). */
export function postBlocks(count: number): void {
  slots()[0] = count
  native.postBlocks()
}
