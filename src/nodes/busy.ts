// Busy node links (crates/net/src/outbox.rs): Erlang's busy_dist_port. A
// send to a node whose link has more than its busy limit queued is still
// queued, in order, and `send` returns a promise that resolves once the
// link has drained under half of that limit, or is gone (its messages are
// then dropped, as Erlang drops them for a node it cannot reach). One
// native wait per link and thread: every sender of this thread that found
// the link busy shares its promise, and one drain wakes each thread once.
import { MailboxFullError } from '../kernel/errors.js'
import { expect } from '../kernel/wakeups.js'
import { clusterCalm } from '../native/index.js'

/** The wait of this thread per busy link, by node id. */
const calming = new Map<number, Promise<void>>()

/** Resolves once the link to node `node` (a native node id) is no longer busy, or is gone. */
export function linkCalm(node: number): Promise<void> {
  let w = calming.get(node)
  if (w === undefined) {
    const token = clusterCalm(node)
    // Not a node (any more): nothing is queued anywhere to wait for.
    if (token === 0) return Promise.resolve()
    w = new Promise<void>((resolve) =>
      expect(token, () => {
        calming.delete(node)
        resolve()
      }),
    )
    calming.set(node, w)
  }
  return w
}

/** What a send refused for a busy link (`remoteFull: 'error'`) throws. */
export function linkFull(what: string): MailboxFullError {
  return new MailboxFullError(
    `the link to the node of ${what} is busy (more is queued for it than its limit, an eighth of maxQueuedBytes) and remoteFull is 'error': nothing was sent; try again later`,
  )
}
