// Process groups (Erlang's pg): named groups of processes across the
// cluster, in independent scopes. Each scope has a server per node
// (pgscope.ts) that keeps the scope's tables and trades joins and leaves
// with the same scope's servers on linked nodes. Writes (`join`, `leave`,
// group monitors) are calls to this node's server; reads (`members`) take
// no message: they read the scope's tables on this thread, as Erlang's read
// its ETS table.
import { NoProcError } from '../kernel/errors.js'
import { call } from '../kernel/messaging.js'
import type { Process } from '../kernel/process.js'
import { Pid, Ref } from '../kernel/values.js'
import { checkScope, live, type ScopeOption, serverName, startScope } from './pgscope.js'

export { type GroupEvent, type ScopeOption, startScope } from './pgscope.js'

function checkGroup(group: unknown, what: string): asserts group is string {
  if (typeof group !== 'string' || group.length === 0) throw new TypeError(`${what}: group must be a non-empty string`)
}

function pidList(pids: unknown, what: string): Pid[] {
  const list = Array.isArray(pids) ? (pids as unknown[]) : [pids]
  for (const p of list) {
    if (!(p instanceof Pid)) throw new TypeError(`${what}: expected a pid or a list of pids`)
    if (!Pid.isLocal(p)) throw new TypeError(`${what}: ${p} is a process of another node; only local processes join`)
  }
  return list as Pid[]
}

/**
 * Makes `pids` (processes of this node; one pid or a list) members of
 * `group` in the scope, starting the scope's server if it is not running.
 * A process may join a group more than once and is then listed once per
 * join. Members leave when they exit. Resolves once this node's tables
 * list them; other nodes hear of it next, in order.
 * @throws a TypeError for an empty group or scope, or a pid of another node.
 */
export async function join(group: string, pids: Pid | readonly Pid[], opts?: ScopeOption): Promise<void> {
  const scope = checkScope(opts, 'join')
  checkGroup(group, 'join')
  const list = pidList(pids, 'join')
  await call(startScope(scope), ['join', group, list])
}

/** Takes one join of each of `pids` out of `group`. Resolves to whether
 * any of them was a member. */
export async function leave(group: string, pids: Pid | readonly Pid[], opts?: ScopeOption): Promise<boolean> {
  const scope = checkScope(opts, 'leave')
  checkGroup(group, 'leave')
  const list = pidList(pids, 'leave')
  if (live(scope) === undefined) return false
  return (await call(serverName(scope), ['leave', group, list])) === true
}

/** Every member of `group`, on every node this one is linked with (a pid once per join); [] when the scope's
 * server is not running on this thread. Takes no message. */
export function members(group: string, opts?: ScopeOption): Pid[] {
  const scope = checkScope(opts, 'members')
  checkGroup(group, 'members')
  return [...(live(scope)?.all.get(group) ?? [])]
}

/** The members of `group` that are processes of this node. */
export function localMembers(group: string, opts?: ScopeOption): Pid[] {
  const scope = checkScope(opts, 'localMembers')
  checkGroup(group, 'localMembers')
  return [...(live(scope)?.local.get(group) ?? [])]
}

/** Every group of the scope with a member anywhere. */
export function whichGroups(opts?: ScopeOption): string[] {
  return [...(live(checkScope(opts, 'whichGroups'))?.all.keys() ?? [])]
}

/** What `monitorGroup` resolves to. */
export interface GroupMonitor {
  /** The ref every {@link GroupEvent} of this monitor carries; `demonitorGroup(ref)` ends it. */
  ref: Ref
  /** The members when the monitor started: a list for one group, a Map of group to members for the scope. */
  members: Pid[] | Map<string, Pid[]>
}

/**
 * Process `p` watches `group` (every group of the scope when `group` is
 * null): resolves to the monitor's ref and the members now; from then on
 * `p` gets a {@link GroupEvent} for each join and leave, wherever the
 * member lives, until `demonitorGroup(ref)` or `p` exits.
 */
export async function monitorGroup(p: Process, group: string | null, opts?: ScopeOption): Promise<GroupMonitor> {
  const scope = checkScope(opts, 'monitorGroup')
  if (group !== null) checkGroup(group, 'monitorGroup')
  const [ref, now] = (await call(startScope(scope), ['monitor', group, p.self])) as [Ref, unknown]
  return { ref, members: group === null ? new Map(now as [string, Pid[]][]) : (now as Pid[]) }
}

/** Stops group monitor `ref`; resolves to whether it was active. */
export async function demonitorGroup(ref: Ref, opts?: ScopeOption): Promise<boolean> {
  const scope = checkScope(opts, 'demonitorGroup')
  if (!(ref instanceof Ref)) throw new TypeError('demonitorGroup(ref): ref must come from monitorGroup')
  if (live(scope) === undefined) return false
  return (await call(serverName(scope), ['demonitor', ref])) === true
}

/** How `callGroup` picks the member it calls. */
export interface PickOptions extends ScopeOption {
  /** 'random' (the default): any member; 'local': a member of this node when there is one, else any. */
  pick?: 'random' | 'local'
  /** As for `call` (default 5000 ms). */
  timeout?: number
}

/** The member of `group` that `callGroup` would call now, or undefined when it has none. */
export function pickMember(group: string, opts?: PickOptions): Pid | undefined {
  const pick = opts?.pick ?? 'random'
  if (pick !== 'random' && pick !== 'local') throw new TypeError("pick must be 'random' or 'local'")
  const near = pick === 'local' ? localMembers(group, opts) : []
  const from = near.length > 0 ? near : members(group, opts)
  return from[Math.floor(Math.random() * from.length)]
}

/**
 * `call`s one member of `group`, picked as `opts.pick` says.
 * @throws (rejects) NoProcError when the group has no member; whatever the call rejects with.
 */
export function callGroup<T = unknown>(group: string, request: unknown, opts?: PickOptions): Promise<T> {
  let pid: Pid | undefined
  try {
    pid = pickMember(group, opts)
  } catch (e) {
    return Promise.reject(e)
  }
  if (pid === undefined)
    return Promise.reject(
      new NoProcError(`callGroup: group '${group}' has no member in scope '${opts?.scope ?? 'pg'}'`),
    )
  return call<T>(pid, request, opts?.timeout === undefined ? undefined : { timeout: opts.timeout })
}
