// Deadlines for receive and call timeouts without one Node timer each.
//
// Entries with the same timeout expire in the order they were added, so
// each distinct timeout value keeps a FIFO and one Node timer for its head.
// Cancelling only marks an entry; marked entries at the head are dropped at
// once, which keeps the FIFO short when calls finish in order (the usual
// case), and the rest are dropped when the timer reaches them. The timer
// is not cleared when its lane empties (re-arming it per call would cost
// more than the call); it is unref'd so it keeps nobody alive.

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
  items: Expiring[] = []
  head = 0
  timer: NodeJS.Timeout | undefined = undefined
  constructor(readonly ms: number) {}

  add(e: Expiring): void {
    e.at = performance.now() + this.ms
    this.items.push(e)
    if (this.timer === undefined) this.arm()
    else if (this.items.length - this.head === 1) this.timer.ref()
  }

  /** Drops settled entries from the head. */
  trim(): void {
    const items = this.items
    let h = this.head
    while (h < items.length && items[h].done) h++
    if (h === items.length) {
      items.length = 0
      h = 0
    } else if (h > 1024 && h * 2 > items.length) {
      items.splice(0, h)
      h = 0
    }
    this.head = h
  }

  arm(): void {
    this.trim()
    if (this.head === this.items.length) {
      lanes.delete(this.ms)
      return
    }
    // Node's timers hold at most 2^31 - 1 ms; a longer wait re-arms on firing.
    const wait = Math.min(MAX_TIMER, Math.max(0, this.items[this.head].at - performance.now()))
    this.timer = setTimeout(() => this.fire(), Math.ceil(wait))
  }

  fire(): void {
    this.timer = undefined
    const now = performance.now()
    const items = this.items
    while (this.head < items.length) {
      const e = items[this.head]
      if (!e.done) {
        if (e.at > now) break
        e.done = true
        e.expire()
      }
      this.head++
    }
    this.arm()
  }
}

const lanes = new Map<number, Lane>()

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
  if (lane !== undefined && lane.items[lane.head] === e) {
    lane.trim()
    if (lane.head === lane.items.length) lane.timer?.unref()
  }
}
