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
export const NONE: unique symbol = Symbol('bfly.none')
const HOLE: unique symbol = Symbol('bfly.hole')

export type Pred = (msg: unknown) => unknown

export class Mailbox {
  private q: unknown[] = []
  private head = 0
  private holes = 0
  private sys: unknown[] | null = null
  private savePred: Pred | null = null
  private saveAt = 0

  get size(): number {
    return this.q.length - this.head - this.holes + (this.sys?.length ?? 0)
  }

  pushUser(msg: unknown): void {
    this.q.push(msg)
  }

  pushSignal(msg: unknown): void {
    if (this.sys === null) this.sys = [msg]
    else this.sys.push(msg)
  }

  /** Notes that the pure test `pred` has rejected every queued user message. */
  saveAll(pred: Pred): void {
    this.savePred = pred
    this.saveAt = this.q.length
  }

  /** Removes and returns the first message `pred` accepts, or NONE.
   * `pure` lets the scan resume at `pred`'s save position. */
  take(pred: Pred | undefined, pure = false): unknown {
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
          return m
        }
        this.holes--
      }
      this.settle()
      return NONE
    }
    let i = this.head
    if (pure && this.savePred === pred && this.saveAt > i) i = this.saveAt
    for (; i < q.length; i++) {
      const m = q[i]
      if (m === HOLE || !pred(m)) continue
      if (pure) {
        this.savePred = pred
        this.saveAt = i
      }
      this.remove(i)
      return m
    }
    if (pure) {
      this.savePred = pred
      this.saveAt = q.length
    }
    return NONE
  }

  /** Drops everything (the process is gone). */
  clear(): void {
    this.q = []
    this.head = this.holes = this.saveAt = 0
    this.sys = null
    this.savePred = null
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
