// Deadlines for receive and call timeouts without one Node timer each.
//
// Entries with the same timeout expire in the order they were added, so
// each distinct timeout value keeps a FIFO (a ring buffer) and one Node
// timer for its head. Cancelling only marks an entry; marked entries at the
// head are dropped at once, which keeps the FIFO short when calls finish in
// order (the usual case), and the rest are dropped when the timer reaches
// them. The timer is not cleared when its lane empties (re-arming it per
// call would cost more than the call); it is unref'd at the end of the
// macrotask in which its lane stayed empty, so it keeps nobody alive.

/** Something that can time out. */
export interface Expiring {
  /** Set when settled or cancelled; the entry will not fire. */
  done: boolean
  /** @internal absolute deadline (performance.now() ms) */
  at: number
  /** Called once, at or after the deadline, unless done. */
  expire(): void
}

const MAX_TIMER = 2 ** 31 - 1

class Lane {
  private ring: (Expiring | undefined)[] = new Array(16).fill(undefined)
  private head = 0
  private count = 0
  private timer: NodeJS.Timeout | undefined = undefined
  private refd = false
  /** Queued for the end-of-macrotask idle check. */
  idlePending = false
  constructor(readonly ms: number) {}

  add(e: Expiring): void {
    e.at = performance.now() + this.ms
    if (this.count === this.ring.length) this.grow()
    this.ring[(this.head + this.count) & (this.ring.length - 1)] = e
    this.count++
    if (this.timer === undefined) this.arm()
    else if (!this.refd) {
      this.timer.ref()
      this.refd = true
    }
  }

  /** Drops settled entries from the head; true when the lane emptied. */
  trim(): boolean {
    const ring = this.ring
    const mask = ring.length - 1
    while (this.count > 0) {
      const e = ring[this.head] as Expiring
      if (!e.done) return false
      ring[this.head] = undefined
      this.head = (this.head + 1) & mask
      this.count--
    }
    return true
  }

  first(): Expiring | undefined {
    return this.count > 0 ? this.ring[this.head] : undefined
  }

  /** Unrefs the timer if the lane is still empty (end of a macrotask). */
  idle(): void {
    this.idlePending = false
    if (this.count === 0 && this.timer !== undefined && this.refd) {
      this.timer.unref()
      this.refd = false
    }
  }

  private grow(): void {
    const old = this.ring
    const next: (Expiring | undefined)[] = new Array(old.length * 2).fill(undefined)
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & (old.length - 1)]
    this.ring = next
    this.head = 0
  }

  private arm(): void {
    this.trim()
    const e = this.first()
    if (e === undefined) {
      this.timer = undefined
      this.refd = false
      return
    }
    // Node's timers hold at most 2^31 - 1 ms; a longer wait re-arms on firing.
    const wait = Math.min(MAX_TIMER, Math.max(0, e.at - performance.now()))
    this.timer = setTimeout(() => this.fire(), Math.ceil(wait))
    this.refd = true
  }

  private fire(): void {
    this.timer = undefined
    const now = performance.now()
    for (let e = this.first(); e !== undefined && (e.done || e.at <= now); e = this.first()) {
      if (!e.done) {
        e.done = true
        e.expire()
      }
      this.ring[this.head] = undefined
      this.head = (this.head + 1) & (this.ring.length - 1)
      this.count--
    }
    this.arm()
    if (this.timer === undefined) lanes.delete(this.ms)
  }
}

const lanes = new Map<number, Lane>()
let emptied: Lane[] = []

function checkIdle(): void {
  const lanes = emptied
  emptied = []
  for (const lane of lanes) lane.idle()
}

/** Arms `e` to expire after `ms` (finite, > 0). */
export function arm(e: Expiring, ms: number): void {
  let lane = lanes.get(ms)
  if (lane === undefined) {
    lane = new Lane(ms)
    lanes.set(ms, lane)
  }
  lane.add(e)
}

/** Cancels `e` (it will not expire) and trims its lane. */
export function disarm(e: Expiring, ms: number): void {
  e.done = true
  const lane = lanes.get(ms)
  if (lane !== undefined && lane.first() === e && lane.trim() && !lane.idlePending) {
    lane.idlePending = true
    if (emptied.push(lane) === 1) setImmediate(checkIdle)
  }
}
