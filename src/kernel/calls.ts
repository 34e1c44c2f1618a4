// A call waiting for its answer.
import { disarm, type Expiring } from './deadlines.js'
import { TimeoutError } from './errors.js'

/** Who waits on a call: its list of pending calls is trimmed as they settle. */
export interface Caller {
  _calling: PendingCall[] | null
}

/** What a call waits on: a local process, or one on another thread. */
export interface CallTarget {
  readonly self: { toString(): string }
  /** The call is settled: forget it. */
  _unwatch(c: PendingCall): void
}

/** A pending call. Linked into its target's list so the target's death
 * rejects it at once, and into its caller's so the caller's death does. */
export class PendingCall implements Expiring {
  done = false
  at = 0
  prev: PendingCall | null = null
  next: PendingCall | null = null
  constructor(
    readonly caller: Caller | null,
    readonly target: CallTarget,
    readonly res: (v: unknown) => void,
    readonly rej: (e: unknown) => void,
    readonly ms: number,
  ) {}
  expire(): void {
    this.detach()
    this.rej(new TimeoutErrorFor(this.target.self, this.ms))
  }
  settle(v: unknown, ok: boolean): void {
    if (this.done) return
    if (Number.isFinite(this.ms)) disarm(this, this.ms)
    else this.done = true
    this.detach()
    if (ok) this.res(v)
    else this.rej(v)
  }
  private detach(): void {
    this.target._unwatch(this)
    const mine = this.caller?._calling
    if (mine != null) mine.splice(mine.indexOf(this), 1)
  }
}

class TimeoutErrorFor extends TimeoutError {
  constructor(pid: { toString(): string }, ms: number) {
    super(`call to ${pid} got no answer within ${ms} ms; raise { timeout } or check that the target replies`)
  }
}
