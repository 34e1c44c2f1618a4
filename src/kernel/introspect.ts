// Introspection (OTP's erlang:process_info): what a process looks like from
// outside, read without disturbing it. Everything here only reads: it
// sends no message and takes nothing from any mailbox.
import { native } from '../native/index.js'
import type { Receiver } from './receiver.js'
import { estimateMailbox, PROCESS_BYTES } from './sizeof.js'
import { local } from './thread.js'
import { checkPid, nodeName, Pid } from './values.js'

/** `'waiting'`: blocked in `receive`/`recv` or on a `call`'s answer.
 * `'running'`: anything else (running now, or awaiting something that is
 * not a message, such as a timer or I/O). */
export type ProcessStatus = 'waiting' | 'running'

/** What started a process: `supervisor()`, `makeServer()` (and the
 * services built on it), or anything else. */
export type ProcessKind = 'supervisor' | 'server' | 'process'

/**
 * One process of the calling thread, as `processes()` and `processInfo()`
 * report it: a snapshot, not kept up to date.
 */
export interface ProcessInfo {
  /** The process. */
  pid: Pid
  /** The names registered to it, sorted. */
  names: string[]
  /** What started it (`supervisor()`, `makeServer()`, or anything else). */
  kind: ProcessKind
  /** Queued user messages (mailbox depth). */
  mailbox: number
  /** Queued EXIT and DOWN messages (the signal lane). */
  signals: number
  /** Messages taken by receive/recv since it started (user messages, and
   * EXIT/DOWN messages a trapping process receives); it only grows, so two
   * readings give a rate. */
  handled: number
  /**
   * Approximate bytes it holds: a fixed 1100 for the process itself (what
   * an idle process waiting in receive measures: its Process, pid, table
   * entry, pending receive and suspended body), plus its mailbox arrays
   * and the estimated size of its queued messages. Not what its body's
   * own data and closures hold: V8 cannot attribute heap to a process.
   */
  memory: number
  /** Linked processes, local and remote. */
  links: Pid[]
  /** Processes it monitors (a monitor by name on another node is not listed). */
  monitors: Pid[]
  /** Processes monitoring it. */
  monitoredBy: Pid[]
  /** Whether exit signals arrive as messages (`p.trapExit(true)`). */
  trapExit: boolean
  /** Waiting for a message (or a call's answer), or running. */
  status: ProcessStatus
}

const kinds = new WeakMap<Receiver, ProcessKind>()

/** @internal What started the process `dest` names, when it is a live
 * process of this thread; undefined when that cannot be told here (another
 * thread or node, a remote service, no such process). */
export function kindOf(dest: unknown): ProcessKind | undefined {
  let p: Receiver | undefined
  if (dest instanceof Pid) p = Pid.isLocal(dest) ? local.get(dest.id) : undefined
  else if (typeof dest === 'string' && dest !== '') {
    const id = native.nameWhereis(dest)
    if (id !== null && id !== undefined) p = local.get(id)
  }
  return p === undefined ? undefined : (kinds.get(p) ?? 'process')
}

/** How an error message names a kind of process. */
export function kindName(kind: ProcessKind): string {
  if (kind === 'server') return 'a makeServer server'
  if (kind === 'supervisor') return 'a supervisor'
  return 'a plain process (started by spawn, not by makeServer or supervisor)'
}

/** @internal Records what started the process behind `pid` (one of this
 * thread) and returns `pid`. */
export function markKind(pid: Pid, kind: ProcessKind): Pid {
  const p = Pid.isLocal(pid) ? local.get(pid.id) : undefined
  if (p !== undefined) kinds.set(p, kind)
  return pid
}

/** Each live id's registered names (one pass over the name table). */
function namesById(): Map<number, string[]> {
  const out = new Map<number, string[]>()
  for (const name of native.nameList()) {
    const id = native.nameWhereis(name)
    if (id === null || id === undefined) continue
    const list = out.get(id)
    if (list === undefined) out.set(id, [name])
    else list.push(name)
  }
  return out
}

function localPid(id: number): Pid {
  return local.get(id)?.self ?? new Pid(nodeName, id)
}

function remotePids(list: { node: string; id: number }[]): Pid[] {
  return list.filter((r) => r.id !== 0).map((r) => new Pid(r.node, r.id))
}

function infos(ps: Receiver[]): ProcessInfo[] {
  const names = namesById()
  const rels = native.procRelations(ps.map((p) => p.self.id))
  const out: ProcessInfo[] = []
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i]
    const r = rels[i]
    if (p._dead || !r.alive) continue
    const mb = p._mb
    const users = mb?.users ?? 0
    out.push({
      pid: p.self,
      names: (names.get(p.self.id) ?? []).sort(),
      kind: kinds.get(p) ?? 'process',
      mailbox: users,
      signals: (mb?.size ?? 0) - users,
      handled: p._handled,
      memory: PROCESS_BYTES + (mb === null ? 0 : estimateMailbox(mb)),
      links: [...r.links.map(localPid), ...remotePids(r.remoteLinks)],
      monitors: [...r.monitors.map(localPid), ...remotePids(r.remoteMonitors)],
      monitoredBy: [...r.monitoredBy.map(localPid), ...remotePids(r.remoteMonitoredBy)],
      trapExit: p._trap,
      status: p._res !== null || (p._calling?.length ?? 0) > 0 ? 'waiting' : 'running',
    })
  }
  return out
}

/**
 * Every live process of the calling thread, by pid order. Reads only: no
 * process is sent anything or interrupted. Links and monitors are read
 * from the process table under one lock, so they are one consistent
 * moment. Processes of other threads (pool workers) are not listed: call
 * this in that thread; `processCount()` counts them all.
 */
export function processes(): ProcessInfo[] {
  return infos(local.values().sort((a, b) => a.self.id - b.self.id))
}

/**
 * `pid`'s ProcessInfo, or undefined when it is not alive. Throws a
 * TypeError when `pid` is not a Pid, lives on another node, or is a live
 * process of another thread of this node (ask in that thread).
 */
export function processInfo(pid: Pid): ProcessInfo | undefined {
  checkPid(pid, 'processInfo')
  if (!Pid.isLocal(pid))
    throw new TypeError(`processInfo: ${pid} lives on node ${pid.node}; ask that node (e.g. its OBSERVER service)`)
  const p = local.get(pid.id)
  if (p === undefined) {
    if (native.procRelations([pid.id])[0].alive)
      throw new TypeError(`processInfo: ${pid} runs on another thread of this node; call processInfo there`)
    return undefined
  }
  return infos([p])[0]
}

/** A JSON-ready ProcessInfo: pids as their `<node.id>` text. */
export interface ProcessInfoJson extends Omit<ProcessInfo, 'pid' | 'links' | 'monitors' | 'monitoredBy'> {
  /** The pid as `<node.id>`. */
  pid: string
  /** Linked pids as `<node.id>`. */
  links: string[]
  /** Monitored pids as `<node.id>`. */
  monitors: string[]
  /** Watching pids as `<node.id>`. */
  monitoredBy: string[]
}

/** `info` with its pids as text (for JSON and the observer page). */
export function infoJson(info: ProcessInfo): ProcessInfoJson {
  const s = (l: Pid[]) => l.map(String)
  return {
    ...info,
    pid: String(info.pid),
    links: s(info.links),
    monitors: s(info.monitors),
    monitoredBy: s(info.monitoredBy),
  }
}
