// KEEP-ALIVE (Butterfly's Keep-Alive Service): a generic supervisor for valued
// services, one name each, with a settable restart heuristic. Default:
// stop restarting after more than 5 failures within one minute ("might be
// code bit-rot"), and log why.
import { describe } from '../../kernel/errors.js'
import { call } from '../../kernel/messaging.js'
import { registerService, whereis } from '../../kernel/names.js'
import type { Process } from '../../kernel/process.js'
import { Pid } from '../../kernel/values.js'
import { type Clock, RestartWindow } from '../intensity.js'
import { StartError } from '../supervisor.js'
import { noteExit } from './exitmonitor.js'
import { running } from './revive.js'
import { log } from './syslog.js'

export const KEEP_ALIVE = 'KEEP-ALIVE'

/** The restart limit of one kept service: more than `maxRestarts` failures within `withinMs` and KEEP-ALIVE gives
 * it up (logged, not restarted). Checked by `keepAlive` before anything starts. */
export interface KeepAliveOptions {
  /** Restarts allowed within `withinMs` (default 5): one more and the service is given up. */
  maxRestarts?: number
  /** Default 60000 ms. */
  withinMs?: number
  /** The heuristic's clock (default Date.now; tests pass a fake one). */
  now?: Clock
}

type Start = () => Pid

interface Kept {
  name: string
  start: Start
  window: RestartWindow
  pid: Pid
}

/** KEEP-ALIVE's state: the kept services by name. */
export type KeepAliveState = Map<string, Kept>

/** Runs `start()` (synchronously: it must return the Pid), links the pid
 * and registers it as `name` unless start did. A failure leaves nothing
 * running and throws a StartError naming the service and the cause. */
function launch(self: Process, name: string, start: Start): Pid {
  const fail = (cause: unknown) => new StartError(name, 'keepAlive: service', cause)
  let pid: unknown
  try {
    pid = start()
  } catch (e) {
    throw fail(e)
  }
  if (pid !== null && typeof pid === 'object' && typeof (pid as PromiseLike<Pid>).then === 'function')
    throw fail(new TypeError("start() returned a promise; it must return the service's Pid at once"))
  if (!(pid instanceof Pid)) throw fail(new TypeError(`start() returned ${describe(pid)}, not a Pid`))
  self.link(pid)
  const holder = whereis(name)
  let why: unknown
  if (holder === undefined) {
    try {
      registerService(name, pid)
      return pid
    } catch (e) {
      why = e
    }
  } else if (holder.equals(pid)) return pid
  else why = new TypeError(`the name is registered to ${holder}, not to the started ${pid}`)
  self.unlink(pid)
  self.exit(pid, 'kill')
  throw fail(why)
}

/** A kept service died: restart it while the heuristic allows. */
function revive(self: Process, s: KeepAliveState, k: Kept, reason: unknown): void {
  noteExit(k.pid, reason, { supervisor: self.self, child: k.name })
  if (reason === 'normal' || reason === 'shutdown') {
    s.delete(k.name)
    return
  }
  for (;;) {
    if (!k.window.allow()) {
      s.delete(k.name)
      log(
        'error',
        `KEEP-ALIVE: '${k.name}' failed more than ${k.window.max} times within ${k.window.withinMs} ms;` +
          ' not restarting it (might be code bit-rot). Last reason:',
        reason,
      )
      return
    }
    try {
      k.pid = launch(self, k.name, k.start)
      log('warn', `KEEP-ALIVE: restarted '${k.name}' as ${k.pid} after`, reason)
      return
    } catch (e) {
      reason = e
    }
  }
}

/** The KEEP-ALIVE server's handlers. */
export const keepAliveHandlers = {
  init(_: unknown, self: Process): KeepAliveState {
    self.trapExit(true)
    return new Map()
  },
  handle(req: unknown, s: KeepAliveState, _from: unknown, self: Process) {
    if (Array.isArray(req) && req[0] === 'keep') {
      const [, name, start, opts] = req as [string, string, Start, KeepAliveOptions]
      if (s.has(name)) return { answer: new TypeError(`keepAlive: '${name}' is already kept alive`), state: s }
      const window = new RestartWindow(opts.maxRestarts ?? 5, opts.withinMs ?? 60_000, opts.now)
      try {
        const pid = launch(self, name, start)
        s.set(name, { name, start, window, pid })
        return { answer: pid, state: s }
      } catch (e) {
        return { answer: e instanceof Error ? e : new Error(describe(e)), state: s }
      }
    }
    if (Array.isArray(req) && req[0] === 'forget') {
      const k = s.get(req[1] as string)
      if (k !== undefined) {
        self.unlink(k.pid)
        s.delete(k.name)
      }
      return { answer: k !== undefined, state: s }
    }
    if (Array.isArray(req) && req[0] === 'status') {
      const k = s.get(req[1] as string)
      return { answer: k === undefined ? null : { pid: k.pid, failures: k.window.count }, state: s }
    }
    return { answer: new TypeError(`KEEP-ALIVE: unknown request ${describe(req)}`), state: s }
  },
  info(msg: unknown, s: KeepAliveState, self: Process) {
    if (Array.isArray(msg) && msg[0] === 'EXIT') {
      for (const k of s.values()) if (k.pid.equals(msg[1])) revive(self, s, k, msg[2])
    }
    return { state: s }
  },
}

/**
 * Keeps the service `name` alive: KEEP-ALIVE calls `start()` (in its own
 * process, on the main thread; synchronously: it must return the pid, as a
 * supervisor child's start), links the pid and registers it as `name`
 * (unless `start` did); the promise resolves once that is done, so the name
 * answers at once. When it exits with a reason other than 'normal' or
 * 'shutdown', the exit goes to the EXIT-MONITOR and the service is started
 * again and re-registered; the (maxRestarts+1)th failure within `withinMs`
 * (default: more than 5 in one minute) gives it up, logged to SYSTEM-LOG
 * with the last reason.
 * @throws (rejects) a TypeError for bad arguments or a name already kept, a RangeError for a bad heuristic,
 * and {@link StartError} (naming the service, with what went wrong as `cause`) when `start` throws, returns a
 * promise or no Pid, or its pid cannot take the name; nothing it started is left running then.
 */
export async function keepAlive(name: string, start: Start, opts: KeepAliveOptions = {}): Promise<Pid> {
  if (typeof name !== 'string' || name === '') throw new TypeError('keepAlive: name must be a non-empty string')
  if (typeof start !== 'function') throw new TypeError('keepAlive: start must be a function () => Pid')
  new RestartWindow(opts.maxRestarts ?? 5, opts.withinMs ?? 60_000) // validates the heuristic now
  running(KEEP_ALIVE)
  const r = await call(KEEP_ALIVE, ['keep', name, start, opts], { timeout: Number.POSITIVE_INFINITY })
  if (r instanceof Error) throw r
  return r as Pid
}

/** Stops keeping `name` alive (the service keeps running). Resolves to whether it was kept. */
export function forgetKeepAlive(name: string): Promise<boolean> {
  return call<boolean>(KEEP_ALIVE, ['forget', name])
}

/** A kept service's current pid and the failures counted in its window,
 * or null when `name` is not (or no longer) kept alive. Answered after
 * every exit KEEP-ALIVE has already seen is handled. */
export function keepAliveStatus(name: string): Promise<{
  /** The pid now registered under `name` (the latest restart's). */
  pid: Pid
  /** Failures counted in the current `withinMs` window. */
  failures: number
} | null> {
  return call(KEEP_ALIVE, ['status', name])
}
