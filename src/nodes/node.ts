// Making this runtime a named node (startNode) and reaching others
// (registerServer). What startNode takes is nodeoptions.ts; what peers ask
// of the node is done by its agent (agent.ts).

import { EventEmitter } from 'node:events'
import { systemPid } from '../kernel/thread.js'
import { NONODE, setNodeName } from '../kernel/values.js'
import { native } from '../native/index.js'
import { cookieBytes } from './cookie.js'
import { setRemoteFull } from './credit.js'
import { checkDiscover, checkSeeds, Discovery } from './discover.js'
import { checkModules, setModules } from './modules.js'
import { allowList, checkAddress, creditWindow, identityOptions, type NodeOptions, queuedBound } from './nodeoptions.js'
import { checkObserverOptions, type Observer, type ObserverOptions } from './observeroptions.js'
import { handOver } from './outgoing.js'
import { stoppedNode } from './peers.js'

export type { Capability, NodeOptions } from './nodeoptions.js'

/** One thing the node noticed: a refused request, a peer up or down, a connection refused. */
export interface NodeEvent {
  /** When it was noticed, in ms since the epoch (`Date.now()`). */
  time: number
  /** 'refused': a peer asked for what `allow` does not grant; 'nodeup'/'nodedown': a link to `peer` came up or
   * was lost (or could not be made); 'rejected': a connection from `address` did not become a link (failed
   * handshake, refused Hello...). At most about ten 'rejected' a second are noticed; the next says how many were
   * not. */
  kind: 'refused' | 'nodeup' | 'nodedown' | 'rejected'
  /** The peer node's name ('' when a rejected connection said none). */
  peer: string
  /** For 'refused', what was asked and refused; for 'nodedown' and 'rejected', why; '' for 'nodeup'. */
  detail: string
  /** For 'rejected', the address the connection came from. */
  address?: string
}

/** A known peer node and its link. */
export interface PeerInfo {
  /** The peer node's name. */
  name: string
  /** Its 'host:port' as given to `registerServer` or learnt from its link; null when only its name is known. */
  addr: string | null
  /** 'up': a link is established; 'connecting': a dial or handshake is under way; 'down': no link (the next
   * send or call to it dials again). */
  state: 'down' | 'connecting' | 'up'
  /** The sending key epoch when up. */
  epoch: number
  /** Why the last attempt or link failed. */
  error: string | null
  /** The identity key (64 hex characters) it proved over its current or last link, or null. */
  key: string | null
  /** It joined as a hidden node (listed only while its link is up). */
  hidden: boolean
}

const LOG_MAX = 1000

/** Lines printed on stderr at once, then per second (refusals and failed links). */
const PRINT_BURST = 20
const PRINT_PER_SECOND = 10

/** This runtime as a named node. Emits 'nodeup' (peer), 'nodedown' (peer,
 * reason), 'refused' and 'rejected' (NodeEvent). Keeps the process alive until
 * `stop()` (or `unref()`), as a listening server does. */
export class Node extends EventEmitter {
  /** Recent events, newest last (at most 1000). */
  readonly log: NodeEvent[] = []
  /** How `seeds` and `discover` are found, when given: `node.discovery.status` says what the last round found. */
  discovery: Discovery | undefined = undefined
  /** Where the observer page is served, when started with `observer`. */
  observer: Observer | undefined = undefined
  #hold: NodeJS.Timeout | null
  #tokens = PRINT_BURST
  #at = Date.now()
  #held = 0
  constructor(
    /** This node's name, as given to `startNode`. */
    readonly name: string,
    /** Where peers reach this node ('host:port'). */
    readonly address: string,
    private readonly quiet: boolean,
    /** It joined hidden (`startNode({ hidden: true })`). */
    readonly hidden = false,
  ) {
    super()
    this.#hold = setInterval(() => {}, 2 ** 30)
  }

  /** Closes the node: links close (their links and monitors fire
   * 'noconnection'), the listener stops, and the name reverts. */
  stop(): void {
    if (current !== this) return
    current = null
    this.discovery?.stop()
    void this.observer?.close()
    // What this thread sent before stopping leaves with the links' last writes.
    handOver()
    stoppedNode()
    native.clusterStop()
    setModules([])
    setNodeName(NONODE)
    this.unref()
  }

  /** Lets the program end while the node is up. */
  unref(): this {
    if (this.#hold !== null) clearInterval(this.#hold)
    this.#hold = null
    return this
  }

  /** Every peer node this node knows of. */
  peers(): PeerInfo[] {
    return native.clusterPeers().map((p) => ({
      name: p.name,
      addr: p.addr ?? null,
      state: p.state as PeerInfo['state'],
      epoch: p.epoch,
      error: p.error ?? null,
      key: p.key ?? null,
      hidden: p.hidden,
    }))
  }

  /** Prints `line` on stderr unless quiet, at most PRINT_BURST at once and PRINT_PER_SECOND after that. */
  #print(line: string): void {
    if (this.quiet) return
    const now = Date.now()
    this.#tokens = Math.min(PRINT_BURST, this.#tokens + ((now - this.#at) / 1000) * PRINT_PER_SECOND)
    this.#at = now
    if (this.#tokens < 1) {
      this.#held++
      return
    }
    this.#tokens--
    const held = this.#held > 0 ? ` (${this.#held} more not printed)` : ''
    this.#held = 0
    console.error(`bfly[${this.name}]: ${line}${held}`)
  }

  /** @internal */
  _note(kind: NodeEvent['kind'], peer: string, detail: string, address?: string): void {
    const e: NodeEvent = { time: Date.now(), kind, peer, detail }
    if (address !== undefined) e.address = address
    this.log.push(e)
    if (this.log.length > LOG_MAX) this.log.shift()
    if (kind === 'refused') {
      this.#print(detail)
      this.emit('refused', e)
    } else if (kind === 'rejected') {
      this.#print(`refused a connection from ${address}${peer ? ` claiming '${peer}'` : ''}: ${detail}`)
      this.emit('rejected', e)
    } else if (kind === 'nodeup') this.emit('nodeup', peer)
    else {
      this.#print(`link to '${peer}' lost: ${detail}`)
      this.emit('nodedown', peer, detail)
    }
    if (kind === 'nodeup' || kind === 'nodedown') this.#tell(kind, peer)
  }

  /** Peers that came up hidden (they are not listed once down, so this remembers them until then). */
  #hidden = new Set<string>()

  /** Tells the watchers of a visible peer's link. A hidden node's links are all hidden links (as in Erlang,
   * where a hidden node is in no one's `nodes()` and no one in its own), so its watchers hear of none. */
  #tell(kind: 'nodeup' | 'nodedown', peer: string): void {
    if (this.hidden) return
    if (kind === 'nodeup' && this.peers().some((p) => p.name === peer && p.hidden)) this.#hidden.add(peer)
    else if (kind === 'nodedown' && this.#hidden.delete(peer)) return
    if (this.#hidden.has(peer)) return
    for (const w of watchers) w(kind, peer)
  }
}

let current: Node | null = null

/** @internal This runtime's node, or null when it is not one (the node agent reads it). */
export function thisNode(): Node | null {
  return current
}

/** @internal What `watchPeers` calls for a link that came up or was lost. */
export type PeerWatcher = (kind: 'nodeup' | 'nodedown', peer: string) => void

const watchers = new Set<PeerWatcher>()

/** @internal Calls `w` for every link of this runtime that comes up or is
 * lost, whichever node this runtime is now or later (for services such as
 * process groups, which outlive a `stop` and a new `startNode`). Returns
 * the function that stops it. */
export function watchPeers(w: PeerWatcher): () => void {
  watchers.add(w)
  return () => watchers.delete(w)
}

/** @internal The names of the visible peers with a link up now (none when this runtime is not a node). */
export function upPeers(): string[] {
  if (current === null || current.hidden) return []
  return current.peers().flatMap((p) => (p.state === 'up' && !p.hidden ? [p.name] : []))
}

/**
 * Makes this runtime the node `name`, accepting encrypted (SL1) links at
 * `listen`. Resolves once listening. Pids made before keep working: they
 * take the node's name. Rejects when already a node, on a bad option, or
 * when the address cannot be bound. With `observer`, also starts the
 * OBSERVER service and serves the observer page on 127.0.0.1 (its URL, with
 * the token, is `node.observer.url`).
 * @throws (rejects) a TypeError for a bad option (name, address, cookie, `allow`, `modules` (not strings, or a
 * package that cannot be found), `maxQueuedBytes`, `observer`),
 * an Error when this runtime is already a node, and the listener's error when `listen` or the observer's port
 * cannot be bound. Nothing has started then (a node whose observer port is taken is stopped again).
 * @example
 * ```ts
 * const cookie = randomBytes(32) // the same 32 bytes on every node of the cluster
 * const node = await startNode({ name: 'b@127.0.0.1', listen: '127.0.0.1:0', cookie })
 * registerServer('a@127.0.0.1', '127.0.0.1:12010') // where node a listens; linked on first use
 * registerService('ECHO', remoteService('a@127.0.0.1', { name: 'ECHO' }))
 * await call('ECHO', 'Hello') // answered by node a over SL1
 * node.stop()
 * ```
 */
export async function startNode(opts: NodeOptions): Promise<Node> {
  if (opts === null || typeof opts !== 'object') throw new TypeError('startNode({ name, listen, cookie })')
  if (typeof opts.name !== 'string') throw new TypeError('startNode: name must be a string such as "a@127.0.0.1"')
  checkAddress(opts.listen, 'startNode')
  if (opts.remoteFull !== undefined && opts.remoteFull !== 'wait' && opts.remoteFull !== 'error')
    throw new TypeError("startNode: remoteFull must be 'wait' or 'error'")
  if (current !== null) throw new Error(`startNode: this runtime is already node '${current.name}'; stop it first`)
  if (opts.observer !== undefined) checkObserverOptions(opts.observer, 'startNode')
  const modules = checkModules(opts.modules, 'startNode')
  const identity = identityOptions(opts.identity)
  if (opts.seeds !== undefined) checkSeeds(opts.seeds)
  if (opts.discover !== undefined) checkDiscover(opts.discover)
  const hidden = opts.hidden === true
  const address = native.clusterStart({
    name: opts.name,
    listen: opts.listen,
    cookie: cookieBytes(opts.cookie, 'startNode'),
    allow: allowList(opts.allow),
    agent: systemPid().id,
    heartbeatMs: opts.heartbeatMs ?? 0,
    idleMs: opts.idleMs ?? 0,
    maxQueuedBytes: queuedBound(opts.maxQueuedBytes),
    credit: creditWindow(opts.creditWindow),
    ...identity,
    hidden,
    connectAll: !hidden && opts.connectAll !== false,
  })
  setRemoteFull(opts.remoteFull ?? 'wait')
  const node = new Node(opts.name, address, opts.quiet === true, hidden)
  current = node
  setNodeName(opts.name)
  setModules(modules)
  if (opts.seeds !== undefined || opts.discover !== undefined)
    node.discovery = new Discovery(opts.seeds ?? [], opts.discover, Number(address.slice(address.lastIndexOf(':') + 1)))
  if (opts.observer !== undefined) {
    try {
      if (observe === null) throw new Error('startNode: observer needs the observer layer wired (import bfly)')
      node.observer = await observe(node, opts.observer)
    } catch (e) {
      node.stop()
      throw e
    }
  }
  return node
}

/** Starts the observer of a node: the observer is a layer above this one
 * (src/observer/), wired in by index.ts. */
let observe: ((node: Node, opts: ObserverOptions) => Promise<Observer>) | null = null

/** Sets how `startNode({ observer })` starts the observer (index.ts, once). */
export function setObserverStart(fn: (node: Node, opts: ObserverOptions) => Promise<Observer>): void {
  observe = fn
}

/** Where node `name` accepts links (Butterfly's register-server). Links are made
 * on first use. */
export function registerServer(name: string, address: string): void {
  if (typeof name !== 'string' || name.length === 0)
    throw new TypeError('registerServer(name, address): name must be a node name')
  checkAddress(address, 'registerServer')
  native.clusterSetAddress(name, address)
}
