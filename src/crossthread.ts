// Messages and signals to processes of other JS threads of this node:
// encoded, posted into the owner thread's native inbox, and drained there
// in batches (one native call and one wake-up per batch).
import { decode, encode } from './codec.js'
import { deliverRemote, gone, owe } from './credit.js'
import { Encoded } from './encoded.js'
import { native } from './native.js'
import { signals } from './signals.js'
import { local, poolThread, systemPid, thread } from './thread.js'
import { onDown, onReply } from './threadcall.js'
import { wake } from './wakeups.js'

const USER = 0
const SIGNAL = 1
const REPLY = 2
const WAKE = 3
const SPAWN = 4
const REMOTE = 5

/** Posts a user message to process `id` of another thread; false when it
 * is not alive. Throws NotPortableError before anything is sent. */
export function postMessage(id: number, msg: unknown): boolean {
  return native.post(id, USER, encode(msg, 'msg'))
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
  native.post(id, SIGNAL, bytes)
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

/** What the node agent does with a term addressed to this thread's system
 * pid on the user lane (set by startNode; see src/node.ts). */
let agent: ((term: unknown[]) => void) | null = null

export function setAgent(fn: ((term: unknown[]) => void) | null): void {
  agent = fn
}

/** What a pool worker does with a Spawn delivery: start process `id` from
 * its encoded spec (set by src/poolworker.ts). */
let spawner: ((id: number, spec: Uint8Array) => void) | null = null

export function setSpawner(fn: ((id: number, spec: Uint8Array) => void) | null): void {
  spawner = fn
  drainInbox()
}

/** Takes this thread's inbox and delivers it, in arrival order. */
export function drainInbox(): void {
  // A pool worker drains once it can start what it is sent (setSpawner).
  if (poolThread !== undefined && spawner === null) return
  const b = native.threadDrain(thread)
  const all = b.bytes
  // Views into one batch buffer; a large batch is copied out instead, so a
  // message left queued does not keep the whole batch alive.
  const copy = all.length > 256 * 1024
  let start = 0
  for (let i = 0; i < b.to.length; i++) {
    const end = b.ends[i]
    const bytes = copy ? new Uint8Array(all.subarray(start, end)) : all.subarray(start, end)
    start = end
    const lane = b.lane[i]
    if (lane === WAKE) {
      if (b.to[i] !== 0) wake(b.to[i])
      else {
        // Credit's wake-ups, one batch: tokens as u64 little-endian (< 2^53).
        const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
        for (let o = 0; o + 8 <= bytes.length; o += 8) wake(v.getUint32(o, true) + v.getUint32(o + 4, true) * 2 ** 32)
      }
      continue
    }
    if (lane === REPLY) {
      onReply(bytes)
      continue
    }
    if (lane === SPAWN) {
      spawner?.(b.to[i], bytes)
      continue
    }
    const p = local.get(b.to[i])
    if (lane === REMOTE) {
      // From a node that counts credit: its id first, then the message.
      const node = (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0
      if (p !== undefined) deliverRemote(p, new Encoded(bytes.subarray(4)), node)
      else if (b.to[i] === systemPid.id && agent !== null) {
        toAgent(bytes.subarray(4))
        owe(node, b.to[i])
      } else gone(node, b.to[i])
      continue
    }
    if (lane === USER) {
      // User messages stay encoded until something needs their value.
      if (p !== undefined) p._deliverEncoded(new Encoded(bytes))
      else if (b.to[i] === systemPid.id && agent !== null) toAgent(bytes)
      continue
    }
    let v: unknown
    try {
      v = decode(bytes)
    } catch {
      continue
    }
    if (p !== undefined) signals.fromInbox(p, v as unknown[])
    else if (b.to[i] === systemPid.id && Array.isArray(v) && v[0] === 'DOWN') onDown(v)
  }
}
