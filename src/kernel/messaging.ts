// send (!), call (!?), reply and exit: the same functions inside and
// outside processes. Same-thread messages go by reference straight into
// the receiver's mailbox; nothing here crosses into Rust on that path.
// Whatever is for another thread or node goes through its route (route.ts).

import { native, procAlive } from '../native/index.js'
import { PendingCall } from './calls.js'
import { arm } from './deadlines.js'
import { lastReject, lastResolve, pending } from './deferred.js'
import { NoProcError, NoSuchServiceError } from './errors.js'
import type { Receiver } from './receiver.js'
import { nodes, threads } from './route.js'
import { signals } from './signals.js'
import { local, systemPid } from './thread.js'
import { checkOpts, checkPid, checkTimeout, type Dest, makeRef, Pid, Ref, RemoteService } from './values.js'

/** Who a call came from: pass it to `reply`. */
export type From = readonly [Pid, Ref]

/** Resolves `dest` to a local process, or its id when it lives on another
 * thread, or the remote pid or service, or undefined when it is dead.
 * Throws for a bad destination or an unregistered name. */
function resolve(dest: Dest, what: string): Receiver | number | Pid | RemoteService | undefined {
  if (dest instanceof Pid) {
    if (!Pid.isLocal(dest)) return dest
    const q = local.get(dest.id)
    if (q !== undefined) return q
    return procAlive(dest.id) ? dest.id : undefined
  }
  if (typeof dest === 'string') {
    const id = native.nameWhereis(dest)
    if (id !== null && id !== undefined) return local.get(id) ?? id
    const alias = native.nameAlias(dest)
    if (alias !== null && alias !== undefined) return new RemoteService(alias[0], alias[1])
    throw new NoSuchServiceError(dest)
  }
  if (dest instanceof RemoteService) return dest
  throw new TypeError(
    `${what}: the destination must be a Pid or a registered name, got ${dest === null ? 'null' : typeof dest}`,
  )
}

/** Sends `msg` to `dest` (Butterfly's `!`). Never blocks and never throws for a
 * dead pid; throws NoSuchServiceError for an unregistered name. To a local
 * process whose mailbox is at its limit (`p.limitMailbox`) it returns a
 * promise to await before sending more, or throws MailboxFullError; to a
 * remote process with no credit left from this node, likewise.
 *
 * Messages from one sender to one receiver arrive in send order, on one thread, across threads and across
 * nodes. A message to a dead pid (or a process of an unreachable node) is dropped silently, as in Erlang:
 * use `call` or a monitor to know it was handled.
 * @throws {@link NoSuchServiceError} for a name nothing is registered under; {@link MailboxFullError} (see
 * above); {@link NotPortableError} when `msg` must leave the thread and cannot (nothing is sent); a RangeError
 * for a message over a node link's 64 MiB; a TypeError for an `undefined` message or a bad `dest`.
 * @example
 * ```ts
 * send(pid, ['job', 42]) // undefined: queued, the receiver takes it with p.receive()
 * send('LOGGER', 'hello') // to a registered name, here or (through remoteService) on another node
 * await send(bounded, big) // a promise only when bounded's mailbox is full and it asked senders to wait
 * ```
 */
export function send(dest: Dest, msg: unknown): Promise<void> | undefined {
  if (msg === undefined) throw new TypeError('send: a message cannot be undefined; send null or a value')
  const here = dest instanceof Pid ? Pid.proc(dest) : undefined
  if (here !== undefined) return here._deliver(msg)
  if (dest instanceof Pid && Pid.isLocal(dest)) {
    const q = local.get(dest.id)
    if (q !== undefined) return q._deliver(msg)
    // A pid of another thread: post without asking first whether it is
    // alive (the post itself drops it for a dead pid); only a value that
    // cannot travel needs to know, since a dead pid must never make send throw.
    try {
      threads.send(dest.id, msg)
    } catch (e) {
      if (procAlive(dest.id)) throw e
    }
    return undefined
  }
  const p = resolve(dest, 'send')
  if (typeof p === 'number') threads.send(p, msg)
  else if (p instanceof Pid) return nodes.send(p, msg)
  else if (p instanceof RemoteService) return nodes.sendService(p, msg)
  else if (p !== undefined) return p._deliver(msg)
  return undefined
}

/**
 * Sends `request` to `dest` as ['$call', from, request] and resolves with
 * the value the target passes to `reply(from, value)` (Butterfly's `!?`).
 * Rejects with TimeoutError after `timeout` ms (default 5000), and with
 * NoProcError when the target is dead or dies before answering. A reply
 * that comes after the timeout is dropped. The timeout is `{ timeout: ms }`:
 * a bare number as third argument (Erlang's `gen_server:call/3`) is refused
 * with a TypeError, never silently ignored.
 * @throws (rejects) {@link TimeoutError} after `timeout` ms; {@link NoProcError} when the target is dead, dies
 * before answering, or is on a node that cannot be reached (or whose link is lost); {@link NoSuchServiceError}
 * for an unregistered name; {@link NotPortableError} for a request that cannot travel; a TypeError or
 * RangeError for an `undefined` request, a bad `dest`, a bad `timeout` or `opts` that is not an object
 * (`call(pid, msg, 100)`: write `{ timeout: 100 }`).
 * @example
 * ```ts
 * registerService('ECHO', spawn(echoServer)) // echoServer answers each ['$call', from, req] with reply(from, req)
 * await call('ECHO', 'Hello') // 'Hello'
 * await call('ECHO', 'Hello', { timeout: 100 }) // or TimeoutError after 100 ms
 * ```
 */
export function call<T = unknown>(dest: Dest, request: unknown, opts?: { timeout?: number }): Promise<T> {
  return callFrom<T>(null, dest, request, opts)
}

/** `call` on behalf of `caller` (whose death rejects it), or of nobody. */
export function callFrom<T>(
  caller: Receiver | null,
  dest: Dest,
  request: unknown,
  opts: { timeout?: number } | undefined,
): Promise<T> {
  let ms: number
  let p: ReturnType<typeof resolve>
  try {
    if (request === undefined) throw new TypeError('call: a request cannot be undefined; send null or a value')
    checkOpts(opts, 'call')
    ms = opts?.timeout === undefined ? 5000 : checkTimeout(opts.timeout, 'call')
    p = resolve(dest, 'call')
  } catch (e) {
    return Promise.reject(e)
  }
  if (p === undefined) return Promise.reject(new NoProcError(`call: ${String(dest)} is not alive`))
  if (typeof p === 'number') return threads.call<T>(caller, p, request, ms)
  if (p instanceof Pid || p instanceof RemoteService) return nodes.call<T>(caller, p, request, ms)
  const target = p
  const answer = pending<T>()
  const c = new PendingCall(caller, target, lastResolve(), lastReject(), ms)
  if (caller !== null) {
    if (caller._calling === null) caller._calling = [c]
    else caller._calling.push(c)
  }
  const ref = makeRef()
  Ref.setPending(ref, c)
  target._watch(c)
  if (ms !== Number.POSITIVE_INFINITY) arm(c, ms)
  try {
    target._deliver(['$call', [caller === null ? systemPid() : caller.self, ref], request])
  } catch (e) {
    c.settle(e, false)
  }
  return answer
}

/** Answers a call received as ['$call', from, request]. A second reply,
 * or one after the caller timed out, is dropped. */
export function reply(from: From, value: unknown): void {
  if (!Array.isArray(from) || !(from[1] instanceof Ref))
    throw new TypeError("reply(from, value): from must be the second element of a ['$call', from, request] message")
  const c = Ref.pending(from[1])
  if (c instanceof PendingCall) c.settle(value, true)
  else if (from[0] instanceof Pid) (Pid.isLocal(from[0]) ? threads : nodes).reply(from, value)
}

/** Sends an exit signal to `pid` (Erlang's exit/2) from the system pid;
 * use `p.exit` inside a process to be named as the sender. */
export function exit(pid: Pid, reason: unknown): void {
  checkPid(pid, 'exit')
  signals.sendExit(systemPid(), pid, reason)
}
