// The deadline of a pending receive.
import type { Expiring } from './deadlines.js'
import type { Process } from './process.js'
import { TIMEOUT } from './values.js'

/** The deadline of a receive with a finite timeout. */
export class ReceiveTimer implements Expiring {
  done = false
  at = 0
  constructor(
    readonly p: Process,
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
