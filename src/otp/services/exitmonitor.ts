// EXIT-MONITOR (Butterfly's Exit-Monitor): the node's record of exit
// notifications. Supervisors and KEEP-ALIVE report every EXIT they trap;
// `watchExits(pid)` adds any other process (by monitor). Nothing reaches
// into the core: only what is reported or monitored is recorded.
import { describe } from '../../kernel/errors.js'
import { call } from '../../kernel/messaging.js'
import type { Process } from '../../kernel/process.js'
import { checkPid, type Pid } from '../../kernel/values.js'
import { cast } from '../server.js'
import { running } from './revive.js'
import { log } from './syslog.js'

export const EXIT_MONITOR = 'EXIT-MONITOR'

/** One exit notification. */
export interface ExitRecord {
  /** The process that exited. */
  pid: Pid
  /** Its exit reason, as its links saw it ('normal', 'shutdown', 'kill', an Error...). */
  reason: unknown
  /** When it was observed (Date.now() ms). */
  time: number
  /** The supervisor (or KEEP-ALIVE) that trapped it, if any. */
  supervisor?: Pid
  /** The child id or service name it had there. */
  child?: string
}

/** Which records `exitLog` returns; all criteria must hold. */
export interface ExitQuery {
  /** Only the exits of this process. */
  pid?: Pid
  /** Records with time >= since. */
  since?: number
  /** Only the exits of this child id (supervisor) or service name (KEEP-ALIVE). */
  child?: string
  /** At most this many, the most recent (default: all kept). */
  limit?: number
}

/** How many records the monitor keeps (the oldest go first). */
export const EXIT_LOG_CAPACITY = 10_000

export interface ExitMonitorState {
  ring: ExitRecord[]
  next: number
}

function add(s: ExitMonitorState, r: ExitRecord): void {
  if (s.ring.length < EXIT_LOG_CAPACITY) s.ring.push(r)
  else s.ring[s.next] = r
  s.next = (s.next + 1) % EXIT_LOG_CAPACITY
  const normal = r.reason === 'normal' || r.reason === 'shutdown'
  log(normal ? 'info' : 'warn', `exit ${r.pid} (${r.child ?? '-'}):`, r.reason)
}

function select(s: ExitMonitorState, q: ExitQuery): ExitRecord[] {
  const inOrder = s.ring.length < EXIT_LOG_CAPACITY ? s.ring : [...s.ring.slice(s.next), ...s.ring.slice(0, s.next)]
  const out = inOrder.filter(
    (r) =>
      (q.pid === undefined || q.pid.equals(r.pid)) &&
      (q.since === undefined || r.time >= q.since) &&
      (q.child === undefined || q.child === r.child),
  )
  return q.limit === undefined ? out : out.slice(Math.max(0, out.length - q.limit))
}

/** The EXIT-MONITOR server's handlers. */
export const exitMonitorHandlers = {
  init: (): ExitMonitorState => ({ ring: [], next: 0 }),
  handle(req: unknown, s: ExitMonitorState, _from: unknown, self: Process) {
    if (Array.isArray(req) && req[0] === 'query') return { answer: select(s, (req[1] ?? {}) as ExitQuery), state: s }
    if (Array.isArray(req) && req[0] === 'watch') {
      self.monitor(req[1] as Pid)
      return { answer: true, state: s }
    }
    return { answer: new TypeError(`EXIT-MONITOR: unknown request ${describe(req)}`), state: s }
  },
  cast(msg: unknown, s: ExitMonitorState) {
    if (Array.isArray(msg) && msg[0] === 'exit') add(s, msg[1] as ExitRecord)
    return { state: s }
  },
  info(msg: unknown, s: ExitMonitorState) {
    if (Array.isArray(msg) && msg[0] === 'DOWN') add(s, { pid: msg[2] as Pid, reason: msg[3], time: Date.now() })
    return { state: s }
  },
}

/** Reports an exit to the EXIT-MONITOR (restarted if it was stopped; dropped on a worker with none). */
export function noteExit(pid: Pid, reason: unknown, where: { supervisor?: Pid; child?: string } = {}): void {
  if (running(EXIT_MONITOR)) cast(EXIT_MONITOR, ['exit', { pid, reason, time: Date.now(), ...where }])
}

/** Has the EXIT-MONITOR record `pid`'s exit (it monitors the pid);
 * resolves once the monitor is in place ('noproc' is recorded for a pid
 * already gone). */
export async function watchExits(pid: Pid, opts?: { timeout?: number }): Promise<void> {
  checkPid(pid, 'watchExits')
  running(EXIT_MONITOR)
  await call(EXIT_MONITOR, ['watch', pid], opts)
}

/** The recorded exits matching `q`, oldest first. */
export function exitLog(q: ExitQuery = {}, opts?: { timeout?: number }): Promise<ExitRecord[]> {
  running(EXIT_MONITOR)
  return call<ExitRecord[]>(EXIT_MONITOR, ['query', q], opts)
}
