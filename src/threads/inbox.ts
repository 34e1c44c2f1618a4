// Messages and signals to processes of other JS threads of this node:
// encoded, posted into the owner thread's native inbox, and drained there
// in batches (one native call and one wake-up per batch).
import { decode, encode } from '../kernel/codec.js'
import { Encoded } from '../kernel/encoded.js'
import { signals } from '../kernel/signals.js'
import { A, local, poolThread, systemPid, thread } from '../kernel/thread.js'
import { wake } from '../kernel/wakeups.js'
import { native } from '../native/addon.js'
import { deliverRemote, gone, owe } from '../nodes/credit.js'
import { onDown, onReply } from './threadcall.js'

const USER = 0
const SIGNAL = 1
const REPLY = 2
const WAKE = 3
const SPAWN = 4
const REMOTE = 5
const AGENT = 6

// User messages to other threads are written into one batch per thread and
// posted with one native call when the current job's microtasks run (or
// when the batch fills): a post per message cost ~1 us of N-API, the copy
// into the batch a few ns. Every direct post (signals, calls, replies)
// flushes the batch first, so the order between this thread and another is
// exactly the order of the calls.
const BATCH_BYTES = 256 * 1024
const batch = new Uint8Array(BATCH_BYTES)
let used = 0
let ids = new Float64Array(1024)
let ends = new Uint32Array(1024)
let count = 0

/** Queues a user message to process `id` of another thread (dropped there
 * if it is dead, as a send to a dead pid). Throws NotPortableError before
 * anything is queued. */
export function postMessage(id: number, msg: unknown): void {
  const b = encode(msg, 'msg')
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
  }
  batch.set(b, used)
  used += b.length
  ids[count] = id
  ends[count] = used
  if (count++ === 0) queueMicrotask(flushPosts)
}

function grow<T extends Float64Array | Uint32Array>(old: T, into: T): T {
  into.set(old)
  return into
}

/** Posts the queued user messages now (before any other post from this thread). */
export function flushPosts(): void {
  if (count === 0) return
  native.postBatch(batch.subarray(0, used), ids.subarray(0, count), ends.subarray(0, count))
  used = 0
  count = 0
}

const NO_EFFECTS: number[] = [0]
/** Set in procExit's result when the process had relations on other nodes. */
const REMOTE_EFFECTS = 1 << 30
/** Whether the last process `tableExit` removed had relations on other nodes. */
export let lastExitRemote = false

/** Removes process `id` from the native table, which signals its links and
 * monitors on other threads and nodes (after what this thread sent them),
 * and returns its local exit effects ([nLinks, ...links, ...(ref,
 * watcher)]), or null when it was already gone. */
export function tableExit(id: number, reason: unknown): number[] | null {
  flushPosts()
  A[0] = id
  let n = native.procExit()
  lastExitRemote = n > 0 && (n & REMOTE_EFFECTS) !== 0
  if (lastExitRemote) {
    native.procExitRemote(encodeReason(reason))
    n &= ~REMOTE_EFFECTS
  }
  return n > 1 ? native.procExitEffects() : n === 1 ? NO_EFFECTS : null
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

function toAgent(bytes: Uint8Array): void {
  let term: unknown
  try {
    term = decode(bytes)
  } catch {
    return
  }
  // The agent must never take the drain loop down with it.
  try {
    if (Array.isArray(term)) agent?.(term)
  } catch (e) {
    console.error('bfly: the node agent failed:', e)
  }
}

/** An exit reason as it travels: itself when portable, else its description
 * (a reason that cannot travel still kills). */
export function encodeReason(reason: unknown): Uint8Array {
  try {
    return encode(reason, 'reason')
  } catch {
    return encode(String(reason))
  }
}

/** What the node agent does with a term the distribution layer posts on
 * the agent lane (set by startNode; see src/nodes/node.ts). */
let agent: ((term: unknown[]) => void) | null = null

export function setAgent(fn: ((term: unknown[]) => void) | null): void {
  agent = fn
}

/** What a pool worker does with a Spawn delivery: start process `id` from
 * its encoded spec (set by src/threads/poolworker.ts). */
let spawner: ((id: number, spec: Uint8Array) => void) | null = null

export function setSpawner(fn: ((id: number, spec: Uint8Array) => void) | null): void {
  spawner = fn
  drainInbox()
}

const SLAB = 256 * 1024

// A small batch crosses in these blocks (see crates/binding/src/drain.rs):
// one native call returning a count, where building arrays and a Buffer
// per drain cost ~10 us, most of a cross-thread hop.
const DRAIN_SLOTS = 256
const DRAIN_META = new Float64Array(3 * DRAIN_SLOTS)
const DRAIN_BYTES = new Uint8Array(64 * 1024)
native.threadDrainBlocks(DRAIN_META, DRAIN_BYTES)

/** Takes this thread's inbox and delivers it, in arrival order. */
export function drainInbox(): void {
  // A pool worker drains once it can start what it is sent (setSpawner).
  if (poolThread !== undefined && spawner === null) return
  const n = native.threadDrainSmall(thread)
  if (n > 0) {
    // Copied out of the blocks: a delivery may drain again, re-entrantly.
    const ends = DRAIN_META.slice(2 * DRAIN_SLOTS, 2 * DRAIN_SLOTS + n)
    const all = DRAIN_BYTES.slice(0, ends[n - 1])
    deliver(all, DRAIN_META.slice(0, n), DRAIN_META.slice(DRAIN_SLOTS, DRAIN_SLOTS + n), ends)
  } else if (n < 0) {
    const b = native.threadDrain(thread)
    deliver(b.bytes, b.to, b.lane, b.ends)
  }
}

/** Delivers a drained batch: delivery `i` is for process `targets[i]` on lane
 * `lanes[i]`, its payload `all[ends[i-1]..ends[i])`. */
function deliver(all: Uint8Array, targets: ArrayLike<number>, lanes: ArrayLike<number>, ends: ArrayLike<number>): void {
  // Views into one batch buffer. A large batch is copied into slabs of at
  // most SLAB bytes (one copy per slab, not per message), so a message left
  // queued keeps at most its slab alive, never the whole batch.
  const n = targets.length
  let slab = all
  let base = 0
  let slabEnd = all.length > SLAB ? 0 : all.length
  let start = 0
  for (let i = 0; i < n; i++) {
    const end = ends[i] as number
    if (end > slabEnd) {
      let j = i
      while (j + 1 < n && (ends[j + 1] as number) - start <= SLAB) j++
      slabEnd = ends[j] as number
      slab = all.slice(start, slabEnd)
      base = start
    }
    const from = start - base
    const to = end - base
    start = end
    try {
      deliverOne(lanes[i] as number, targets[i] as number, slab, from, to)
    } catch (e) {
      // Every handler below is total; a throw here is a bug in bfly. It
      // costs this one delivery, never the rest of the batch or the node.
      internalError(`a delivery on lane ${lanes[i]} failed`, e)
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
  if (lane === AGENT) {
    if (agent !== null) toAgent(bytes)
    return
  }
  const p = local.get(id)
  if (lane === REMOTE) {
    // From a node that counts credit: its id first, then the message.
    if (bytes.length < 4) return
    const node = (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0
    if (p !== undefined) deliverRemote(p, new Encoded(slab, from + 4, to), node)
    else if (id === systemPid.id) owe(node, id)
    else gone(node, id)
    return
  }
  let v: unknown
  try {
    v = decode(bytes)
  } catch {
    return
  }
  if (p !== undefined) signals.fromInbox(p, v)
  else if (id === systemPid.id && Array.isArray(v) && v[0] === 'DOWN') onDown(v)
}

let internalErrors = 0

/** Reports a failure of bfly's own code that was caught so the node lives
 * on (the first 100, then every 10,000th). The crash guard of the tests
 * fails a test whose node prints this. */
function internalError(what: string, e: unknown): void {
  if (++internalErrors <= 100 || internalErrors % 10_000 === 0)
    console.error(`bfly: internal error (${internalErrors}): ${what}:`, e)
}
