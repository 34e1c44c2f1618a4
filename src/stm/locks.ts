// withLocks(resources, fn, { timeout }): the all-or-none multi-lock
// (docs/API.md, STM). The lock table is Rust state shared by every thread of the
// node (crates/stm/src/locks.rs); a queued request is woken through
// this thread's inbox when it is granted, never by polling.
import { TimeoutError } from '../kernel/errors.js'
import { threadId } from '../kernel/thread.js'
import { expect, forget } from '../kernel/wakeups.js'
import { native } from '../native/index.js'

/** Options of `withLocks`. */
export interface LockOptions {
  /** Give up after this many ms without the locks (TimeoutError; nothing was taken). */
  timeout?: number
}

const { Withdrawn: WITHDRAWN, Granted: GRANTED } = native.LockCancel

/** This thread's id, with its locks released when its environment is torn
 * down (registered by its first withLocks). */
let lockThread = 0
function lockerId(): number {
  if (lockThread === 0) {
    lockThread = threadId()
    native.stmThreadInit(lockThread)
  }
  return lockThread
}

function checkArgs(resources: unknown, fn: unknown, opts: LockOptions | undefined): string[] {
  if (!Array.isArray(resources) || !resources.every((r) => typeof r === 'string' && r !== '')) {
    throw new TypeError('withLocks(resources, fn): resources must be an array of non-empty strings')
  }
  if (typeof fn !== 'function') throw new TypeError('withLocks(resources, fn): fn must be a function')
  const t = opts?.timeout
  if (t !== undefined && !(typeof t === 'number' && t >= 0 && Number.isFinite(t))) {
    throw new TypeError(`withLocks: timeout must be a finite number of ms >= 0, got ${String(t)}`)
  }
  return resources
}

async function holding<R>(ticket: number, fn: () => R | Promise<R>): Promise<Awaited<R>> {
  try {
    return await fn()
  } finally {
    native.lockRelease(ticket)
  }
}

/**
 * Takes every lock named in `resources` or none, runs `fn`, and holds them
 * until its result (or returned promise) settles; resolves with the result.
 * A request waits, holding nothing, until all its names are free at once,
 * so no one ever sees it holding part of them and no deadlock can form.
 * Locks are not reentrant: asking again for a lock you hold waits for
 * yourself (use a timeout). With `timeout`, rejects with TimeoutError when
 * the locks were not all free in time.
 * @throws (rejects) {@link TimeoutError} when `opts.timeout` passes first (no lock was taken); a TypeError for
 * bad `resources`, `fn` or `timeout`; and whatever `fn` throws or rejects with (the locks are released first).
 */
export async function withLocks<R>(
  resources: readonly string[],
  fn: () => R | Promise<R>,
  opts?: LockOptions,
): Promise<Awaited<R>> {
  const names = checkArgs(resources, fn, opts)
  const ticket = native.lockAcquire(lockerId(), names)
  if (ticket > 0) return holding(ticket, fn)
  const t = -ticket
  await new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined
    expect(t, () => {
      clearTimeout(timer)
      resolve()
    })
    const ms = opts?.timeout
    if (ms === undefined) return
    timer = setTimeout(() => {
      const c = native.lockCancel(t)
      forget(t)
      // Granted meanwhile (its wake-up is on the way and will be ignored): take the locks now.
      if (c === GRANTED) resolve()
      else if (c === WITHDRAWN) {
        reject(new TimeoutError(`withLocks: [${names.join(', ')}] were not all free within ${ms} ms; none was taken`))
      } else reject(new Error(`withLocks: lock request ${t} vanished (its thread is ending)`))
    }, ms)
  })
  return holding(t, fn)
}
