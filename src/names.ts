// Registered names (seed register-service) for local pids.
import { NameTakenError, NoProcError } from './errors.js'
import { native } from './native.js'
import { checkPid } from './process.js'
import { local } from './thread.js'
import { nodeName, Pid } from './values.js'

function checkName(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string' || name.length === 0)
    throw new TypeError(`${what}: a service name must be a non-empty string`)
}

/** Registers `pid` under `name`. The name is freed when the process exits.
 * Throws NameTakenError when another live process holds the name and
 * NoProcError when `pid` is dead. */
export function registerService(name: string, pid: Pid): void {
  checkName(name, 'registerService')
  checkPid(pid, 'registerService')
  const r = native.nameRegister(name, pid.id)
  if (r === 0) return
  if (r === -1) throw new NoProcError(`registerService: ${pid} is not alive`)
  throw new NameTakenError(
    `registerService: '${name}' is already registered to ${new Pid(nodeName, r)}; unregisterService('${name}') first`,
  )
}

/** Frees `name`; returns whether it was registered. */
export function unregisterService(name: string): boolean {
  checkName(name, 'unregisterService')
  return native.nameUnregister(name)
}

/** The pid registered as `name`, or undefined. */
export function whereis(name: string): Pid | undefined {
  checkName(name, 'whereis')
  const id = native.nameWhereis(name)
  if (id === null || id === undefined) return undefined
  return local.get(id)?.self ?? new Pid(nodeName, id)
}

/** Every registered name, sorted. */
export function registered(): string[] {
  return native.nameList()
}
