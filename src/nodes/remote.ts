// Processes and services of other nodes: the remote half of send, call,
// link, unlink, monitor, exit and spawn. Each is one native call that
// updates the relations (in the process table) and queues a frame on the
// link to that node (crates/cluster); the node connects on first use.
import { encodeReason, encodeToBlock } from '../kernel/codec.js'
import { NoProcError, RefusedError } from '../kernel/errors.js'
import type { Receiver } from '../kernel/receiver.js'
import { systemPid } from '../kernel/thread.js'
import { nodeName, type Pid, Ref, RemoteService } from '../kernel/values.js'
import { blockView, putUtf8 } from '../kernel/writer.js'
import {
  type AskKind,
  clusterAsk,
  clusterDemonitorName,
  clusterExit,
  clusterFlushLater,
  clusterLink,
  clusterMonitor,
  clusterMonitorName,
  clusterMonitorNode,
  clusterReply,
  clusterSend,
  clusterSendName,
  clusterUnlink,
  native,
} from '../native/index.js'
import { AwayTarget, awaitAnswer, callFromOf } from '../threads/threadcall.js'
import { refuseFlag, sendOutcome } from './credit.js'
import { queueEncoded, queueEncodedName, queueRemote, queueRemoteName, sentDirectly } from './outgoing.js'
import { isNode, sendingTo } from './peers.js'

const { NotANode: NOT_A_NODE } = native.RemoteCode

/** `remoteService(nodeName, { name })` (Butterfly's remote-service): a destination for `send`, `call`, `cast` and
 * `registerService` that reaches the process registered as `name` on `node` when each message is sent (the
 * name is looked up there, so a restarted service is found again). Nothing is checked or connected now.
 * @throws a TypeError for an empty `node` or `name`. */
export function remoteService(node: string, opts: { name: string }): RemoteService {
  if (typeof node !== 'string' || node.length === 0) throw new TypeError('remoteService: node must be a node name')
  if (typeof opts?.name !== 'string' || opts.name.length === 0)
    throw new TypeError('remoteService(node, { name }): name must be a non-empty string')
  return new RemoteService(node, opts.name)
}

/** The largest encoded message a link carries (SL1's bound, less room
 * for the frame's own fields). */
export const MAX_REMOTE_MESSAGE = native.LINK_MAX_MESSAGE - 4096

/** Encodes `msg` for another node into this thread's byte block (where the native send that follows reads
 * it): its length. Throws when it is over the link's limit. */
function encodeFor(msg: unknown, what: string): number {
  const n = encodeToBlock(msg, what)
  if (n > MAX_REMOTE_MESSAGE)
    throw new RangeError(
      `${what} is ${n} bytes encoded, over the ${MAX_REMOTE_MESSAGE} bytes a node link carries; send it in parts`,
    )
  return n
}

function notANode(what: string, node: string): Error {
  return new NoProcError(
    `${what}: this runtime is not a node, so '${node}' is unreachable; call startNode({ name, listen, cookie }) first`,
  )
}

/** Why node `node` is unreachable, for error messages. */
export function unreachable(node: string): string {
  const why = native.clusterPeerError(node)
  return `node '${node}' is unreachable${why ? ` (${why})` : ''}`
}

/** A message to a process of another node; dropped when this runtime is
 * not a node (as a send to a dead pid is). Out of credit toward `pid`
 * (src/nodes/credit.ts) or to a busy link (src/nodes/busy.ts): a promise,
 * or MailboxFullError with `remoteFull: 'error'`. */
export function sendRemote(pid: Pid, msg: unknown): Promise<void> | undefined {
  const node = sendingTo(pid.node)
  const refuse = refuseFlag()
  const queued = refuse === 0 && isNode()
  if (queued && queueEncoded(node, pid.id, msg)) return undefined
  const n = encodeFor(msg, 'msg')
  if (queued && queueRemote(node, pid.id, n)) return undefined
  const r = clusterSend(node, pid.id, refuse, n)
  if (r === 0 && refuse === 0) sentDirectly(node, pid.id)
  return sendOutcome(r, pid, node)
}

/** A message to a service of another node: a promise when its link is busy, as `sendRemote`. */
export function sendService(rs: RemoteService, msg: unknown): Promise<void> | undefined {
  const node = sendingTo(rs.node)
  const refuse = refuseFlag()
  const queued = refuse === 0 && isNode()
  if (queued && queueEncodedName(node, rs.name, msg)) return undefined
  const n = encodeFor(msg, 'msg')
  if (queued && queueRemoteName(node, n, rs.name)) return undefined
  const r = clusterSendName(node, n, putUtf8(n, rs.name), refuse)
  if (r === NOT_A_NODE) throw notANode('send', rs.node)
  if (r === 0 && refuse === 0) sentDirectly(node, 0)
  return sendOutcome(r, rs, node)
}

/** `reply` to a call that came from a process of another node. */
export function replyRemote(from: readonly [Pid, Ref], value: unknown): void {
  const node = sendingTo(from[0].node)
  clusterReply(node, from[0].id, encodeToBlock([from[1], value], 'reply'))
}

/** `call` to a process or service of another node: monitored, so the
 * target's death or its node's loss rejects it with NoProcError. */
export function callRemote<T>(
  caller: Receiver | null,
  dest: Pid | RemoteService,
  request: unknown,
  ms: number,
): Promise<T> {
  const byName = dest instanceof RemoteService
  const node = dest.node
  const to = sendingTo(node)
  // The request goes into the byte block, the service's name after it, and both stay there (nothing below
  // writes the block) until the send at the end; the monitor reads the name there too.
  const from = callFromOf(caller)
  let n: number
  try {
    n = encodeToBlock(['$call', from, request], 'call')
    if (n > MAX_REMOTE_MESSAGE) encodeFor(request, 'call')
  } catch (e) {
    return Promise.reject(e)
  }
  const k = byName ? putUtf8(n, dest.name) : 0
  const sys = systemPid().id
  const monitor = byName ? clusterMonitorName(to, sys, n, k) : clusterMonitor(to, sys, dest.id)
  if (monitor === NOT_A_NODE) return Promise.reject(notANode('call', node))
  const why = (r: unknown): string =>
    r === 'noconnection'
      ? `${unreachable(node)}; the call to ${dest} got no answer`
      : // From the node of an alias whose own node is unreachable (crates/cluster/src/forward.rs).
        Array.isArray(r) && r[0] === 'noconnection' && byName
        ? `node '${String(r[1])}' is unreachable from ${node}, where ${dest.name} stands for its service; the call to ${dest} got no answer`
        : r === 'noproc' && byName
          ? `no service '${dest.name}' is registered on ${node}`
          : `${dest} ${r === 'noproc' ? 'is not alive' : `exited (${String(r)})`} before answering the call`
  const unmonitor = byName
    ? (m: number) => {
        // The frame leaves with this thread's next frames (peers.ts).
        if (clusterDemonitorName(sys, m, putUtf8(0, dest.name))) clusterFlushLater()
      }
    : undefined
  const target = new AwayTarget(dest, from[1].id, monitor, why, unmonitor)
  const answer = awaitAnswer<T>(caller, target, ms)
  // A call does not wait for a busy link (its answer is awaited anyway).
  if (byName) clusterSendName(to, n, k, 0)
  // A call waits for credit like any message; its own timeout bounds it.
  else clusterSend(to, dest.id, 0, n)
  return answer
}

/** Links `p` with remote `pid`. Returns false when this runtime is not a
 * node (the caller then signals 'noconnection', as Erlang does). */
export function linkRemote(p: Receiver, pid: Pid): boolean {
  return clusterLink(sendingTo(pid.node), p.self.id, pid.id) === 1
}

/** Removes the link of `p` with remote `pid`, if any. */
export function unlinkRemote(p: Receiver, pid: Pid): void {
  clusterUnlink(sendingTo(pid.node), p.self.id, pid.id)
}

/** `p` monitors remote `pid`: the ref, or undefined when this runtime is
 * not a node (the caller delivers DOWN 'noconnection'). */
export function monitorRemote(p: Receiver, pid: Pid): Ref | undefined {
  const r = clusterMonitor(sendingTo(pid.node), p.self.id, pid.id)
  return r > 0 ? new Ref(nodeName, r) : undefined
}

/** An exit signal from `from` to remote `pid`. */
export function exitRemote(from: Pid, pid: Pid, reason: unknown): void {
  clusterExit(sendingTo(pid.node), from.id, pid.id, encodeReason(reason))
}

const { Spawn: SPAWN, Code: CODE } = native.AskKind

/** Asks node `node`'s agent for `what` (spawn or code) on behalf of
 * `caller` (or the system pid); resolves with the agent's value, rejects
 * with RefusedError when the peer's allow-list forbids it. `link` links
 * the spawned process to `caller` before the pid arrives. */
function ask<T>(
  what: AskKind,
  node: string,
  body: unknown,
  opts: { caller?: Receiver | null; link?: boolean; timeout?: number },
): Promise<T> {
  const caller = opts.caller ?? null
  let bytes: Uint8Array
  try {
    // A copy: the request is sent after the monitor and the wait are set up.
    bytes = blockView(encodeFor(body, what === SPAWN ? 'spawn' : 'loadCode')).slice()
  } catch (e) {
    return Promise.reject(e)
  }
  const ref = callFromOf(null)[1]
  const sys = systemPid().id
  const monitor = clusterMonitorNode(sendingTo(node), sys)
  if (monitor === NOT_A_NODE) return Promise.reject(notANode(what === SPAWN ? 'spawn' : 'loadCode', node))
  const target = new AwayTarget(node, ref.id, monitor, () => unreachable(node))
  const answer = awaitAnswer<[boolean, unknown, string?]>(caller, target, opts.timeout ?? 5000)
  const from = opts.link && caller !== null ? caller.self.id : sys
  clusterAsk(sendingTo(node), from, ref.id, opts.link ? 1 : 0, what, bytes)
  return answer.then(([ok, a, b]) => {
    if (ok) return a as T
    if (a === 'refused') throw new RefusedError(String(b))
    if (a === 'badarg') throw new TypeError(String(b))
    throw new Error(String(b ?? a))
  })
}

/** What `loadCode` installed on the remote node. */
export interface LoadedCode {
  /** The module's file URL there: name it in `upgrade(dest, { module: url, export })`. */
  url: string
  /** Its version under that name (1, 2, ...). */
  version: number
  /** The names it exports. */
  exports: string[]
}

/**
 * Installs the ES module `source` as `name` on node `node` (Butterfly's FRU): the
 * peer writes it to a new versioned file and imports it, so a syntax
 * error rejects here. Resolves with its URL there, for `upgrade` of a
 * server on that node. Rejects with RefusedError when the peer's
 * allow-list does not grant this node 'code'.
 */
export function loadCode(
  node: string,
  code: { name: string; source: string },
  opts?: { timeout?: number },
): Promise<LoadedCode> {
  if (typeof code?.name !== 'string' || typeof code.source !== 'string')
    return Promise.reject(new TypeError('loadCode(node, { name, source }): name and source must be strings'))
  return ask<LoadedCode>(CODE, node, { name: code.name, source: code.source }, { timeout: opts?.timeout ?? 30_000 })
}

/** Spawns `module[fn](p, ...args)` on node `node`; resolves with its pid. */
export function spawnRemote(
  spec: { module: string; fn: string; args?: unknown[] },
  node: string,
  caller: Receiver | null,
  link: boolean,
): Promise<Pid> {
  return ask<Pid>(SPAWN, node, [spec.module, spec.fn, spec.args ?? []], { caller, link })
}
