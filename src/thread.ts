// Per-JS-thread state: the local process map, the native argument block
// and the thread's registration with the native inboxes.
import { isMainThread } from 'node:worker_threads'
import { drainInbox } from './crossthread.js'
import { IdTable } from './idtable.js'
import { native } from './native.js'
import type { Process } from './process.js'
import { nodeName, Pid } from './values.js'

/** Processes of this thread, by id. */
export const local = new IdTable<Process>()

/** The argument block of the hot native calls (see crates/node): fill,
 * then call. Kept referenced here for the life of this thread. */
export const A = new Float64Array(16)

/** This JS thread's id in the native thread registry. */
export const thread = native.threadRegister(() => drainInbox(), A, nodeName)

/** The pid exit signals from outside any process come from, and calls
 * made outside processes are answered through: one per thread, owned by
 * it (so it must be made after the thread registers). */
export const systemPid = new Pid(nodeName, native.procSpawnSystem())

// A worker thread stays alive while it has live processes (others may
// message them); the main thread's life is the program's, so it is never
// held open by idle processes. One long timer, ref'd on 0 -> 1 processes
// and unref'd on 1 -> 0.
const holdOpen = isMainThread ? null : setInterval(() => {}, 2 ** 30)
holdOpen?.unref()

export function addLocal(p: Process): void {
  local.set(p.self.id, p)
  if (holdOpen !== null && local.size === 1) holdOpen.ref()
}

export function removeLocal(id: number): void {
  local.delete(id)
  if (holdOpen !== null && local.size === 0) holdOpen.unref()
}
