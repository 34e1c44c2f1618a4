// A process's mailbox: two lanes, selective removal, and a save position.
//
// - The signal lane holds EXIT and DOWN messages; every take looks there
//   first, so they never wait behind user messages.
// - The user lane is an array with a moving head. A message taken from the
//   middle leaves a hole that later scans skip and compaction removes, so a
//   selective take costs no copying.
// - The save position: a pending receive tests only new arrivals (the
//   process does that at delivery). Across receives, a test that is known
//   to be a pure function of the message (a compiled matcher without
//   guards) may also resume where it stopped instead of retesting messages
//   it already rejected; a plain predicate may read other state, so it
//   always scans from the head.

/** Returned by `take` when nothing matches. */
import { Encoded } from './encoded.js'
import { MailboxFullError } from './errors.js'

export const NONE: unique symbol = Symbol('bfly.none')
const HOLE: unique symbol = Symbol('bfly.hole')

export type Pred = (msg: unknown) => unknown

export class Mailbox {
  private q: unknown[] = []
  private head = 0
  private holes = 0
  private sys: unknown[] | null = null
  /** How many queued user messages are still encoded (see encoded.ts);
   * while 0, nobody pays for checking. */
  encoded = 0
  private saveKey: object | null = null
  private saveAt = 0
  /** The bound on user messages that local senders respect (limitMailbox). */
  limit = Number.POSITIVE_INFINITY
  /** At the limit, local sends throw instead of waiting. */
  refuseWhenFull = false
  /** Local senders waiting for room, oldest first; each one's message is
   * already queued (so order holds and a receive can still take it). */
  private waiters: (() => void)[] | null = null

  get size(): number {
    return this.q.length - this.head - this.holes + (this.sys?.length ?? 0)
  }

  pushUser(msg: unknown): void {
    this.q.push(msg)
  }

  /** User messages queued. */
  get users(): number {
    return this.q.length - this.head - this.holes
  }

  /** Admits a local sender's message at the limit: nothing to wait for
   * below it; at it, a promise that resolves when the message is within
   * the limit, or a MailboxFullError when the process refuses. */
  admit(who: string): Promise<void> | undefined {
    if (this.users < this.limit) return undefined
    if (this.refuseWhenFull)
      throw new MailboxFullError(`${who}'s mailbox is at its limit of ${this.limit} messages; try again later`)
    return new Promise<void>((resolve) => this.wait(resolve))
  }

  /** Calls `fn` once the message just queued is within the limit (or the
   * mailbox is cleared): with local senders' waits, in arrival order. */
  wait(fn: () => void): void {
    if (this.waiters === null) this.waiters = [fn]
    else this.waiters.push(fn)
  }

  /** Lets go the waiting senders whose messages are now within the limit. */
  private release(): void {
    const w = this.waiters
    if (w === null) return
    while (w.length > 0 && w.length > this.users - this.limit) w.shift()?.()
    if (w.length === 0) this.waiters = null
  }

  pushEncoded(e: Encoded): void {
    this.q.push(e)
    this.encoded++
  }

  pushSignal(msg: unknown): void {
    if (this.sys === null) this.sys = [msg]
    else this.sys.push(msg)
  }

  /** Removes and returns the first message `pred` accepts, or NONE. With
   * `key` (a pure test's identity, e.g. a compiled matcher), the scan
   * resumes where the last scan with that key stopped. */
  take(pred: Pred | undefined, key?: object): unknown {
    const sys = this.sys
    if (sys !== null) {
      for (let i = 0; i < sys.length; i++) {
        const m = sys[i]
        if (pred === undefined || pred(m)) {
          if (sys.length === 1) this.sys = null
          else sys.splice(i, 1)
          return m
        }
      }
    }
    const q = this.q
    if (pred === undefined) {
      while (this.head < q.length) {
        const m = q[this.head]
        q[this.head++] = undefined
        if (m !== HOLE) {
          this.settle()
          if (this.encoded > 0 && m instanceof Encoded) this.encoded--
          if (this.waiters !== null) this.release()
          return m
        }
        this.holes--
      }
      this.settle()
      return NONE
    }
    let i = this.head
    if (key !== undefined && this.saveKey === key && this.saveAt > i) i = this.saveAt
    for (; i < q.length; i++) {
      const m = q[i]
      if (m === HOLE || !pred(m)) continue
      if (key !== undefined) {
        this.saveKey = key
        this.saveAt = i
      }
      this.remove(i)
      if (this.encoded > 0 && m instanceof Encoded) this.encoded--
      if (this.waiters !== null) this.release()
      return m
    }
    if (key !== undefined) {
      this.saveKey = key
      this.saveAt = q.length
    }
    return NONE
  }

  /** Up to `max` queued messages, signals first then arrival order (for
   * processInfo's memory estimate; nothing is taken). */
  peek(max: number): unknown[] {
    const out = this.sys === null ? [] : this.sys.slice(0, max)
    for (let i = this.head; i < this.q.length && out.length < max; i++) if (this.q[i] !== HOLE) out.push(this.q[i])
    return out
  }

  /** Array slots the mailbox holds (for processInfo's memory estimate). */
  get slots(): number {
    return this.q.length + (this.sys?.length ?? 0)
  }

  /** Drops everything (the process is gone); waiting senders go on. */
  clear(): void {
    const w = this.waiters
    this.waiters = null
    if (w !== null) for (const r of w) r()
    this.q = []
    this.head = this.holes = this.saveAt = this.encoded = 0
    this.sys = null
    this.saveKey = null
  }

  /** Removes signal-lane messages for which `pred` holds. */
  dropSignals(pred: Pred): void {
    if (this.sys === null) return
    this.sys = this.sys.filter((m) => !pred(m))
    if (this.sys.length === 0) this.sys = null
  }

  private remove(i: number): void {
    const q = this.q
    if (i === this.head) {
      q[this.head++] = undefined
    } else if (i === q.length - 1) {
      q.pop()
    } else {
      q[i] = HOLE
      this.holes++
    }
    this.settle()
  }

  /** Keeps the array from growing without bound as messages are taken. */
  private settle(): void {
    const q = this.q
    const h = this.head
    if (h === q.length) {
      if (h !== 0) {
        q.length = 0
        this.head = this.holes = this.saveAt = 0
      }
      return
    }
    if (h > 1024 && h * 2 > q.length) {
      q.splice(0, h)
      this.head = 0
      this.saveAt = Math.max(0, this.saveAt - h)
    }
    if (this.holes > 1024 && this.holes * 2 > q.length - this.head) {
      const kept: unknown[] = []
      let save = 0
      for (let j = this.head; j < q.length; j++) {
        if (j === this.saveAt) save = kept.length
        if (q[j] !== HOLE) kept.push(q[j])
      }
      if (this.saveAt >= q.length) save = kept.length
      this.q = kept
      this.head = this.holes = 0
      this.saveAt = save
    }
  }
}
