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
import type { Encoded } from '../kernel/encoded.js'
import { MailboxFullError } from '../kernel/errors.js'
import type { Process } from '../kernel/process.js'
import { expect } from '../kernel/wakeups.js'
import { native } from '../native/addon.js'

/** The default window: messages in flight to one remote process. */
export const DEFAULT_WINDOW = 512

/** Owed units per sending node, per destination process; GONE marks a
 * process that no longer exists (the sender drops what it holds). */
const owed = new Map<number, Map<number, number>>()
const GONE = -1
let scheduled = false

/** This node's senders throw instead of waiting when out of credit. */
let refuse = false

export function setRemoteFull(full: 'wait' | 'error'): void {
  refuse = full === 'error'
}

/** The argument-block flag for `distSend`: 1 when the send must not wait. */
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

/** Delivers a message from node `node`, which counts credit toward `p`:
 * the credit goes back once the mailbox takes it, at once below its limit
 * (or to a waiting receive), when room frees up at it. */
export function deliverRemote(p: Process, e: Encoded, node: number): void {
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
    const pairs = new Float64Array(m.size * 2)
    let i = 0
    for (const [pid, n] of m) {
      pairs[i++] = pid
      pairs[i++] = n === GONE ? 0 : n
    }
    native.distGrant(node, pairs)
  }
  owed.clear()
}

/** What `distSend` answered, as `send` returns it: undefined when sent, a
 * promise when held for credit (resolved once handed to the link). */
export function sendOutcome(r: number, what: string): Promise<void> | undefined {
  if (r <= 0) {
    if (r === -2)
      throw new MailboxFullError(
        `${what} has as many messages in flight from this node as its credit window allows (remoteFull: 'error'); try again later`,
      )
    return undefined
  }
  return new Promise<void>((resolve) => expect(r, resolve))
}
