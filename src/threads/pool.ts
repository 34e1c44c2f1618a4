// The worker pool: processes spawned with { thread: 'pool' } run on worker
// threads, each its own JS environment sharing the native process table.
// Workers start lazily (under tsx when bfly itself runs as TypeScript) and
// are picked round-robin. The pid is made on the caller's thread, owned by
// the worker's reserved thread id, together with the Spawn delivery that
// starts it there (crates/core/src/placement.rs): nothing sent to the pid
// can arrive before it exists, even while its worker is still starting.
//
// Keeping Node alive: a worker is ref'd from the spawn that gives it work
// until it reports that every process spawned on it so far has ended; an
// idle pool never keeps the program open.
import { availableParallelism } from 'node:os'
import { isMainThread, Worker } from 'node:worker_threads'
import { encode } from '../kernel/codec.js'
import { ProcessExit } from '../kernel/errors.js'
import { bodyOf, start } from '../kernel/process.js'
import type { Receiver } from '../kernel/receiver.js'
import { type SpawnSpec, specifier } from '../kernel/spec.js'
import { POOL_THREAD, startThread } from '../kernel/thread.js'
import { nodeName, Pid } from '../kernel/values.js'
import { native, procSpawnLink, procSpawnOn } from '../native/index.js'
import { drainInbox } from './inbox.js'

const { ParentDead: PARENT_DEAD } = native.SpawnOnCode

/** Options of `configurePool`. */
export interface PoolOptions {
  /** How many worker threads the pool may start (default: the number of cores). */
  size?: number
}

/** Whether the program runs under tsx (`node --import tsx`, or the tsx
 * command, which passes its loader by path): the pool's workers then
 * register it too, so `.ts` spawn specs load on them as on this thread. */
const underTsx = process.execArgv.some((a) => /(^|[=/\\])tsx([/\\]|$)/.test(a))

/** One pool worker: its native thread id and how much work it was given. */
class Slot {
  /** Spawns sent to this worker; it is idle once it has taken them all
   * and they have all ended. */
  sent = 0
  refd = false
  readonly worker: Worker
  constructor(
    readonly thread: number,
    index: number,
  ) {
    const ts = import.meta.url.endsWith('.ts')
    this.worker = new Worker(new URL('./poolboot.mjs', import.meta.url), {
      workerData: {
        [POOL_THREAD]: thread,
        tsx: ts || underTsx,
        entry: new URL(`./poolworker.${ts ? 'ts' : 'js'}`, import.meta.url).href,
      },
      name: `bfly-pool-${index}`,
    })
    this.worker.unref()
    this.worker.on('message', (m: unknown) => {
      // ['idle', n]: every process of the n spawns it has taken has ended.
      if (Array.isArray(m) && m[0] === 'idle' && m[1] === this.sent && this.refd) {
        // What the worker posted before it said so is in this thread's
        // inbox, but its wake-up (an unref'd async handle, like the weak
        // threadsafe function before it) may not have run yet: once the
        // worker is unref'd, a loop with nothing else to do would end
        // before it. Take all of it now.
        drainInbox(true)
        this.refd = false
        this.worker.unref()
      }
    })
    this.worker.on('error', (e) => console.error(`bfly: pool worker ${index} failed:`, e))
    this.worker.on('exit', () => {
      // Its processes die with 'thread_exit' (also when it never started).
      native.threadForget(thread, nodeName)
      if (slots[index] === this) slots[index] = undefined
    })
  }
  /** Counts a spawn sent to this worker and keeps Node alive for it. */
  gave(): void {
    this.sent++
    if (!this.refd) {
      this.refd = true
      this.worker.ref()
    }
  }
}

let size = availableParallelism()
const slots: (Slot | undefined)[] = []
let turn = 0

/** Sets the pool's size. Workers already started beyond the new size get
 * no new processes; the ones they run keep running.
 * @throws a TypeError for a size that is not an integer >= 1 (the size is unchanged). */
export function configurePool(opts: PoolOptions): void {
  const n = opts?.size
  if (n !== undefined && (!Number.isInteger(n) || n < 1))
    throw new TypeError(`configurePool: size must be an integer >= 1, got ${String(n)}`)
  if (n !== undefined) size = n
}

/** The pool's size and how many of its workers are running. */
export function poolInfo(): {
  /** How many workers the pool may start (`configurePool`'s size, or the number of cores). */
  size: number
  /** How many workers are running now (started lazily, by the spawns that need them). */
  started: number
} {
  return { size, started: slots.filter((s) => s !== undefined).length }
}

/** Stops every pool worker; their processes die with 'thread_exit'. Resolves
 * once they are gone. The pool starts new workers on the next spawn. */
export async function stopPool(): Promise<void> {
  const all = slots.filter((s): s is Slot => s !== undefined)
  slots.length = 0
  // A timer holds the event loop until they are gone: a worker's exit
  // alone did not keep it up (seen under ava: the promise was left pending).
  const hold = setInterval(() => {}, 2 ** 30)
  try {
    await Promise.all(all.map((s) => s.worker.terminate()))
  } finally {
    clearInterval(hold)
  }
}

function pick(): number {
  const i = turn++ % size
  if (slots[i] === undefined) slots[i] = new Slot(native.threadReserve(), i)
  return i
}

/** Starts `spec` on a pool worker (linked to `parent` when given, in the
 * same step) and returns its pid at once. Throws NotPortableError when an
 * argument cannot travel. Off the main thread the caller's own thread is
 * the pool's (workers do not start workers). */
export function poolSpawn(spec: SpawnSpec, parent: Receiver | null, what: string): Pid {
  if (!isMainThread) {
    const body = bodyOf(spec, what)
    startThread()
    return start(parent === null ? native.procSpawn() : procSpawnLink(parent.self.id), body)
  }
  // Args are encoded on their own so a NotPortableError names 'args[i]...'.
  const payload = encode([specifier(spec.module), spec.fn, encode(spec.args ?? [], 'args')])
  // A worker that died but whose exit event has not come yet refuses (-1):
  // forget it and take the next one (a fresh worker in its place).
  for (let tries = 0; tries <= size; tries++) {
    const i = pick()
    const slot = slots[i] as Slot
    const id = procSpawnOn(slot.thread, parent === null ? 0 : parent.self.id, payload, nodeName)
    if (id > 0) {
      slot.gave()
      return new Pid(nodeName, id)
    }
    if (id === PARENT_DEAD) throw new ProcessExit(parent?._reason)
    slots[i] = undefined
  }
  throw new Error(`${what}: no pool worker could be started`)
}
