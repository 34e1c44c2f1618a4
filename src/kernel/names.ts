// Registered names (Butterfly's register-service) for local pids.

import { native } from '../native/index.js'
import { NameTakenError, NoProcError } from './errors.js'
import { local } from './thread.js'
import { checkPid, nodeName, Pid, RemoteService } from './values.js'

const { NoProc: NO_PROC, Alias: ALIAS, Ok: OK } = native.NameCode

/** Throws a TypeError unless `name` can name a service. */
export function checkName(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string' || name.length === 0)
    throw new TypeError(`${what}: a service name must be a non-empty string`)
}

/** Registers `pid` under `name`; the name is freed when the process exits.
 * With a RemoteService (Butterfly's register-service of a remote-service), `name`
 * stands for that service of another node: sends and calls to `name` go
 * there, from this node and from nodes that reach `name` here. Throws
 * NameTakenError when another live process holds the name (or a local
 * process is given a name that stands for a remote service) and
 * NoProcError when `pid` is dead.
 * @throws {@link NameTakenError} or {@link NoProcError} as above (the name is unchanged); a TypeError for an
 * empty name, a non-pid, or a pid of another node (register a `remoteService` instead). */
export function registerService(name: string, pid: Pid | RemoteService): void {
  checkName(name, 'registerService')
  if (pid instanceof RemoteService) {
    taken(name, native.nameRegisterAlias(name, pid.node, pid.name))
    return
  }
  checkPid(pid, 'registerService')
  if (!Pid.isLocal(pid))
    throw new TypeError(
      `registerService: ${pid} lives on another node; register remoteService('${pid.node}', { name }) instead`,
    )
  const r = native.nameRegister(name, pid.id)
  if (r === NO_PROC) throw new NoProcError(`registerService: ${pid} is not alive`)
  taken(name, r)
}

function taken(name: string, r: number): void {
  if (r === OK) return
  const who = r === ALIAS ? 'a remote service' : `${new Pid(nodeName, r)}`
  throw new NameTakenError(
    `registerService: '${name}' is already registered to ${who}; unregisterService('${name}') first`,
  )
}

/** Frees `name`; returns whether it was registered. */
export function unregisterService(name: string): boolean {
  checkName(name, 'unregisterService')
  return native.nameUnregister(name)
}

/** The pid registered as `name`, or undefined: the committed state of the
 * registry (an STM table shared by every thread; see `tx.whereis` to read
 * it inside a transaction). */
export function whereis(name: string): Pid | undefined {
  checkName(name, 'whereis')
  const id = native.nameWhereis(name)
  if (id === null || id === undefined) return undefined
  return localPid(id)
}

/** The Pid of local process `id` (this thread's own object when it runs here). */
export function localPid(id: number): Pid {
  return local.get(id)?.self ?? new Pid(nodeName, id)
}

/** Every registered name, sorted. */
export function registered(): string[] {
  return native.nameList()
}
