// Busy node links (crates/net/src/busy.rs; Erlang's busy_dist_port): a
// send that found one returns a promise, resolved once the link drains or
// is gone. One native wait per link and thread, shared by its senders.
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
    // Not a node (any more): nothing to wait for.
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
    `the link to the node of ${what} is busy (remoteFull: 'error'): nothing was sent; try again later`,
  )
}
