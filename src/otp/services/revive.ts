// How a service's client restarts the services when it finds one gone,
// without importing the module that starts them (which imports it).
import { whereis } from '../../kernel/names.js'

let hook: () => void = () => {}

/** Set once by services/index.ts: starts whichever service is missing. */
export function setRevive(f: () => void): void {
  hook = f
}

/** Whether `name` is running, after restarting the services if it was not
 * (main thread only; workers never start services). */
export function running(name: string): boolean {
  if (whereis(name) !== undefined) return true
  hook()
  return whereis(name) !== undefined
}
