// Node names to the native distribution layer's node ids (interned once
// per OS process, cached per thread), for the hot remote calls, and the
// one flush per tick that writes what those calls queued.
import { native } from '../native/addon.js'

const ids = new Map<string, number>()
let flushing = false

function flush(): void {
  flushing = false
  native.distFlush()
}

/**
 * The native id of node `name`, for a frame about to be sent to it. Remote
 * sends are queued natively and written together at the end of the
 * current microtask batch: a burst leaves in one write, a lone message at
 * once, from this thread (no hand-off to the link's writer thread).
 */
export function sendingTo(name: string): number {
  let id = ids.get(name)
  if (id === undefined) {
    id = native.distIntern(name)
    ids.set(name, id)
  }
  if (!flushing) {
    flushing = true
    Promise.resolve().then(flush)
  }
  return id
}
