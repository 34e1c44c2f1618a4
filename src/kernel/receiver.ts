// The receiving half of a process: its mailbox, the receive waiting on it,
// the deliveries into it (from this thread, other threads and nodes), the
// calls waiting on it, and its teardown. Everything that delivers to a
// process (signals, messaging, the inboxes) works on a Receiver; the
// Process handle (process.ts) adds the operations a process performs.
import { native } from '../native/index.js'
import type { PendingCall } from './calls.js'
import { arm, disarm, type Expiring } from './deadlines.js'
import { lastReject, lastResolve, pending } from './deferred.js'
import { Encoded, encodedAware, type Test } from './encoded.js'
import { describe, NoProcError, ProcessExit } from './errors.js'
import { Mailbox, NONE, type Pred } from './mailbox.js'
import { checkOpts, checkTimeout, nodeName, Pid, TIMEOUT, type Timeout } from './values.js'

/**
 * What `recv` needs of a matcher: `match(...clauses)` makes them (src/match/matcher.ts). The kernel states the
 * contract and the matcher fulfils it, so the kernel never imports the matcher.
 */
export interface Selective<R> {
  /** Runs the matcher on a value (the winning clause's handler result). */
  (value: unknown): R
  /** @internal What every matcher built from the same clauses shares. */
  readonly core: {
    /** The winning clause's row (its selections in `out[0]`), or < 0 when none matches. */
    select(value: unknown, out: unknown[]): number
    /** The handler of each row. */
    readonly handlers: ((selections: unknown, value: unknown) => unknown)[]
    /** A pure function of the message: decidable on its encoded bytes. */
    readonly pure: boolean
    /** The Rust evaluator: the winning clause, or a `MatchCode`. */
    readonly native: { testEncoded(bytes: Uint8Array): number }
  }
  /** @internal the otherwise handler, if any */
  readonly fallback?: (value: unknown) => unknown
}

/** The deadline of a receive with a finite timeout. */
class ReceiveTimer implements Expiring {
  done = false
  at = 0
  constructor(
    readonly p: Receiver,
    readonly ms: number,
  ) {}
  expire(): void {
    const res = this.p._res
    if (res === null) return
    this.p._timer = null
    this.p._unwait()
    res(TIMEOUT)
  }
}

/** A process as the runtime delivers to it (the base of `Process`). */
export class Receiver {
  /** This process's pid, the same for its whole life (and never reused for another process). */
  readonly self: Pid
  /** @internal */ _mb: Mailbox | null = null
  // The pending receive, inline rather than in an object of its own: an
  // idle process is one waiting here, and it should cost little memory.
  /** @internal */ _res: ((m: unknown) => void) | null = null
  /** @internal */ _rej: ((e: unknown) => void) | null = null
  /** @internal */ _pred: Pred | undefined = undefined
  /** @internal */ _timer: ReceiveTimer | null = null
  /** @internal */ _trap = false
  /** @internal */ _dead = false
  /** @internal Messages taken by receive/recv (processInfo's `handled`). */ _handled = 0
  /** @internal */ _reason: unknown = undefined
  /** @internal calls waiting for this process to answer */
  _calls: PendingCall | null = null
  /** @internal calls this process is waiting on (p.call) */
  _calling: PendingCall[] | null = null

  /** @internal use spawn() */
  constructor(id: number) {
    this.self = new Pid(nodeName, id)
    Pid.bind(this.self, this)
  }

  /** @internal Throws ProcessExit if this process has exited. */
  _alive(): void {
    if (this._dead) throw new ProcessExit(this._reason)
  }

  /**
   * The first message in arrival order for which `pred` holds (the next
   * message without `pred`); the others stay queued in order. Resolves to
   * TIMEOUT when `timeout` ms pass first (`0` polls). Exit signals and DOWN
   * messages are looked at before user messages.
   * @throws (rejects) {@link ProcessExit} when the process has exited or is killed while it waits; an Error when
   * it is already waiting in another receive; a TypeError or RangeError for a bad `pred` or `timeout`; whatever
   * `pred` throws (that message stays queued).
   * @example
   * ```ts
   * spawn(async (p) => {
   *   const m = await p.receive((m) => Array.isArray(m) && m[0] === 'job', { timeout: 1000 })
   *   if (m === TIMEOUT) return // nothing came; other messages are still queued, in order
   * })
   * ```
   */
  receive<T = unknown>(pred?: (msg: unknown) => unknown, opts?: { timeout?: number }): Promise<T | Timeout> {
    if (pred !== undefined && typeof pred !== 'function')
      return Promise.reject(new TypeError('receive(pred): pred must be a function (msg) => boolean'))
    return this._await(pred, opts, undefined, 'receive') as Promise<T | Timeout>
  }

  /**
   * The first message in arrival order that any clause of `matcher`
   * accepts (Butterfly's RECV); resolves to that clause's handler result, run in
   * this process. The others stay queued in order. On timeout, resolves to
   * `after()` (TIMEOUT without `after`). A matcher without guards keeps a
   * save position: messages it already rejected are not tested again, and
   * messages that arrived encoded are tested on their bytes, in Rust.
   * @throws (rejects) as `receive` does, a TypeError for a `matcher` not made by `match`, and whatever the
   * clause's handler or `after` throws.
   */
  recv<R, A = Timeout>(matcher: Selective<R>, opts?: { timeout?: number; after?: () => A }): Promise<R | A> {
    const core = (matcher as Partial<Selective<R>> | undefined)?.core
    if (typeof matcher !== 'function' || core === undefined)
      return Promise.reject(new TypeError('recv(matcher): matcher must come from match(...clauses)'))
    const after = opts?.after
    if (after !== undefined && typeof after !== 'function')
      return Promise.reject(new TypeError('recv: after must be a function () => result'))
    const fallback = matcher.fallback
    const out: unknown[] = [undefined]
    let row = -1
    const test: Test = (m: unknown): boolean => {
      row = core.select(m, out)
      return row >= 0 || fallback !== undefined
    }
    // Encoded entries: a guard-free matcher rejects on the bytes, in Rust.
    test.enc = (m: unknown): unknown => {
      if (!(m instanceof Encoded)) return test(m)
      if (core.pure && fallback === undefined && core.native.testEncoded(m.bytes) === NO_MATCH) return false
      return test(m.value())
    }
    const key = core.pure && fallback === undefined ? core : undefined
    return this._await(test, opts, key, 'recv').then((m) => {
      if (m === TIMEOUT) return (after === undefined ? TIMEOUT : after()) as A
      return (row >= 0 ? core.handlers[row](out[0], m) : (fallback as (v: unknown) => R)(m)) as R
    })
  }

  /** @internal The message for which `test` holds, or TIMEOUT. */
  _await(
    test: Pred | undefined,
    opts: { timeout?: number } | undefined,
    key: object | undefined,
    what: string,
  ): Promise<unknown> {
    if (this._dead) return Promise.reject(new ProcessExit(this._reason))
    if (this._res !== null)
      return Promise.reject(new Error(`${what}: this process is already waiting in receive; await the first one`))
    let ms: number
    try {
      checkOpts(opts, what)
      ms = opts === undefined ? Number.POSITIVE_INFINITY : checkTimeout(opts.timeout, what)
    } catch (e) {
      return Promise.reject(e)
    }
    const mb = this._mb
    if (mb !== null) {
      let m: unknown
      const enc = mb.encoded > 0
      try {
        m = mb.take(enc && test !== undefined ? encodedAware(test) : test, key)
        if (enc && m instanceof Encoded) m = m.value()
      } catch (e) {
        return Promise.reject(e)
      }
      if (m !== NONE) {
        this._handled++
        return Promise.resolve(m)
      }
    }
    if (ms === 0) return Promise.resolve(TIMEOUT)
    const p = pending<unknown>()
    this._res = lastResolve()
    this._rej = lastReject()
    this._pred = test
    if (ms !== Number.POSITIVE_INFINITY) {
      const t = new ReceiveTimer(this, ms)
      this._timer = t
      arm(t, ms)
    }
    return p
  }

  /** @internal Delivers a user message (same thread, by reference). At
   * the mailbox's limit: a promise to wait on, or a MailboxFullError. */
  _deliver(msg: unknown): Promise<void> | undefined {
    const res = this._res
    if (res !== null && (this._pred === undefined || this.test(this._pred, msg))) {
      this._unwait()
      this._handled++
      res(msg)
      return undefined
    }
    const mb = this.mailbox()
    const wait = mb.limit === Number.POSITIVE_INFINITY ? undefined : mb.admit(String(this.self))
    mb.pushUser(msg)
    return wait
  }

  /**
   * Bounds this process's mailbox to `limit` user messages (Infinity: no
   * bound). At the limit, a local `send` returns a promise that resolves
   * once its message is within the limit (`full: 'wait'`, the default; the
   * message is queued at once, so order holds and `receive` can take it),
   * or throws MailboxFullError (`full: 'error'`). Exit signals and DOWNs are
   * never bounded, and messages from other threads and nodes are queued.
   */
  limitMailbox(limit: number, opts?: { full?: 'wait' | 'error' }): void {
    this._alive()
    if (!(limit === Number.POSITIVE_INFINITY || (Number.isInteger(limit) && limit > 0)))
      throw new RangeError(`limitMailbox: limit must be a positive integer or Infinity, got ${limit}`)
    const full = opts?.full ?? 'wait'
    if (full !== 'wait' && full !== 'error') throw new TypeError("limitMailbox: full must be 'wait' or 'error'")
    const mb = this.mailbox()
    mb.limit = limit
    mb.refuseWhenFull = full === 'error'
  }

  /** @internal Delivers a message that arrived encoded from another
   * thread: tested on its bytes where the waiting matcher can, decoded
   * only when something needs its value. */
  _deliverEncoded(e: Encoded): void {
    const res = this._res
    if (res !== null) {
      const pred = this._pred
      if (pred === undefined || this.test(encodedAware(pred), e)) {
        const rej = this._rej
        this._unwait()
        let v: unknown
        try {
          v = e.value()
        } catch (err) {
          rej?.(err)
          return
        }
        this._handled++
        res(v)
        return
      }
    }
    this.mailbox().pushEncoded(e)
  }

  /** @internal Delivers an EXIT or DOWN message on the signal lane. */
  _deliverSignal(msg: unknown): void {
    const res = this._res
    if (res !== null && (this._pred === undefined || this.test(this._pred, msg))) {
      this._unwait()
      this._handled++
      res(msg)
      return
    }
    this.mailbox().pushSignal(msg)
  }

  /** Runs the waiting receive's predicate; a throw fails that receive
   * (the message stays queued). */
  private test(pred: Pred, msg: unknown): unknown {
    try {
      return pred(msg)
    } catch (e) {
      const rej = this._rej
      this._unwait()
      rej?.(e)
      return false
    }
  }

  /** @internal Ends the pending receive (the caller settles it). */
  _unwait(): void {
    this._res = null
    this._rej = null
    this._pred = undefined
    const t = this._timer
    if (t !== null) {
      this._timer = null
      disarm(t, t.ms)
    }
  }

  private mailbox(): Mailbox {
    let mb = this._mb
    if (mb === null) {
      mb = new Mailbox()
      this._mb = mb
    }
    return mb
  }

  /** Messages waiting (both lanes). */
  get mailboxSize(): number {
    return this._mb?.size ?? 0
  }

  /** @internal */
  _watch(c: PendingCall): void {
    c.next = this._calls
    if (this._calls !== null) this._calls.prev = c
    this._calls = c
  }

  /** @internal */
  _unwatch(c: PendingCall): void {
    if (c.prev !== null) c.prev.next = c.next
    else if (this._calls === c) this._calls = c.next
    if (c.next !== null) c.next.prev = c.prev
    c.prev = c.next = null
  }

  /** @internal The process is gone: fail what waits on it (its receive, the
   * calls it makes and the calls made to it) and drop its mailbox. Its
   * table entry is signals.ts's to remove. */
  _die(reason: unknown): void {
    Pid.bind(this.self, undefined)
    this._dead = true
    this._reason = reason
    const rej = this._rej
    if (rej !== null) {
      this._unwait()
      rej(new ProcessExit(reason))
    }
    this._mb?.clear()
    this._mb = null
    const calling = this._calling
    if (calling !== null) {
      this._calling = null
      for (const c of calling) c.settle(new ProcessExit(reason), false)
    }
    for (let c = this._calls; c !== null; c = this._calls) {
      c.settle(new NoProcError(`${this.self} exited (${describe(reason)}) before answering the call`), false)
    }
  }
}

/** `testEncoded`'s answer when no clause matches. */
const NO_MATCH = native.MatchCode.NoMatch
