// Calls answered on this thread's reply lane: to a process of another
// thread of this node, or of another node. The request travels encoded
// like any message; the target answers on the reply lane to the caller's
// thread, where the pending call is found by its ref. A native monitor
// held by this thread's system pid rejects the call with NoProcError when
// the target dies first (or its node becomes unreachable). Late replies
// find nothing and are dropped.
import { type CallTarget, PendingCall } from '../kernel/calls.js'
import { decode, encode } from '../kernel/codec.js'
import { arm } from '../kernel/deadlines.js'
import { lastReject, lastResolve, pending } from '../kernel/deferred.js'
import { NoProcError } from '../kernel/errors.js'
import type { Receiver } from '../kernel/receiver.js'
import { systemPid } from '../kernel/thread.js'
import { makeRef, nodeName, Pid, Ref } from '../kernel/values.js'
import { native, procDemonitor, procMonitor } from '../native/index.js'
import { postNow } from './post.js'

const { LANE_USER: USER, LANE_REPLY: REPLY } = native

/** Pending calls by ref id, and by the id of their monitor. */
const byRef = new Map<number, PendingCall>()
const byMonitor = new Map<number, AwayTarget>()

/** What a call waits on when the answer comes on the reply lane. */
export class AwayTarget implements CallTarget {
  call: PendingCall | null = null
  constructor(
    readonly self: { toString(): string },
    readonly ref: number,
    readonly monitor: number,
    /** Why a DOWN with `reason` fails the call. */
    readonly why: (reason: unknown) => string,
    /** Ends the monitor (by name monitors need the name). */
    readonly unmonitor: (monitor: number) => void = demonitor,
  ) {}
  _unwatch(): void {
    byRef.delete(this.ref)
    byMonitor.delete(this.monitor)
    this.unmonitor(this.monitor)
  }
}

function demonitor(monitor: number): void {
  procDemonitor(systemPid().id, monitor)
}

/** A pending call for `target`, answered on the reply lane. `send` sends
 * the request; it returns false when it could not. */
export function awaitAnswer<T>(caller: Receiver | null, target: AwayTarget, ms: number): Promise<T> {
  const answer = pending<T>()
  const c = new PendingCall(caller, target, lastResolve(), lastReject(), ms)
  target.call = c
  byRef.set(target.ref, c)
  byMonitor.set(target.monitor, target)
  if (caller !== null) {
    if (caller._calling === null) caller._calling = [c]
    else caller._calling.push(c)
  }
  if (ms !== Number.POSITIVE_INFINITY) arm(c, ms)
  return answer
}

/** The `from` of a call made by `caller` (or by nobody), with its ref. */
export function callFromOf(caller: Receiver | null): [Pid, Ref] {
  return [caller === null ? systemPid() : caller.self, makeRef()]
}

/** A call's `from` and its request as it travels; throws NotPortableError. */
export function callRequest(caller: Receiver | null, request: unknown): [[Pid, Ref], Uint8Array] {
  const from = callFromOf(caller)
  return [from, encode(['$call', from, request], 'call')]
}

/** Calls process `id` of another thread. */
export function callOnThread<T>(caller: Receiver | null, id: number, request: unknown, ms: number): Promise<T> {
  let from: [Pid, Ref]
  let bytes: Uint8Array
  try {
    ;[from, bytes] = callRequest(caller, request)
  } catch (e) {
    return Promise.reject(e)
  }
  const monitor = procMonitor(systemPid().id, id)
  const pid = new Pid(nodeName, id)
  if (monitor === 0) return Promise.reject(new NoProcError(`call: ${pid} is not alive`))
  const target = new AwayTarget(
    pid,
    from[1].id,
    monitor,
    (r) => `${pid} exited (${String(r)}) before answering the call`,
  )
  const answer = awaitAnswer<T>(caller, target, ms)
  if (!postNow(id, USER, bytes)) target.call?.settle(new NoProcError(`call: ${pid} is not alive`), false)
  return answer
}

/** `reply` to a call that came from a process of another thread (its
 * caller's reply lane). */
export function replyOnThread(from: readonly [Pid, Ref], value: unknown): void {
  postNow(from[0].id, REPLY, encode([from[1], value], 'reply'))
}

/** A reply arrived on this thread's reply lane: `[ref, value]` settles the
 * call waiting on `ref`. Total: bytes that are not one such term (a peer
 * may send anything in a Reply frame) answer nothing and are dropped. */
export function onReply(payload: Uint8Array): void {
  let term: unknown
  try {
    term = decode(payload)
  } catch {
    return
  }
  if (!Array.isArray(term) || term.length !== 2 || !(term[0] instanceof Ref)) return
  byRef.get(term[0].id)?.settle(term[1], true)
}

/** A DOWN arrived for this thread's system pid: a called process died. */
export function onDown(sig: unknown[]): void {
  const ref = sig[1]
  if (!(ref instanceof Ref)) return
  const t = byMonitor.get(ref.id)
  t?.call?.settle(new NoProcError(t.why(sig[3])), false)
}
