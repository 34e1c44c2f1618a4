// User messages to other nodes leave this thread in batches: a send copies
// its encoded message into blocks lent once to the native side
// (crates/binding/src/cluster_batch.rs), and one native call per job (or per
// full block) hands them all to their links. A native call per message
// (with its peer lookup and two locks) cost the sending thread as much as
// the link spends per message in all (docs/DECISIONS.md, issue 18).
//
// Order: the native side hands the batch over before anything else this
// thread sends (a signal, a call, a reply, a process's exit), so nothing
// overtakes a message sent before it.
//
// A batched send cannot answer what its link or its credit said, so:
// - a message to a process is queued only within an allowance: what the
//   native side said was left of that process's credit window when this
//   thread last asked (after a direct send went at once); past it, sends
//   go the direct way, which answers with a promise when out of credit.
//   Another thread's sends to the same process can spend that credit
//   first: the hand-over then holds the message and notes it;
// - the hand-over notes a busy link, and messages to that node then go
//   the direct way until one of them answers "sent".
// So a sender runs past a busy mark by one batch at most and never past a
// credit window; one that would not wait (`remoteFull: 'error'`) always
// sends directly.
import { expect } from '../kernel/wakeups.js'
import { copyBlock, PAST_LIMIT, putUtf8, writeInto } from '../kernel/writer.js'
import { clusterCreditLeft, native } from '../native/index.js'

const { Busy: BUSY } = native.RemoteCode

/** The batch's bytes; messages over BATCHED_MAX go directly (a copy here would cost more than the call saves). */
const BATCH_BYTES = 256 * 1024
const BATCHED_MAX = 8 * 1024
/** Messages per batch. */
const SLOTS = 4096

/** Each message starts at a multiple of 4 (it is copied in words). */
const bytes = new Uint8Array(BATCH_BYTES)
const byteWords = new Int32Array(bytes.buffer)
const byteView = new DataView(bytes.buffer)
/** Per message: node id, process id (0 for a name), the name's UTF-8 length (0: to the process id; SAME_NAME). */
const meta = new Float64Array(SLOTS * 3)
const ends = new Uint32Array(SLOTS)
/** [0] messages queued (the hand-over resets it), [1] notes written (reset here). Over 64 bytes, as every
 * lent array (crates/binding/src/lent.rs). */
const state = new Float64Array(16)
/** Per note: what a send answered (a wake token when held for credit, or a RemoteCode), node id, process id. */
const notes = new Float64Array(SLOTS * 3)
let registered = false

/** Nodes whose link a hand-over found busy. */
const busyNodes = new Set<number>()
/** Per node, per process: how many more messages may be queued for it (its allowance). The last process sent to
 * keeps its own in `last*`, out of the map (a stream to one process looks nothing up). */
const allowances = new Map<number, Map<number, number>>()
/** Processes with allowances past which the map is dropped (dead processes leave theirs behind). */
const MAX_ALLOWANCES = 1024
let allowanceCount = 0
let lastNode = -1
let lastPid = -1
let lastLeft = 0

/** Queues `msg` for process `to` of node `node`, written straight into the batch: false when it must go the
 * general way (encoded into the block, then `queueRemote`, `queueRemoteName` or a direct send). That way copies
 * each message once more, which cost a 100 B stream's sender ~8%; it remains for a message that does not fit the
 * batch or follows one that did not (see encodeQueued), needs the generic encoder, must be the first of a batch
 * to carry its name, or is written from inside another write. */
export function queueEncoded(node: number, to: number, msg: unknown): boolean {
  return encodeQueued(node, to, msg)
}

/** `queueEncoded` for the process registered as `name` on node `node`: only right after a message to the same
 * name, whose frame head it reuses (it carries no name). */
export function queueEncodedName(node: number, name: string, msg: unknown): boolean {
  return sameName(node, name) && encodeQueued(node, 0, msg)
}

/** Whether the last message this thread tried to write into the batch would have passed BATCHED_MAX, and no
 * message of at most BATCHED_MAX has reached `queue` since (see encodeQueued). */
let large = false

/** `queueEncoded` for process `to` (0: the name of the message before it, which the caller checked). After a
 * message too large for the batch, the messages after it go the general way (written once, into the block)
 * until one fits the batch there: a large message is mostly followed by another, and each was written into the
 * batch up to BATCHED_MAX before it gave up (for 15 KiB of 400 small objects, 40 µs on top of the 72 that
 * writing it costs). The price: the first small message after a large one is copied out of the block (as every
 * message was before the batch was written directly), and large and small messages that take turns still try
 * each large one here. */
function encodeQueued(node: number, to: number, msg: unknown): boolean {
  if (large || !registered || !open(node)) return false
  if (to !== 0 && !allowed(node, to)) return false
  const c = state[0]
  if (c === SLOTS) return false
  const start = nextStart(c)
  const limit = start + BATCHED_MAX
  const end = writeInto(msg, bytes, byteView, start, Math.min(limit, BATCH_BYTES - 3))
  // Past the batch's end rather than BATCHED_MAX, it may be a small message that the next batch takes.
  if (end === PAST_LIMIT && limit <= BATCH_BYTES - 3) large = true
  // A getter inside `msg` may have written (the write gave up) or handed the batch over (`c` is stale).
  if (end < 0 || state[0] !== c) return false
  if (to !== 0) lastLeft--
  append(c, node, to, to === 0 ? SAME_NAME : 0, end)
  return true
}

/** Whether messages to node `node` may be queued: its link was not found busy (after reading the notes of the
 * last hand-over). */
function open(node: number): boolean {
  if (state[1] !== 0) readNotes()
  return busyNodes.size === 0 || !busyNodes.has(node)
}

/** Where message `c` of the batch starts: after the one before, at a multiple of 4 (it is copied in words). */
function nextStart(c: number): number {
  return c === 0 ? 0 : (ends[c - 1] + 3) & ~3
}

/** Makes message `c` of the batch the one for node `node`, process `to` (name length `k`), ending at `end`. */
function append(c: number, node: number, to: number, k: number, end: number): void {
  meta[c * 3] = node
  meta[c * 3 + 1] = to
  meta[c * 3 + 2] = k
  ends[c] = end
  state[0] = c + 1
}

/** Whether the message before in the batch is to the process registered as `name` on node `node` (a message
 * after it to that name then carries no name). */
function sameName(node: number, name: string): boolean {
  const c = state[0]
  return c !== 0 && name === lastName && meta[c * 3 - 3] === node && meta[c * 3 - 1] !== 0
}

/** Queues the message in bytes `0..n` of the byte block for process `to` of node `node`: false when it must be
 * sent directly instead. */
export function queueRemote(node: number, to: number, n: number): boolean {
  return queue(node, to, n, 0)
}

/** Queues the message in bytes `0..n` of the byte block for the process registered as `name` on node `node`:
 * false when it must be sent directly instead. A message to the same name as the one queued before it carries
 * no name (the native side reuses that one's frame head): writing the name cost a 100 B stream's sender ~5%. */
export function queueRemoteName(node: number, n: number, name: string): boolean {
  if (sameName(node, name) && queue(node, 0, n, SAME_NAME)) return true
  if (!queue(node, 0, n, putUtf8(n, name))) return false
  lastName = name
  return true
}

/** The name of the last message queued by name (see queueRemoteName): when the message before in the batch is
 * by name, it is to this one. */
let lastName = ''
/** In `meta`, the name's length of a message to the same name as the message before it. */
const SAME_NAME = -1

/** Queues bytes `0..n` of the byte block (and a name's `k` UTF-8 bytes after them; 0: to process `to`;
 * SAME_NAME: the name of the message before) for node `node`. A message that must be the first of a batch
 * cannot reuse a name (false: the caller writes it). */
function queue(node: number, to: number, n: number, k: number): boolean {
  if (!open(node)) return false
  const len = k > 0 ? n + k : n
  if (len > BATCHED_MAX) return false
  large = false
  if (k === 0 && !spend(node, to)) return false
  let c = state[0]
  let start = nextStart(c)
  if (c === SLOTS || start + len + 3 > BATCH_BYTES) {
    if (k === SAME_NAME) return false
    handOver()
    c = 0
    start = 0
  }
  if (!registered) {
    native.clusterBatchBlocks(bytes, meta, ends, state, notes)
    registered = true
  }
  copyBlock(bytes, byteWords, start, len)
  append(c, node, to, k, start + len)
  return true
}

/** Hands the queued messages to their links now (before anything else this thread sends). */
export function handOver(): void {
  if (state[0] === 0) return
  native.clusterSendBatch()
  readNotes()
}

/** Takes one unit of process `to`'s allowance: false when none is left. */
function spend(node: number, to: number): boolean {
  if (!allowed(node, to)) return false
  lastLeft--
  return true
}

/** Whether any of process `to`'s allowance is left (it becomes the last one's, in `last*`). */
function allowed(node: number, to: number): boolean {
  if (to !== lastPid || node !== lastNode) {
    if (lastNode !== -1) setAllowance(lastNode, lastPid, lastLeft)
    lastNode = node
    lastPid = to
    lastLeft = allowances.get(node)?.get(to) ?? 0
  }
  return lastLeft !== 0
}

function setAllowance(node: number, pid: number, left: number): void {
  let m = allowances.get(node)
  if (m === undefined) {
    if (allowanceCount >= MAX_ALLOWANCES) {
      allowances.clear()
      allowanceCount = 0
    }
    m = new Map()
    allowances.set(node, m)
  }
  if (!m.has(pid)) allowanceCount++
  m.set(pid, left)
}

/** A direct send to process `to` (0: by name) of node `node` answered "sent": its link is not busy, and what
 * is left of the process's credit window may be queued. */
export function sentDirectly(node: number, to: number): void {
  busyNodes.delete(node)
  if (to === 0) return
  const left = clusterCreditLeft(node, to)
  if (node === lastNode && to === lastPid) lastLeft = left
  else setAllowance(node, to, left)
}

/** Reads what the hand-overs noted since last time. A message held for credit keeps the thread alive until it
 * is sent (its token is expected), as a direct send's promise does. */
export function readNotes(): void {
  const c = state[1]
  state[1] = 0
  for (let i = 0; i < c * 3; i += 3) {
    const r = notes[i]
    const node = notes[i + 1]
    if (r === BUSY) busyNodes.add(node)
    else if (r > 0) {
      // Another thread spent the credit: this one sends directly until told what is left.
      const pid = notes[i + 2]
      if (node === lastNode && pid === lastPid) lastLeft = 0
      else setAllowance(node, pid, 0)
      expect(r, () => {})
    }
  }
}
