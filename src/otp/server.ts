// The standard server (Butterfly's make-server, OTP gen_server): the user writes
// handlers, the server loop owns the message protocol. Written on the
// public primitives only (spawn, receive, reply, send, call, names).

import { describe, NameTakenError, NoSuchServiceError, ProcessExit } from '../kernel/errors.js'
import { kindName, kindOf, markKind } from '../kernel/introspect.js'
import { call, type From, reply, send } from '../kernel/messaging.js'
import { whereis } from '../kernel/names.js'
import { Process } from '../kernel/process.js'
import { spawn } from '../kernel/spawn.js'
import { checkOpts, type Dest, Pid } from '../kernel/values.js'
import { SYS, spawnNamed } from './behaviour.js'
import { type CodeSpec, fromThisThread, isCodeSpec, swap, UpgradeError } from './codeswap.js'
import {
  BadReturnError,
  checkHandlers,
  type HandlerResult,
  isThenable,
  type ServerHandlers,
  type StateResult,
} from './handlers.js'

export { type CodeSpec, UpgradeError } from './codeswap.js'
export { BadReturnError, type HandlerResult, type ServerHandlers, type StateResult } from './handlers.js'

/** How `makeServer` starts a server. Checked before anything starts: a bad option is a TypeError. */
export interface ServerOptions<Args = unknown> {
  /** Passed to `handlers.init`. */
  args?: Args
  /** Registers the server under this name before `init` runs (Butterfly's register-service). */
  name?: string
  /** The spawning process: the server is spawned linked to it, in one step. */
  link?: Process
  /** Trap exits: EXIT messages go to `info`, except the `link` parent's,
   * which ends the server with the parent's reason (after `terminate`). */
  trapExit?: boolean
}

const OK = [SYS, 'ok'] as const
/** Why a server stops: `stop` given by a handler. */
class Stop {
  constructor(readonly reason: unknown) {}
}

/** The body of a server process. */
function serverLoop(first: ServerHandlers, opts: ServerOptions): (p: Process) => Promise<void> {
  const parent = opts.link?.self
  return async (p) => {
    if (opts.trapExit === true) p.trapExit(true)
    let h = first
    let state: unknown = h.init === undefined ? (opts.args ?? null) : h.init(opts.args, p)
    if (isThenable(state)) state = await state
    // Settles one handler result; returns the stop reason, if any.
    const take = (r: unknown, handler: string): unknown => {
      if (r === null || typeof r !== 'object' || !('state' in r)) throw new BadReturnError(handler, r)
      state = (r as StateResult<unknown>).state
      return (r as StateResult<unknown>).stop
    }
    try {
      for (;;) {
        const m = await p.receive()
        let stop: unknown
        if (Array.isArray(m) && m[0] === '$call' && m.length === 3) {
          const from = m[1] as From
          const req: unknown = m[2]
          if (Array.isArray(req) && req[0] === SYS) {
            if (req[1] === 'upgrade') {
              const r = await swap(req[2], state)
              if (r instanceof Error) reply(from, [SYS, 'error', r])
              else {
                h = r.handlers
                state = r.state
                reply(from, OK)
              }
            } else if (req[1] === 'stop') {
              reply(from, OK)
              stop = new Stop(req[2])
            } else reply(from, [SYS, 'error', new TypeError(`unknown system request ${describe(req[1])}`)])
          } else {
            if (h.handle === undefined)
              throw new TypeError(`server ${p.self} got a call but its handlers have no handle(request, state, from)`)
            let r: unknown = h.handle(req, state, from, p)
            if (isThenable(r)) r = await r
            stop = take(r, 'handle')
            const answer = (r as HandlerResult<unknown>).answer
            if (answer !== undefined) reply(from, answer)
          }
        } else if (Array.isArray(m) && m[0] === '$cast' && m.length === 2) {
          if (h.cast !== undefined) {
            let r: unknown = h.cast(m[1], state, p)
            if (isThenable(r)) r = await r
            stop = take(r, 'cast')
          }
        } else if (parent !== undefined && Array.isArray(m) && m[0] === 'EXIT' && parent.equals(m[1])) {
          stop = new Stop(m[2])
        } else if (h.info !== undefined) {
          let r: unknown = h.info(m, state, p)
          if (isThenable(r)) r = await r
          stop = take(r, 'info')
        }
        if (stop !== undefined) {
          const reason = stop instanceof Stop ? stop.reason : stop
          await finish(h, reason, state)
          if (reason === 'normal') return
          throw new Stopped(reason)
        }
      }
    } catch (e) {
      // Killed (only a dead process's own operations throw ProcessExit):
      // nothing of it may run any more.
      if (e instanceof ProcessExit) throw e
      if (e instanceof Stopped) throw e.reason
      await finish(h, e, state)
      throw e
    }
  }
}

/** Ends the loop with `reason` once terminate has run (so the catch does not run it twice). */
class Stopped {
  constructor(readonly reason: unknown) {}
}

/** Runs `terminate`; its throw replaces the exit reason (as in OTP). */
async function finish(h: ServerHandlers, reason: unknown, state: unknown): Promise<void> {
  if (h.terminate === undefined) return
  try {
    const r = h.terminate(reason, state)
    if (isThenable(r)) await r
  } catch (e) {
    throw new Stopped(e)
  }
}

/**
 * Starts a server (Butterfly's make-server) and returns its pid at once.
 *
 * Start: with `opts.name` the name is registered before anything runs (a
 * name already taken throws NameTakenError and starts nothing); with
 * `opts.link` the server is spawned linked to that process in one step.
 * Then `init(opts.args)` gives the state; a throw there ends the server
 * with that error. Messages are handled one at a time in arrival order,
 * each after the previous handler has settled:
 *
 * - `['$call', from, request]` (from `call`): `handle(request, state, from)`;
 *   `{ answer, state }` replies now, `{ state }` leaves the reply to a later
 *   `reply(from, v)`. A late reply to a caller that timed out is dropped.
 *   Without a `handle`, a call ends the server with a TypeError.
 * - `['$cast', msg]` (from `cast`): `cast(msg, state)` -> `{ state }`; dropped without one.
 * - An EXIT from the `link` parent (with `opts.trapExit`): the server stops
 *   with the parent's reason, running `terminate`.
 * - Anything else (EXIT and DOWN included): `info(msg, state)` -> `{ state }`;
 *   dropped without one.
 * - System requests (`upgrade`, `stopServer`): see those functions.
 *
 * Ending: a result with `stop: reason` ends the server with `reason` after
 * replying; a handler that throws, or returns a malformed result
 * (BadReturnError, naming the handler), ends it with that error. In every
 * such case `terminate(reason, state)` runs first, and its own throw
 * replaces the reason. Linked processes get the reason; pending callers get
 * NoProcError carrying it. An untrappable kill (or any exit signal without
 * `trapExit`) ends it at once, without `terminate`.
 *
 * @throws a TypeError for handlers that are not functions or a bad option, and {@link NameTakenError} when
 * `opts.name` is registered to another live process; nothing is started then.
 * @example
 * ```ts
 * const counter = {
 *   init: (n: number) => n,
 *   handle: (k: number, s: number) => ({ answer: s + k, state: s + k }), // a call
 *   cast: (k: number, s: number) => ({ state: s + k }), // a cast: no answer
 * }
 * makeServer(counter, { name: 'COUNTER', args: 0 })
 * cast('COUNTER', 2)
 * await call('COUNTER', 5) // 7
 * ```
 */
export function makeServer<S, Req = unknown, Ans = unknown, Args = unknown>(
  handlers: ServerHandlers<S, Req, Ans, Args>,
  opts: ServerOptions<Args> = {},
): Pid {
  checkHandlers(handlers, 'makeServer')
  if (opts === null || typeof opts !== 'object') throw new TypeError('makeServer: opts must be an object')
  const { name, link } = opts
  if (name !== undefined && (typeof name !== 'string' || name.length === 0))
    throw new TypeError('makeServer: opts.name must be a non-empty string')
  if (link !== undefined && !(link instanceof Process))
    throw new TypeError('makeServer: opts.link must be the spawning Process (the p a process body receives)')
  if (name !== undefined) {
    const holder = whereis(name)
    if (holder !== undefined) throw new NameTakenError(`makeServer: '${name}' is already registered to ${holder}`)
  }
  return markKind(spawnNamed(serverLoop(handlers as ServerHandlers, opts as ServerOptions), name, link), 'server')
}

/** Sends `msg` to a server's `cast` handler; one-way, never blocks (as `send`).
 * @throws a TypeError for an `undefined` message, and what `send` throws ({@link NoSuchServiceError} for an
 * unregistered name, {@link NotPortableError} for a value that cannot reach another thread or node). */
export function cast(dest: Dest, msg: unknown): void {
  if (msg === undefined) throw new TypeError('cast: a message cannot be undefined; send null or a value')
  send(dest, ['$cast', msg])
}

function sysCall(dest: Dest, req: unknown[], what: string, timeout: number | undefined): Promise<void> {
  const kind = kindOf(dest)
  if (kind !== undefined && kind !== 'server')
    return Promise.reject(new UpgradeError(`${what}: ${String(dest)} is ${kindName(kind)}, not a makeServer server`))
  return call(dest, req, timeout === undefined ? undefined : { timeout }).then((r) => {
    if (Array.isArray(r) && r[0] === SYS && r[1] === 'ok') return
    if (Array.isArray(r) && r[0] === SYS && r[1] === 'error') {
      const cause = r[2]
      throw new UpgradeError(`${what} of ${String(dest)} failed: ${describe(cause)}`, { cause })
    }
    throw new UpgradeError(`${what}: ${String(dest)} is not a makeServer server: it answered ${describe(r)}`)
  })
}

/**
 * Hot code loading (Butterfly's FRU): the server switches to `code` between two
 * messages. Every message before the upgrade request is handled by the old
 * handlers, every one after by the new; none is lost. The state passes
 * through `code.codeChange(oldState)` when present. `code` is a handlers
 * object (same thread) or a `{ module, export }` spec the server imports
 * (what travels to other threads and nodes). Resolves once swapped; rejects
 * with UpgradeError, the server unchanged, when loading or codeChange fails.
 * A spec sent from another thread or node must name a module the server's
 * node admits (listed in `startNode({ modules })`, or installed there by
 * `loadCode`): any cookie holder may call a server, so anything else is
 * refused (UpgradeError whose `cause` is a RefusedError).
 * @throws (rejects) {@link UpgradeError} as above or when `dest` is not a `makeServer` server, a TypeError for
 * bad handlers, and what `call` rejects with ({@link TimeoutError}, {@link NoProcError},
 * {@link NoSuchServiceError}).
 */
export function upgrade(dest: Dest, code: ServerHandlers | CodeSpec, opts?: { timeout?: number }): Promise<void> {
  try {
    checkOpts(opts, 'upgrade')
    if (isCodeSpec(code)) fromThisThread(code)
    else checkHandlers(code, 'upgrade')
  } catch (e) {
    return Promise.reject(e)
  }
  return sysCall(dest, [SYS, 'upgrade', code], 'upgrade', opts?.timeout)
}

/** Stops a server: `terminate(reason, state)` runs, then it exits with
 * `reason` (default 'normal'). Resolves once it has exited (its links
 * and monitors have been told); rejects as `call` does when it is not running.
 * @throws (rejects) {@link NoSuchServiceError} for an unregistered name, {@link NoProcError} or
 * {@link TimeoutError} as `call`, {@link UpgradeError} when `dest` is not a `makeServer` server. */
export function stopServer(dest: Dest, reason: unknown = 'normal', opts?: { timeout?: number }): Promise<void> {
  try {
    checkOpts(opts, 'stopServer')
  } catch (e) {
    return Promise.reject(e)
  }
  return new Promise<void>((resolve, reject) => {
    // A helper process monitors the server, so the promise waits for its DOWN.
    spawn(async (p) => {
      try {
        const pid = typeof dest === 'string' ? whereis(dest) : dest
        if (pid === undefined) throw new NoSuchServiceError(dest as string)
        // A { node, name } destination has no pid here to monitor: its acknowledgement is all there is.
        const ref = pid instanceof Pid ? p.monitor(pid) : undefined
        await sysCall(pid, [SYS, 'stop', reason], 'stopServer', opts?.timeout)
        if (ref !== undefined) await p.receive((m) => Array.isArray(m) && m[0] === 'DOWN' && ref.equals(m[1]))
        resolve()
      } catch (e) {
        reject(e)
      }
    })
  })
}
