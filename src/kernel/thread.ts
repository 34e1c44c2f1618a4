// This JS thread's runtime: its processes by id, its registration with the
// native side and its system pid. Registration is made on first use (the
// first spawn, call, or anything that needs the thread's id), never when a
// module is imported; a pool worker registers explicitly at boot
// (src/threads/poolworker.ts), under the id its spawner reserved.
import { isMainThread, workerData } from 'node:worker_threads'
import { native } from '../native/index.js'
import { IdTable } from './idtable.js'
import type { Receiver } from './receiver.js'
import { threads } from './route.js'
import { nodeName, Pid } from './values.js'

/** Processes of this thread, by id. */
export const local = new IdTable<Receiver>()

/** The workerData key under which the pool (src/threads/pool.ts) hands a worker
 * the thread id it reserved for it. */
export const POOL_THREAD = 'bfly.poolThread'

/** The reserved thread id when this thread is a pool worker. */
export const poolThread: number | undefined = isMainThread
  ? undefined
  : ((workerData as Record<string, unknown> | null)?.[POOL_THREAD] as number | undefined)

/** This JS thread's id in the native thread registry; 0 until registered. */
let thread = 0
let system: Pid | null = null

/**
 * Registers this JS thread with the native side (once; later calls return
 * its id): its inbox, woken through the threads route's drain, and its
 * system pid. Deliveries for it queue natively until then.
 */
export function startThread(): number {
  if (thread === 0) {
    thread = native.threadRegister(() => threads.drain(), nodeName, poolThread)
    system = new Pid(nodeName, native.procSpawnSystem())
  }
  return thread
}

/** Whether this thread has registered (`startThread`). */
export function started(): boolean {
  return thread !== 0
}

/** This JS thread's id in the native thread registry (registering it on first use). */
export function threadId(): number {
  return thread !== 0 ? thread : startThread()
}

/** The pid exit signals from outside any process come from, and calls
 * made outside processes are answered through: one per thread, owned by
 * it (registering the thread on first use). */
export function systemPid(): Pid {
  if (system === null) startThread()
  return system as Pid
}

// A worker thread stays alive while it has live processes (others may
// message them); the main thread's life is the program's, so it is never
// held open by idle processes. One long timer, ref'd on 0 -> 1 processes
// and unref'd on 1 -> 0.
const holdOpen = isMainThread ? null : setInterval(() => {}, 2 ** 30)
holdOpen?.unref()

export function addLocal(p: Receiver): void {
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
