// Posting to processes of other JS threads of this node: messages are
// encoded and posted into the owner thread's native inbox (drained there by
// ./inbox.ts), user messages in one batch per job.
import { encode, encodeTransient } from '../kernel/codec.js'
import { native, postBlocks } from '../native/index.js'

const { LANE_USER: USER, LANE_SIGNAL: SIGNAL } = native

// User messages to other threads are written into one batch per thread and
// posted with one native call when the current job's microtasks run (or
// when the batch fills): a post per message cost ~1 us of N-API, the copy
// into the batch a few ns. The native side reads the batch where it is
// (registered once, again after `ids`/`ends` grow): the flush passes a
// count (crates/binding/src/outbox.rs). Every direct post (signals, calls, replies)
// flushes the batch first, so the order between this thread and another is
// exactly the order of the calls.
const BATCH_BYTES = 256 * 1024
const batch = new Uint8Array(BATCH_BYTES)
let used = 0
let ids = new Float64Array(1024)
let ends = new Uint32Array(1024)
let count = 0
let registered = false
const resolved = Promise.resolve()

/** Queues a user message to process `id` of another thread (dropped there
 * if it is dead, as a send to a dead pid). Throws NotPortableError before
 * anything is queued. */
export function postMessage(id: number, msg: unknown): void {
  // Copied into the batch (or posted) before anything encodes again.
  const b = encodeTransient(msg, 'msg')
  if (used + b.length > BATCH_BYTES) {
    flushPosts()
    if (b.length > BATCH_BYTES) {
      native.post(id, USER, b)
      return
    }
  }
  if (count === ids.length) {
    ids = grow(ids, new Float64Array(count * 2))
    ends = grow(ends, new Uint32Array(count * 2))
    registered = false
  }
  batch.set(b, used)
  used += b.length
  ids[count] = id
  ends[count] = used
  // A promise job, not queueMicrotask (Node makes an async resource and a
  // bound function for each of those: ~25 vs ~75 ns here).
  if (count++ === 0) resolved.then(flushPosts)
}

function grow<T extends Float64Array | Uint32Array>(old: T, into: T): T {
  into.set(old)
  return into
}

/** Posts the queued user messages now (before any other post from this thread). */
export function flushPosts(): void {
  if (count === 0) return
  if (!registered) {
    native.threadPostBlocks(batch, ids, ends)
    registered = true
  }
  postBlocks(count)
  used = 0
  count = 0
}

/** Posts `bytes` on `lane` to process `id` of another thread after what
 * this thread queued before; false when `id` is not alive. */
export function postNow(id: number, lane: number, bytes: Uint8Array): boolean {
  flushPosts()
  return native.post(id, lane, bytes)
}

/** Posts an exit signal or DOWN to process `id` of another thread. */
export function postSignal(id: number, sig: unknown[]): void {
  let bytes: Uint8Array
  try {
    bytes = encode(sig, 'reason')
  } catch {
    // A reason that cannot travel still kills: it arrives as its description.
    const r = sig[0] === 'DOWN' ? 3 : 2
    bytes = encode(sig.map((x, i) => (i === r ? String(x) : x)))
  }
  postNow(id, SIGNAL, bytes)
}
