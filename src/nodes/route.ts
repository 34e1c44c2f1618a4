// The route the kernel takes to processes and services of other nodes
// (src/kernel/route.ts), and the lane on which credited messages from
// other nodes arrive in this thread's inbox.
import { routeNodes } from '../kernel/route.js'
import { native } from '../native/index.js'
import { onLane } from '../threads/inbox.js'
import { remoteLane } from './credit.js'
import {
  callRemote,
  exitRemote,
  linkRemote,
  monitorRemote,
  replyRemote,
  sendRemote,
  sendService,
  spawnRemote,
  unlinkRemote,
} from './remote.js'

/** Wires this layer into the kernel and the inbox (index.ts does, once per thread). */
export function installNodes(): void {
  routeNodes({
    send: sendRemote,
    sendService,
    call: callRemote,
    reply: replyRemote,
    link: linkRemote,
    unlink: unlinkRemote,
    monitor: monitorRemote,
    exit: exitRemote,
    spawn: spawnRemote,
  })
  onLane(native.LANE_REMOTE, remoteLane)
}
