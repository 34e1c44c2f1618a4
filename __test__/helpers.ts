// Shared helpers for the ava tests. Tests are written against ../shared/API.md
// (the contract), so these helpers use only what it names.
import { inspect } from 'node:util'
import { Worker } from 'node:worker_threads'
import { decode, Pid, type Process, Ref, spawn, TIMEOUT } from '../index.ts'

/** How long a test waits for something that must happen before it fails. */
export const LONG = 5000
/** How long a test waits to convince itself that something does not happen. */
export const SHORT = 100

export interface Deferred<T> {
  promise: Promise<T>
  resolve: (value: T) => void
  reject: (reason: unknown) => void
}

export function deferred<T = void>(): Deferred<T> {
  let resolve: (value: T) => void = () => {}
  let reject: (reason: unknown) => void = () => {}
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/**
 * Rejects when `promise` has not settled within `ms`, so a broken runtime
 * fails a test with a message instead of hanging it until ava's timeout.
 */
export function within<T>(promise: Promise<T>, what: string, ms = LONG): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up after ${ms} ms waiting for ${what}`)), ms)
  })
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer))
}

/**
 * Runs `fn` as the body of a fresh process and settles with what it returns
 * or throws. The process itself then ends normally.
 */
export function run<T>(fn: (p: Process) => Promise<T> | T, ms = 30_000): Promise<T> {
  const done = deferred<T>()
  spawn(async (p) => {
    try {
      done.resolve(await fn(p))
    } catch (err) {
      done.reject(err)
    }
  })
  return within(done.promise, 'the test process to finish', ms)
}

/** The next message (matching `pred` when given), or TIMEOUT after `ms`. */
export function next(p: Process, pred?: (m: unknown) => boolean, ms = LONG): Promise<unknown> {
  return p.receive(pred, { timeout: ms })
}

/** Whether `a` is the same reference as `b` (identity or `equals`). */
export function sameRef(a: unknown, b: Ref): boolean {
  if (a === b) return true
  if (!(a instanceof Ref)) return false
  return b.equals(a)
}

/** Whether `a` is a pid equal to `b`. */
export function samePid(a: unknown, b: Pid): boolean {
  return a instanceof Pid && b.equals(a)
}

/** Matches `['DOWN', ref, ...]` for this `ref`. */
export function isDown(ref: Ref): (m: unknown) => boolean {
  return (m) => Array.isArray(m) && m[0] === 'DOWN' && sameRef(m[1], ref)
}

/** Matches `['EXIT', pid, ...]` for this `pid`. */
export function isExitFrom(pid: Pid): (m: unknown) => boolean {
  return (m) => Array.isArray(m) && m[0] === 'EXIT' && samePid(m[1], pid)
}

/** Matches an array message whose first element is `tag`. */
export function tagged(tag: string): (m: unknown) => boolean {
  return (m) => Array.isArray(m) && m[0] === tag
}

/**
 * A comparable rendering of a message: pids become `pid <node.id>` strings,
 * refs become `ref NAME` for the refs given (anything else is flagged), so
 * `t.deepEqual(view(actual, refs), view(expected, refs))` compares exactly.
 */
export function view(v: unknown, refs: Record<string, Ref> = {}): unknown {
  if (v instanceof Pid) return `pid ${v.toString()}`
  if (v instanceof Ref) {
    for (const [name, r] of Object.entries(refs)) if (sameRef(v, r)) return `ref ${name}`
    return `unexpected ref ${inspect(v)}`
  }
  if (Array.isArray(v)) return v.map((x) => view(x, refs))
  return v
}

/** Waits (inside process `p`) until `pid` is dead; resolves to its exit reason, or TIMEOUT. */
export async function reasonOf(p: Process, ref: Ref): Promise<unknown> {
  const m = await next(p, isDown(ref))
  return Array.isArray(m) ? m[3] : m
}

/** A pid whose process has already exited (normally). */
export async function deadPid(p: Process): Promise<Pid> {
  const pid = spawn(() => undefined)
  const ref = p.monitor(pid)
  const m = await next(p, isDown(ref))
  if (m === TIMEOUT) throw new Error(`${pid} did not exit after returning`)
  return pid
}

/**
 * What calling `fn` raised: its synchronous throw or its promise's rejection;
 * `'no error'` when it completed; `'hung'` when its promise never settled.
 */
export async function raised(fn: () => unknown): Promise<unknown> {
  try {
    await within(Promise.resolve().then(fn), 'the operation to settle')
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('gave up after')) return 'hung'
    return err
  }
  return 'no error'
}

/** Only for the synchronous part: what `fn` throws right away, or `'no error'`. */
export function thrownNow(fn: () => unknown): unknown {
  try {
    const r = fn()
    if (r instanceof Promise) r.catch(() => {})
  } catch (err) {
    return err
  }
  return 'no error'
}

/** A process-unique service name. */
let names = 0
export function uniqueName(prefix: string): string {
  names += 1
  return `${prefix}-${process.pid}-${names}`
}

/** Polls `cond` on timers until it holds or `ms` pass; returns whether it held. */
export async function eventually(cond: () => boolean, ms = LONG): Promise<boolean> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) return false
    await new Promise((r) => setTimeout(r, 10))
  }
  return true
}

/** Starts a worker thread running the fixture `fixtures/<name>.ts` (under
 * tsx, with `data` in its workerData) and returns it with the pid the
 * fixture posts back encoded. */
export async function startFixture(name: string, data: object = {}): Promise<{ worker: Worker; pid: Pid }> {
  const worker = new Worker(new URL('./fixtures/tsx-worker.mjs', import.meta.url), {
    workerData: { ...data, entry: new URL(`./fixtures/${name}.ts`, import.meta.url).href },
  })
  const bytes = await new Promise<Uint8Array>((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  const pid = decode(bytes)
  if (!(pid instanceof Pid)) throw new Error('the worker did not send a pid')
  return { worker, pid }
}

/** Starts a worker thread running the echo process of
 * fixtures/thread-echo.ts and returns it with the echo's pid. */
export function startEcho(): Promise<{ worker: Worker; pid: Pid }> {
  return startFixture('thread-echo')
}
