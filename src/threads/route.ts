// The route the kernel takes to processes of other threads of this node
// (src/kernel/route.ts): posts into their native inboxes, calls answered
// on this thread's reply lane, pool spawns; and this thread's drain.
import { routeThreads } from '../kernel/route.js'
import { started } from '../kernel/thread.js'
import { drainInbox } from './inbox.js'
import { poolSpawn } from './pool.js'
import { flushPosts, postMessage, postSignal } from './post.js'
import { callOnThread, replyOnThread } from './threadcall.js'

/** Wires this layer into the kernel (index.ts does, once per thread). */
export function installThreads(): void {
  routeThreads({
    drain: drainInbox,
    flush: flushPosts,
    send: postMessage,
    signal: postSignal,
    call: callOnThread,
    reply: replyOnThread,
    spawn: poolSpawn,
  })
  // Deliveries that queued before the route existed.
  if (started()) drainInbox()
}
