// Per-JS-thread state: the local process map, the native argument block
// and the thread's registration with the native inboxes.
import { isMainThread, workerData } from 'node:worker_threads'
import { native } from '../native/addon.js'
import { drainInbox } from '../threads/inbox.js'
import { IdTable } from './idtable.js'
import type { Process } from './process.js'
import { nodeName, Pid } from './values.js'

/** Processes of this thread, by id. */
export const local = new IdTable<Process>()

/** The argument block of the hot native calls (see crates/binding): fill,
 * then call. Kept referenced here for the life of this thread. */
export const A = new Float64Array(16)

/** The workerData key under which the pool (src/threads/pool.ts) hands a worker
 * the thread id it reserved for it. */
export const POOL_THREAD = 'bfly.poolThread'

/** The reserved thread id when this thread is a pool worker. */
export const poolThread: number | undefined = isMainThread
  ? undefined
  : ((workerData as Record<string, unknown> | null)?.[POOL_THREAD] as number | undefined)

/** This JS thread's id in the native thread registry. */
export const thread = native.threadRegister(() => drainInbox(), A, nodeName, poolThread)

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

/** Called when this thread's last process ends (a pool worker tells its
 * spawner it is idle). */
let onIdle: (() => void) | null = null

export function setOnIdle(fn: (() => void) | null): void {
  onIdle = fn
}

export function removeLocal(id: number): void {
  local.delete(id)
  if (local.size === 0) {
    holdOpen?.unref()
    onIdle?.()
  }
}
