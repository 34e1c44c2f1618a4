// The route the kernel takes to processes and services of other nodes
// (src/kernel/route.ts), and the lanes of this thread's inbox this layer
// owns: credited messages from other nodes, and the node agent's terms.
import { routeNodes } from '../kernel/route.js'
import { native } from '../native/index.js'
import { onLane } from '../threads/inbox.js'
import { agentLane } from './agent.js'
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
  onLane(native.LANE_AGENT, agentLane)
}
