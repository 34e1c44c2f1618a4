// `call` to a process on another thread of this node. The request travels
// encoded like any message; the target's thread answers on the reply lane
// to the caller's thread, where the pending call is found by its ref. A
// native monitor held by this thread's system pid rejects the call with
// NoProcError when the target dies first. Late replies find nothing and
// are dropped.
import { type CallTarget, PendingCall } from './calls.js'
import { decode, encode } from './codec.js'
import { arm } from './deadlines.js'
import { lastReject, lastResolve, pending } from './deferred.js'
import { NoProcError } from './errors.js'
import { native } from './native.js'
import type { Process } from './process.js'
import { A, systemPid } from './thread.js'
import { makeRef, nodeName, Pid, Ref } from './values.js'

const USER = 0
const REPLY = 2

/** Pending cross-thread calls by ref id, and by the id of their monitor. */
const byRef = new Map<number, PendingCall>()
const byMonitor = new Map<number, PendingCall>()

class ThreadTarget implements CallTarget {
  readonly self: Pid
  constructor(
    id: number,
    readonly ref: number,
    readonly monitor: number,
  ) {
    this.self = new Pid(nodeName, id)
  }
  _unwatch(): void {
    byRef.delete(this.ref)
    byMonitor.delete(this.monitor)
    A[0] = systemPid.id
    A[1] = this.monitor
    native.procDemonitor()
  }
}

/** Calls process `id` of another thread. */
export function callOnThread<T>(caller: Process | null, id: number, request: unknown, ms: number): Promise<T> {
  const ref = makeRef()
  const from = [caller === null ? systemPid : caller.self, ref]
  let bytes: Uint8Array
  try {
    bytes = encode(['$call', from, request], 'call')
  } catch (e) {
    return Promise.reject(e)
  }
  A[0] = systemPid.id
  A[1] = id
  const monitor = native.procMonitor()
  if (monitor === 0) return Promise.reject(new NoProcError(`call: ${new Pid(nodeName, id)} is not alive`))
  const answer = pending<T>()
  const c = new PendingCall(caller, new ThreadTarget(id, ref.id, monitor), lastResolve(), lastReject(), ms)
  byRef.set(ref.id, c)
  byMonitor.set(monitor, c)
  if (caller !== null) {
    if (caller._calling === null) caller._calling = [c]
    else caller._calling.push(c)
  }
  if (ms !== Number.POSITIVE_INFINITY) arm(c, ms)
  if (!native.post(id, USER, bytes)) c.settle(new NoProcError(`call: ${new Pid(nodeName, id)} is not alive`), false)
  return answer
}

/** `reply` to a call that came from another thread: false when `from` is
 * not a caller on this node. */
export function replyToThread(from: readonly [unknown, unknown], value: unknown): boolean {
  const [pid, ref] = from
  if (!(pid instanceof Pid) || !(ref instanceof Ref) || pid.node !== nodeName) return false
  native.post(pid.id, REPLY, encode([ref, value], 'reply'))
  return true
}

/** A reply arrived on this thread's reply lane. */
export function onReply(payload: Uint8Array): void {
  const [ref, value] = decode(payload) as [Ref, unknown]
  byRef.get(ref.id)?.settle(value, true)
}

/** A DOWN arrived for this thread's system pid: a called process died. */
export function onDown(sig: unknown[]): void {
  const ref = sig[1]
  if (!(ref instanceof Ref)) return
  const c = byMonitor.get(ref.id)
  if (c !== undefined)
    c.settle(new NoProcError(`${String(sig[2])} exited (${String(sig[3])}) before answering the call`), false)
}
