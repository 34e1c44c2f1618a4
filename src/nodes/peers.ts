// Node names to the native distribution layer's node ids (cached per
// thread), for the hot remote calls, and the one flush per tick that writes
// what those calls queued. The native layer forgets peers nothing needs
// (crates/cluster/src/directory.rs); when it has, its epoch changes and the
// cache is dropped, checked once per batch of sends (an id forgotten within
// a batch still resolves natively).
import { native } from '../native/index.js'
import { readNotes } from './outgoing.js'

const ids = new Map<string, number>()
let epoch = -1
let flushing = false
/** The node sent to last, and its id. */
let lastName = ''
let lastId = 0
/** Whether this runtime was a node when this batch of sends began. */
let up = false

function flush(): void {
  flushing = false
  // Hands this thread's send batch over first (./outgoing.ts), then reads what it noted.
  native.clusterFlush()
  readNotes()
}

/**
 * The native id of node `name`, for a frame about to be sent to it. Remote
 * sends are queued natively and written together at the end of the
 * current microtask batch: a burst leaves in one write, a lone message at
 * once, from this thread (no hand-off to the link's writer thread).
 */
export function sendingTo(name: string): number {
  if (!flushing) {
    flushing = true
    Promise.resolve().then(flush)
    const now = native.clusterForgetEpoch()
    up = now >= 0
    if (now !== epoch) {
      epoch = now
      ids.clear()
      lastName = ''
    }
  }
  // A stream to one node looks nothing up.
  if (name === lastName) return lastId
  let id = ids.get(name)
  if (id === undefined) {
    id = native.clusterIntern(name)
    ids.set(name, id)
  }
  lastName = name
  lastId = id
  return id
}

/** This runtime stopped being a node (`node.stop()`): no send of the current batch is queued any more. */
export function stoppedNode(): void {
  up = false
}

/** Whether this runtime is a node, as of the current batch of sends (`sendingTo` was called in it). */
export function isNode(): boolean {
  return up
}

/** Writes what this thread queued natively for other nodes once the
 * current microtasks have run (deferred frames: grants). */
export function flushSoon(): void {
  if (!flushing) {
    flushing = true
    Promise.resolve().then(flush)
  }
}
