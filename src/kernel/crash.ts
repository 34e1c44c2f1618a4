// Crash reports (Erlang's default error_logger report): a process whose own
// body threw or rejected, with nobody linked to it or monitoring it, would
// otherwise end without a trace. One line goes to stderr and, once the
// system services have registered their writer here, to the system log.
import { native } from '../native/index.js'
import { describe } from './errors.js'
import type { Pid } from './values.js'

/** Where a crash report goes besides stderr (SYSTEM-LOG registers itself). */
export type CrashLog = (line: string, reason: unknown) => void

let logTo: CrashLog | null = null
let enabled = process.env.BFLY_CRASH_REPORTS !== '0'

/** @internal Set once by the system log (src/otp/services/syslog.ts). */
export function setCrashLog(f: CrashLog): void {
  logTo = f
}

/**
 * Switches crash reports on or off for this thread and returns the previous
 * setting. On by default; `BFLY_CRASH_REPORTS=0` in the environment turns
 * them off in every thread from the start.
 *
 * A crash report is one line on stderr, also written to the system log at
 * level 'error', for a process whose body threw or rejected (a `makeServer`
 * handler that threw included) while no process was linked to it or
 * monitored it: those would learn of the exit, so they get it instead.
 * Never for the reasons 'normal', 'shutdown' and 'killed', nor for a process
 * ended by an exit signal from another.
 * @example
 * ```ts
 * spawn(async () => { throw new Error('x') })
 * // stderr: bfly crash report: process <nonode@nohost.12> exited with Error: x | at ... | at ...
 * crashReports(false) // silence them (tests that crash processes on purpose)
 * ```
 */
export function crashReports(on: boolean): boolean {
  if (typeof on !== 'boolean') throw new TypeError('crashReports(on): on must be a boolean')
  const was = enabled
  enabled = on
  return was
}

/** Whether a process ending with `reason` may need a report. */
export function reportable(reason: unknown): boolean {
  return enabled && reason !== 'normal' && reason !== 'shutdown' && reason !== 'killed'
}

/** The names registered to local process `id` (read before it exits, which frees them). */
export function namesOf(id: number): string[] {
  return native.nameList().filter((n) => native.nameWhereis(n) === id)
}

/** `reason` as one line: an error's stack with its lines joined by ' | '. */
function oneLine(reason: unknown): string {
  const stack = reason instanceof Error || isNativeError(reason) ? (reason as Error).stack : undefined
  if (typeof stack !== 'string') return describe(reason).replace(/\s*\n\s*/g, ' | ')
  return stack
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' | ')
}

function isNativeError(v: unknown): boolean {
  return Object.prototype.toString.call(v) === '[object Error]'
}

/** Writes the crash report of `pid` (registered as `names`) that ended with `reason`. */
export function report(pid: Pid, names: string[], reason: unknown): void {
  const who = names.length > 0 ? `${pid} (${names.join(', ')})` : String(pid)
  const line = `crash report: process ${who} exited with ${oneLine(reason)}`
  process.stderr.write(`bfly ${line}\n`)
  try {
    logTo?.(line, reason)
  } catch {
    // The report is on stderr; a log that cannot take it must not end the caller.
  }
}
