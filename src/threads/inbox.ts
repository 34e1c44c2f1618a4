// This thread's native inbox, drained: what other threads and nodes posted
// for its processes arrives in batches (one native call and one wake-up
// per batch) and is delivered here, lane by lane, in arrival order.
import { decode } from '../kernel/codec.js'
import { Encoded } from '../kernel/encoded.js'
import { signals } from '../kernel/signals.js'
import { local, poolThread, started, systemPid, threadId } from '../kernel/thread.js'
import { wake } from '../kernel/wakeups.js'
import { native } from '../native/index.js'
import { onDown, onReply } from './threadcall.js'

const { LANE_USER: USER, LANE_SIGNAL: SIGNAL, LANE_REPLY: REPLY, LANE_WAKE: WAKE, LANE_SPAWN: SPAWN } = native

/** A delivery on a lane this layer does not handle itself: for process
 * `id`, its payload `slab[from..to)`. */
export type LaneHandler = (id: number, slab: Uint8Array, from: number, to: number) => void

/** Handlers of the lanes other layers own (the nodes layer: credited
 * messages from other nodes, the node agent's terms), by lane. */
const laneHandlers: (LaneHandler | undefined)[] = []

/** Registers the handler of deliveries on `lane` (a layer above this one
 * owns what they mean). */
export function onLane(lane: number, fn: LaneHandler): void {
  laneHandlers[lane] = fn
}

/** What a pool worker does with a Spawn delivery: start process `id` from
 * its encoded spec (set by src/threads/poolworker.ts). */
let spawner: ((id: number, spec: Uint8Array) => void) | null = null

export function setSpawner(fn: ((id: number, spec: Uint8Array) => void) | null): void {
  spawner = fn
  if (started()) drainInbox()
}

const SLAB = 256 * 1024

// A small batch crosses in these blocks (see crates/binding/src/drain.rs):
// one native call returning a count, where building arrays and a Buffer
// per drain cost ~10 us, most of a cross-thread hop. A thread that reads
// its links itself routes what they bring for its processes straight into
// them, so they hold about one read's worth (crates/net's PUMP_BUDGET):
// with a quarter of that, a 100 B stream's receiving thread spent ~8% more.
const DRAIN_SLOTS = 4096
const DRAIN_META = new Float64Array(3 * DRAIN_SLOTS)
const DRAIN_BYTES = new Uint8Array(256 * 1024)
let blocks = false

let draining = false
let later = false

/** Takes this thread's inbox and delivers it, in arrival order: a bounded
 * part of it, with the rest taken from a `setImmediate`, so this thread's
 * processes consume what was taken before more is (a backlog waits in the
 * native inbox, off the JS heap, where taking it whole made every young
 * collection copy it); with `all`, everything now. */
export function drainInbox(all = false): void {
  // A pool worker drains once it can start what it is sent (setSpawner).
  if (poolThread !== undefined && spawner === null) return
  // Called again from inside a delivery: what was posted since this drain
  // took its batch woke the thread again (taking clears the pending
  // wake-up), so it is delivered after the rest of this batch, in order,
  // and the blocks below are read in place, not copied.
  if (draining) return
  draining = true
  let more: boolean
  try {
    do more = drainOnce()
    while (more && all)
  } finally {
    draining = false
  }
  // The rest keeps its wake-up pending (posts make none): come back for it.
  // An immediate also keeps the loop alive until then.
  if (more && !later) {
    later = true
    setImmediate(drainLater)
  }
}

function drainLater(): void {
  later = false
  drainInbox()
}

/** Takes and delivers one bounded part of the inbox: whether more waits. */
function drainOnce(): boolean {
  const thread = threadId()
  if (!blocks) {
    native.threadDrainBlocks(DRAIN_META, DRAIN_BYTES)
    blocks = true
  }
  const r = native.threadDrainSmall()
  if (r >= 0) {
    const n = r >> 1
    // The payloads are copied out of the block (a message stays encoded
    // in its mailbox, as a range of that copy); the metadata is read in
    // place (nothing drains into the blocks until this returns).
    if (n > 0) {
      const all = copyOut(DRAIN_META[2 * DRAIN_SLOTS + n - 1])
      deliver(all, n, DRAIN_META, 0, DRAIN_META, DRAIN_SLOTS, DRAIN_META, 2 * DRAIN_SLOTS)
    }
    return (r & 1) === 1
  }
  const b = native.threadDrain(thread)
  deliver(b.bytes, b.to.length, b.to, 0, b.lane, 0, b.ends, 0)
  return b.more
}

/** A copy of `DRAIN_BYTES[0..n)` in memory of its own, as a plain Uint8Array (so a bin decoded from it is one,
 * as from any other message). `slice` had the new memory zeroed before copying over it: 12% of a 64 KiB stream's
 * receiving thread, 1.6% of a 100 B stream's. */
function copyOut(n: number): Uint8Array {
  const all = new Uint8Array(Buffer.allocUnsafeSlow(n).buffer, 0, n)
  all.set(DRAIN_BYTES.subarray(0, n))
  return all
}

/** Delivers a drained batch of `n`: delivery `i` is for process
 * `targets[t + i]` on lane `lanes[l + i]`, its payload
 * `all[ends[e + i - 1]..ends[e + i])`. */
function deliver(
  all: Uint8Array,
  n: number,
  targets: ArrayLike<number>,
  t: number,
  lanes: ArrayLike<number>,
  l: number,
  ends: ArrayLike<number>,
  e: number,
): void {
  // Views into one batch buffer. A large batch is copied into slabs of at
  // most SLAB bytes (one copy per slab, not per message), so a message left
  // queued keeps at most its slab alive, never the whole batch.
  let slab = all
  let base = 0
  let slabEnd = all.length > SLAB ? 0 : all.length
  let start = 0
  for (let i = 0; i < n; i++) {
    const end = ends[e + i] as number
    if (end > slabEnd) {
      let j = i
      while (j + 1 < n && (ends[e + j + 1] as number) - start <= SLAB) j++
      slabEnd = ends[e + j] as number
      // One delivery over the slab size is the whole batch: kept as it is.
      slab = start === 0 && slabEnd === all.length ? all : all.slice(start, slabEnd)
      base = start
    }
    const from = start - base
    const to = end - base
    start = end
    const lane = lanes[l + i] as number
    try {
      deliverOne(lane, targets[t + i] as number, slab, from, to)
    } catch (err) {
      // Every handler below is total; a throw here is a bug in bfly. It
      // costs this one delivery, never the rest of the batch or the node.
      internalError(`a delivery on lane ${lane} failed`, err)
    }
  }
}

/** Delivers `slab[from..to)`, for process `id`, on `lane`. */
function deliverOne(lane: number, id: number, slab: Uint8Array, from: number, to: number): void {
  if (lane === USER) {
    // User messages stay encoded until something needs their value (as
    // a range of the batch: decoding a range reuses the batch's DataView).
    // One sent to the system pid is dropped (a peer's message cannot
    // pass for the agent's, which come on their own lane).
    local.get(id)?._deliverEncoded(new Encoded(slab, from, to))
    return
  }
  const bytes = slab.subarray(from, to)
  if (lane === WAKE) {
    if (id !== 0) wake(id)
    else {
      // Credit's wake-ups, one batch: tokens as u64 little-endian (< 2^53).
      const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      for (let o = 0; o + 8 <= bytes.length; o += 8) wake(v.getUint32(o, true) + v.getUint32(o + 4, true) * 2 ** 32)
    }
    return
  }
  if (lane === REPLY) {
    onReply(bytes)
    return
  }
  if (lane === SPAWN) {
    spawner?.(id, bytes)
    return
  }
  if (lane !== SIGNAL) {
    laneHandlers[lane]?.(id, slab, from, to)
    return
  }
  let v: unknown
  try {
    v = decode(bytes)
  } catch {
    return
  }
  const p = local.get(id)
  if (p !== undefined) signals.fromInbox(p, v)
  else if (id === systemPid().id && Array.isArray(v) && v[0] === 'DOWN') onDown(v)
}

let internalErrors = 0

/** Reports a failure of bfly's own code that was caught so the node lives
 * on (the first 100, then every 10,000th). The crash guard of the tests
 * fails a test whose node prints this. */
function internalError(what: string, e: unknown): void {
  if (++internalErrors <= 100 || internalErrors % 10_000 === 0)
    console.error(`bfly: internal error (${internalErrors}): ${what}:`, e)
}
