// Credit for user messages between nodes (crates/cluster/src/credit.rs holds
// the sender's windows). This thread's half:
// - as a receiver, it owes the sending node one unit per message once the
//   destination's mailbox takes it (at once below a mailbox limit, when
//   room frees up at it), and returns what it owes in one Grant frame per
//   sending node after each batch;
// - as a sender, a send held for want of credit gets a promise that
//   resolves once the message is handed to the link (or dropped with a
//   process or link that is gone), and with `remoteFull: 'error'` a send
//   out of credit throws MailboxFullError instead.
import { Encoded } from '../kernel/encoded.js'
import { MailboxFullError } from '../kernel/errors.js'
import type { Receiver } from '../kernel/receiver.js'
import { local, systemPid } from '../kernel/thread.js'
import type { Pid, RemoteService } from '../kernel/values.js'
import { expect } from '../kernel/wakeups.js'
import { blockFloats } from '../kernel/writer.js'
import { clusterGrant, native } from '../native/index.js'
import { linkCalm, linkFull } from './busy.js'
import { flushSoon } from './peers.js'

const { OutOfCredit: OUT_OF_CREDIT, Busy: BUSY, LinkFull: LINK_FULL } = native.RemoteCode

/** Owed units per sending node, per destination process; GONE marks a
 * process that no longer exists (the sender drops what it holds). */
const owed = new Map<number, Map<number, number>>()
const GONE = -1
let scheduled = false

/** This node's senders throw instead of waiting when out of credit or when a link is busy. */
let refuse = false

export function setRemoteFull(full: 'wait' | 'error'): void {
  refuse = full === 'error'
}

/** The argument-block flag for `clusterSend` and `clusterSendName`: 1 when the send must not wait. */
export function refuseFlag(): number {
  return refuse ? 1 : 0
}

/** One message from node `node` to process `pid` was taken by its mailbox. */
export function owe(node: number, pid: number): void {
  let m = owed.get(node)
  if (m === undefined) {
    m = new Map()
    owed.set(node, m)
  }
  const n = m.get(pid) ?? 0
  if (n !== GONE) m.set(pid, n + 1)
  schedule()
}

/** A delivery on the `Remote` lane (src/threads/inbox.ts): from a node
 * that counts credit, `slab[from..to)` is that node's id (u32
 * little-endian), then the message for process `id`. */
export function remoteLane(id: number, slab: Uint8Array, from: number, to: number): void {
  if (to - from < 4) return
  const node = (slab[from] | (slab[from + 1] << 8) | (slab[from + 2] << 16) | (slab[from + 3] << 24)) >>> 0
  const p = local.get(id)
  if (p !== undefined) deliverRemote(p, new Encoded(slab, from + 4, to), node)
  // One sent to the system pid is dropped (the agent's terms come on their
  // own lane), its credit returned.
  else if (id === systemPid().id) owe(node, id)
  else gone(node, id)
}

/** Delivers a message from node `node`, which counts credit toward `p`:
 * the credit goes back once the mailbox takes it, at once below its limit
 * (or to a waiting receive), when room frees up at it. */
function deliverRemote(p: Receiver, e: Encoded, node: number): void {
  const id = p.self.id
  const mb = p._mb
  const before = mb === null ? 0 : mb.users
  p._deliverEncoded(e)
  if (mb === null || before < mb.limit || mb.users === before) owe(node, id)
  else mb.wait(() => owe(node, id))
}

/** A message from node `node` found process `pid` gone. */
export function gone(node: number, pid: number): void {
  let m = owed.get(node)
  if (m === undefined) {
    m = new Map()
    owed.set(node, m)
  }
  m.set(pid, GONE)
  schedule()
}

function schedule(): void {
  if (scheduled) return
  scheduled = true
  queueMicrotask(flushGrants)
}

/** Sends what this thread owes: one Grant per sending node. */
export function flushGrants(): void {
  scheduled = false
  for (const [node, m] of owed) {
    const pairs = blockFloats(m.size * 2)
    let i = 0
    for (const [pid, n] of m) {
      pairs[i++] = pid
      pairs[i++] = n === GONE ? 0 : n
    }
    clusterGrant(node, m.size)
  }
  owed.clear()
  // Grants are deferred natively: they leave in this thread's next write.
  flushSoon()
}

/** What `clusterSend` or `clusterSendName` to node `node` answered (not `NotANode`), as `send` returns it:
 * undefined when sent, a promise when held for credit (resolved once handed to the link) or sent to a busy
 * link (resolved once it is calm, src/nodes/busy.ts). */
export function sendOutcome(r: number, dest: Pid | RemoteService, node: number): Promise<void> | undefined {
  // `dest` is named only in errors: no string is built per send.
  if (r === 0) return undefined
  if (r > 0) return new Promise<void>((resolve) => expect(r, resolve))
  // Sent: with remoteFull 'error' it is the next send that is refused.
  if (r === BUSY) return refuse ? undefined : linkCalm(node)
  if (r === OUT_OF_CREDIT)
    throw new MailboxFullError(
      `${dest} has as many messages in flight from this node as its credit window allows (remoteFull: 'error'); try again later`,
    )
  if (r === LINK_FULL) throw linkFull(String(dest))
  return undefined
}
