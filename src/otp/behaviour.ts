// What the OTP behaviours (server.ts, supervisor.ts) share: the tag of the
// system requests they answer inside a call, and how a behaviour's process
// starts (registered and linked in the step that spawns it).
import type { Process } from '../kernel/process.js'
import { spawn } from '../kernel/spawn.js'
import type { Pid } from '../kernel/values.js'

/** The tag of system requests (upgrade, stop, which_children) inside a call. A portable symbol. */
export const SYS: unique symbol = Symbol.for('bfly.sys') as typeof SYS

/** Spawns `body` (linked to `link` when given), registered as `name` in
 * the same step when given: a refused name creates nothing. */
export function spawnNamed(body: (p: Process) => unknown, name: string | undefined, link: Process | undefined): Pid {
  const opts = name === undefined ? undefined : { name }
  return link === undefined ? spawn(body, opts) : link.spawnLink(body, opts)
}
