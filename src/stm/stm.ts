// atomically(tx => ...): transactions over TVars (docs/API.md, STM). The
// transaction itself lives in Rust, one per JS thread (bodies are
// synchronous and cannot nest); this file runs the body, reruns it on a
// conflict, and parks it on `retry` until a TVar it read changes.
import { decode, decodeFrom, encode } from '../kernel/codec.js'
import { StmError } from '../kernel/errors.js'
import { checkName, localPid } from '../kernel/names.js'
import { threadId } from '../kernel/thread.js'
import type { Pid } from '../kernel/values.js'
import { expect } from '../kernel/wakeups.js'
import { native } from '../native/index.js'
import { TVar } from './tvar.js'

/** What a transaction body can do. Valid only while the body runs. */
export interface Tx {
  /** The value of `tv` in this transaction (a decoded copy): its own last
   * write, else the committed value at the transaction's snapshot. */
  read<T>(tv: TVar<T>): T
  /** Sets `tv` to `value` (portable) for this transaction; others see it
   * only if the transaction commits. */
  write<T>(tv: TVar<T>, value: T): void
  /** Abandons this run and waits until a TVar read so far changes, then
   * runs the body again (`atomically` then returns a Promise). */
  retry(): never
  /** Runs `first`; if it retries, undoes its writes and runs `second`
   * instead. If both retry, the transaction waits on what either read. */
  orElse<R>(first: (tx: Tx) => R, second: (tx: Tx) => R): R
  /** The local process registered as `name` in this transaction's snapshot
   * (the registry is an STM table), consistent with every TVar read; a
   * `retry` wakes when the name is registered or freed. Undefined when no
   * process holds it (or it stands for a remote service). */
  whereis(name: string): Pid | undefined
  /** This node's link to node `name` in the snapshot (the node table is an
   * STM table): 'up', 'down', or undefined for a node never linked. A
   * `retry` wakes when it changes: `tx.node(n) === 'up' || tx.retry()`. */
  node(name: string): 'up' | 'down' | undefined
}

/** Encoded values cross to and from Rust in this block (see crates/binding/src/stm.rs),
 * registered with the native side by this thread's first transaction. */
const SCRATCH = new Uint8Array(64 * 1024)
let scratchOpen = false

const { Conflict: CONFLICT, TooBig: TOO_BIG } = native.StmCode
const { Up: UP, Down: DOWN } = native.NodeLink

// Thrown through the user's body to end a run; never seen by callers.
class Signal extends Error {}
const RERUN = new Signal('bfly internal: a concurrent commit; the transaction reruns (do not catch this)')
const RETRY = new Signal('bfly internal: tx.retry() (do not catch this)')

class Transaction implements Tx {
  over = false
  /** A read met a conflict: this run's outcome is void, whatever the body does. */
  doomed = false
  retrying = false

  read<T>(tv: TVar<T>): T {
    this.check()
    const n = native.stmRead(TVar.idOf(tv))
    if (n === CONFLICT) this.rerun()
    return (n === TOO_BIG ? decode(native.stmReadBig()) : decodeFrom(SCRATCH, n)) as T
  }

  write<T>(tv: TVar<T>, value: T): void {
    this.check()
    const id = TVar.idOf(tv)
    const b = encode(value, 'value')
    if (b.length > SCRATCH.length) native.stmWriteBig(id, b)
    else {
      SCRATCH.set(b)
      native.stmWrite(id, b.length)
    }
  }

  whereis(name: string): Pid | undefined {
    this.check()
    checkName(name, 'tx.whereis')
    const id = native.stmWhereis(name)
    if (id === CONFLICT) this.rerun()
    return id === 0 ? undefined : localPid(id)
  }

  node(name: string): 'up' | 'down' | undefined {
    this.check()
    if (typeof name !== 'string' || name.length === 0)
      throw new TypeError('tx.node: a node name must be a non-empty string')
    const s = native.stmNode(name)
    if (s === CONFLICT) this.rerun()
    return s === UP ? 'up' : s === DOWN ? 'down' : undefined
  }

  private rerun(): never {
    this.doomed = true
    throw RERUN
  }

  retry(): never {
    this.check()
    this.retrying = true
    throw RETRY
  }

  orElse<R>(first: (tx: Tx) => R, second: (tx: Tx) => R): R {
    this.check()
    const mark = native.stmMark()
    try {
      return first(this)
    } catch (e) {
      if (e !== RETRY || this.doomed) throw e
      this.retrying = false
      native.stmRollback(mark)
      return second(this)
    }
  }

  private check(): void {
    if (this.over) {
      throw new StmError(
        'this transaction is over: tx was used after its atomically body returned (after an await?); use tx only synchronously inside the body',
      )
    }
  }
}

let running = false

type Outcome<R> = { done: true; value: R } | { done: false; token: number }

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    (typeof v === 'object' || typeof v === 'function') &&
    v !== null &&
    typeof (v as { then?: unknown }).then === 'function'
  )
}

/** Runs `body` until it commits (done) or parks on retry (a wake token). */
function attempt<R>(body: (tx: Tx) => R): Outcome<R> {
  if (!scratchOpen) {
    native.stmScratch(SCRATCH)
    scratchOpen = true
  }
  for (;;) {
    const tx = new Transaction()
    // Every run ends in stmCommit, stmAbort or stmWait, which leave the
    // thread's transaction begun afresh (a snapshot older than its first
    // read only moves forward, see crates/stm/src/tx.rs).
    running = true
    let value: R | undefined
    let failed = false
    let error: unknown
    try {
      value = body(tx)
    } catch (e) {
      failed = true
      error = e
    } finally {
      tx.over = true
      running = false
    }
    if (!failed && isThenable(value)) {
      native.stmAbort()
      // The abandoned async body fails on its next tx call; keep that quiet.
      Promise.resolve(value).catch(() => {})
      throw new StmError(
        'the body of atomically returned a promise: transaction bodies must be synchronous (no async, no await); nothing was written',
      )
    }
    if (tx.doomed) {
      native.stmAbort()
      continue
    }
    if (tx.retrying) {
      const token = native.stmWait(threadId())
      if (token > 0) return { done: false, token }
      if (token === 0) continue
      throw new StmError(
        'tx.retry() in a transaction that read no TVar would wait forever; read what should wake it first',
      )
    }
    if (failed) {
      native.stmAbort()
      throw error
    }
    if (native.stmCommit()) return { done: true, value: value as R }
  }
}

/** Parks until `token` is woken, reruns, and so on until the body commits. */
function parked<R>(body: (tx: Tx) => R, token: number): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const rerun = () => {
      let r: Outcome<R>
      try {
        r = attempt(body)
      } catch (e) {
        reject(e)
        return
      }
      if (r.done) resolve(r.value)
      else expect(r.token, rerun)
    }
    expect(token, rerun)
  })
}

/**
 * Runs `body` as one atomic, isolated transaction and returns its result.
 * The body may run more than once (after a conflict), so it must have no
 * effects besides `tx`. An exception from the body discards its writes and
 * propagates. If the body calls `tx.retry()`, `atomically` returns a
 * Promise that settles when a rerun, started by a change to a TVar the body
 * read, commits. Throws StmError when nested or when the body is async.
 * @throws {@link StmError} (nothing written) when nested in another `atomically`, when the body returns a
 * promise, when `tx` is used after the body returned, when `tx.retry()` is called having read no TVar, or for a
 * TVar of another OS process; {@link NotPortableError} for a `tx.write` value that is not portable; and
 * whatever the body throws (its writes discarded).
 */
export function atomically<R>(body: (tx: Tx) => R): R | Promise<R> {
  if (typeof body !== 'function') throw new TypeError('atomically(body): body must be a function (tx) => result')
  if (running) {
    throw new StmError('atomically cannot be nested: call the inner body with the outer tx instead (pass tx along)')
  }
  const r = attempt(body)
  return r.done ? r.value : parked(body, r.token)
}
