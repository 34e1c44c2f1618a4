// The restart heuristic shared by supervisors and Keep-Alive: at most
// `max` restarts in any window of `withinMs` milliseconds.

/** A clock in milliseconds. Injected so tests can run the heuristic on a
 * fake clock instead of waiting for real minutes. */
export type Clock = () => number

/** Counts restarts in a sliding window. `allow()` records one restart and
 * says whether it stays within the limit: the (max+1)th restart inside any
 * `withinMs` window is refused (OTP's MaxR/MaxT rule). */
export class RestartWindow {
  private times: number[] = []
  /**
   * @param max Restarts allowed within any window (an integer, 0 or more).
   * @param withinMs The window, in ms (more than 0).
   * @param now The clock; `Date.now` unless a test injects a fake one.
   * @throws RangeError for a `max` or `withinMs` out of range.
   */
  constructor(
    readonly max: number,
    readonly withinMs: number,
    private readonly now: Clock = Date.now,
  ) {
    if (!Number.isInteger(max) || max < 0) throw new RangeError(`restart limit must be an integer >= 0, got ${max}`)
    if (typeof withinMs !== 'number' || !(withinMs > 0))
      throw new RangeError(`restart period must be a number of ms > 0, got ${withinMs}`)
  }

  /** Records a restart at `now()`; false when it makes more than `max`
   * restarts within the last `withinMs` ms. */
  allow(): boolean {
    const t = this.now()
    const from = t - this.withinMs
    this.times = this.times.filter((x) => x > from)
    this.times.push(t)
    return this.times.length <= this.max
  }

  /** Restarts counted in the current window. */
  get count(): number {
    const from = this.now() - this.withinMs
    return this.times.filter((x) => x > from).length
  }
}
