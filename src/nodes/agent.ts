// The node agent: what the distribution layer tells this node (links up
// and down, refusals) and what peers ask of it, done here (Butterfly's
// agents on the remote side): spawn a process from a module the node
// admits, install code. Answers go back through the cluster.

import { decode, encode } from '../kernel/codec.js'
import { bodyOf, start } from '../kernel/process.js'
import { nodeName, Pid } from '../kernel/values.js'
import { clusterAnswer, native } from '../native/index.js'
import { installCode } from './code.js'
import { admit, ModuleRefused } from './modules.js'
import { type Node, thisNode } from './node.js'
import { sendingTo } from './peers.js'
import type { LoadedCode } from './remote.js'

/** Installs code for a peer (loadCode), answering with what the peer
 * needs to `upgrade` to it. */
async function installer(spec: { name: string; source: string }): Promise<LoadedCode> {
  const { url, version, exports } = await installCode(spec)
  return { url, version, exports: Object.keys(exports) }
}

/** Answers request `ref` of process `from` of node `peer`. */
function answer(peer: string, from: number, ref: number, link: number, body: unknown[]): void {
  let bytes: Uint8Array
  try {
    bytes = encode(body, 'answer')
  } catch (e) {
    bytes = encode([false, 'error', e instanceof Error ? e.message : String(e)])
  }
  clusterAnswer(sendingTo(peer), from, ref, link, bytes)
}

/** A delivery on the `Agent` lane (the distribution layer's own terms for
 * this node, src/threads/inbox.ts hands them here): dropped unless this
 * runtime is a node; the agent never takes the drain down with it. */
export function agentLane(_id: number, slab: Uint8Array, from: number, to: number): void {
  const current = thisNode()
  if (current === null) return
  let term: unknown
  try {
    term = decode(slab.subarray(from, to))
  } catch {
    return
  }
  try {
    if (Array.isArray(term)) agent(current, term)
  } catch (e) {
    console.error('bfly: the node agent failed:', e)
  }
}

function agent(current: Node, term: unknown[]): void {
  const [tag, a, b, c, d, e, f] = term
  if (tag === 'notice') {
    current._note('refused', String(a), String(c))
    return
  }
  if (tag === 'nodeup' || tag === 'nodedown') {
    current._note(tag, String(a), String(b ?? ''))
    return
  }
  if (tag === 'rejected') {
    current._note('rejected', String(a), String(c), String(b))
    return
  }
  if (tag !== 'ask') return
  const [peer, from, ref, flags] = [String(b), Number(c), Number(d), Number(e)]
  if (a === 'spawn') {
    const [module, fn, args] = Array.isArray(f) ? f : []
    let body: ReturnType<typeof bodyOf>
    try {
      body = bodyOf({ module, fn, args }, 'spawn')
    } catch (err) {
      answer(peer, from, ref, 0, [false, 'badarg', (err as Error).message])
      return
    }
    // bodyOf checked that module is a string; the body imports what was admitted.
    const url = admit(module as string, 'spawn')
    if (url instanceof ModuleRefused) {
      current._note('refused', peer, url.message)
      answer(peer, from, ref, 0, [false, 'refused', url.message])
      return
    }
    body = bodyOf({ module: url, fn, args }, 'spawn')
    const id = native.procSpawn()
    // The link (when asked) is made before the answer leaves, and the body
    // starts after it, so the caller hears of the pid before any exit.
    answer(peer, from, ref, flags & 1 ? id : 0, [true, new Pid(nodeName, id)])
    start(id, body)
  } else if (a === 'code') {
    const spec = f as { name: string; source: string }
    installer(spec).then(
      (v) => answer(peer, from, ref, 0, [true, v ?? null]),
      (err: unknown) => answer(peer, from, ref, 0, [false, 'error', err instanceof Error ? err.message : String(err)]),
    )
  }
}
