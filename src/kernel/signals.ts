// Exit signals and DOWN notifications: Erlang's rules, applied in one
// queue per thread so that a cascade through 100,000 links runs as a loop,
// not as 100,000 nested calls; and a process's exit from the process table.

import { native, procExit } from '../native/index.js'
import { encodeReason } from './codec.js'
import { namesOf, report, reportable } from './crash.js'
import type { Receiver } from './receiver.js'
import { nodes, threads } from './route.js'
import { local, removeLocal } from './thread.js'
import { nodeName, Pid, Ref } from './values.js'

type Sig = { target: Receiver; from: Pid; reason: unknown; viaExit: boolean }

const queue: Sig[] = []
let flushing = false

function flush(): void {
  if (flushing) return
  flushing = true
  try {
    for (let i = 0; i < queue.length; i++) apply(queue[i])
  } finally {
    queue.length = 0
    flushing = false
  }
}

/** Erlang's rules for one exit signal arriving at a live process. */
function apply({ target, from, reason, viaExit }: Sig): void {
  if (target._dead) return
  if (viaExit && reason === 'kill') die(target, 'killed')
  else if (target._trap) target._deliverSignal(['EXIT', from, reason])
  else if (reason !== 'normal') die(target, reason)
  // exit(self, 'normal') from the process itself ends it, as in Erlang.
  else if (viaExit && from.id === target.self.id && from.node === target.self.node) die(target, 'normal')
}

const NO_EFFECTS: number[] = [0]
const REMOTE_EFFECTS = native.REMOTE_EFFECTS
/** Whether the last process `tableExit` removed had relations on other nodes. */
let lastExitRemote = false

/** Removes process `id` from the native table, which signals its links and
 * monitors on other threads and nodes (after what this thread sent them),
 * and returns its local exit effects ([nLinks, ...links, ...(ref,
 * watcher)]), or null when it was already gone. */
function tableExit(id: number, reason: unknown): number[] | null {
  threads.flush()
  let n = procExit(id)
  lastExitRemote = n > 0 && (n & REMOTE_EFFECTS) !== 0
  if (lastExitRemote) {
    native.procExitRemote(encodeReason(reason))
    n &= ~REMOTE_EFFECTS
  }
  return n > 1 ? native.procExitEffects() : n === 1 ? NO_EFFECTS : null
}

/** Removes `p` and tells its links and monitors, with `reason`. `crashed`
 * when its own body threw: with nobody to tell, that is a crash report. */
function die(p: Receiver, reason: unknown, crashed = false): void {
  const pid = p.self
  const names = crashed && reportable(reason) ? namesOf(pid.id) : null
  removeLocal(pid.id)
  p._die(reason)
  const fx = tableExit(pid.id, reason)
  if (fx === null) return
  if (names !== null && fx.length === 1 && !lastExitRemote) report(pid, names, reason)
  const nLinks = fx[0]
  for (let i = 1; i <= nLinks; i++) {
    const t = local.get(fx[i])
    if (t !== undefined) queue.push({ target: t, from: pid, reason, viaExit: false })
    else threads.signal(fx[i], ['EXIT', pid, reason, false])
  }
  for (let i = 1 + nLinks; i < fx.length; i += 2) {
    const down = ['DOWN', new Ref(nodeName, fx[i]), pid, reason]
    const w = local.get(fx[i + 1])
    if (w !== undefined) w._deliverSignal(down)
    else threads.signal(fx[i + 1], down)
  }
}

export const signals = {
  /** `p`'s body returned (`'normal'`) or threw (`reason`). */
  terminate(p: Receiver, reason: unknown): void {
    if (p._dead) return
    die(p, reason, true)
    flush()
  },

  /** An exit signal for local process `target`. `viaExit` when it comes
   * from `exit()` (then 'kill' is untrappable), not from a link. */
  exitSignal(target: Receiver, from: Pid, reason: unknown, viaExit: boolean): void {
    queue.push({ target, from, reason, viaExit })
    flush()
  },

  /** `exit(pid, reason)` sent by `from`: local targets now, others through
   * their thread's inbox or their node; a dead pid is ignored, as in Erlang. */
  sendExit(from: Pid, pid: Pid, reason: unknown): void {
    const t = Pid.isLocal(pid) ? local.get(pid.id) : undefined
    if (t !== undefined) this.exitSignal(t, from, reason, true)
    else if (Pid.isLocal(pid)) threads.signal(pid.id, ['EXIT', from, reason, true])
    else nodes.exit(from, pid, reason)
  },

  /** A signal that arrived from another thread or node, decoded:
   * `['DOWN', ref, pid, reason]` or `['EXIT', from, reason, viaExit]`.
   * Anything else is dropped (total: the term may come from a peer). */
  fromInbox(target: Receiver, sig: unknown): void {
    if (!Array.isArray(sig) || sig.length !== 4) return
    if (sig[0] === 'DOWN') {
      if (sig[1] instanceof Ref && sig[2] instanceof Pid) target._deliverSignal(sig)
    } else if (sig[0] === 'EXIT' && sig[1] instanceof Pid) this.exitSignal(target, sig[1], sig[2], sig[3] === true)
  },
}
