// Making this runtime a named node (startNode) and reaching others
// (registerServer). What peers ask of the node is done by its agent
// (agent.ts).

import { EventEmitter } from 'node:events'
import { systemPid } from '../kernel/thread.js'
import { NONODE, setNodeName } from '../kernel/values.js'
import { native } from '../native/index.js'
import { cookieBytes } from './cookie.js'
import { setRemoteFull } from './credit.js'
import { checkDiscover, checkSeeds, type DiscoverOptions, Discovery } from './discover.js'
import { keyBytes } from './identity.js'
import { checkModules, setModules } from './modules.js'
import { checkObserverOptions, type Observer, type ObserverOptions } from './observeroptions.js'

/** What a peer node may ask of this one. Sends, calls and monitors are
 * always allowed to holders of the cookie. */
export type Capability = 'spawn' | 'exit' | 'link' | 'code'

const CAPS: Record<Capability, number> = {
  spawn: native.CAP_SPAWN,
  exit: native.CAP_EXIT,
  link: native.CAP_LINK,
  code: native.CAP_CODE,
}
/** Every capability: what a peer may ask when `allow` does not say. */
const ALL_CAPS = native.CAP_SPAWN | native.CAP_EXIT | native.CAP_LINK | native.CAP_CODE

/** What `startNode` needs to make this runtime a node. Every field is checked before anything starts: a bad
 * one is a TypeError and leaves the runtime as it was. */
export interface NodeOptions {
  /** This node's name, e.g. 'a@127.0.0.1'. */
  name: string
  /** 'host:port' to accept links on (port 0 picks a free one). */
  listen: string
  /** The cluster's shared secret: 32 bytes, as a Uint8Array or as 64 hex characters (what `bfly cookie`
   * writes; a cookie file's content as read, its newline and any surrounding whitespace ignored). Make it
   * random (`crypto.randomBytes(32)`, `bfly cookie`), never from a password or phrase: a node that dials an
   * impostor (a wrong address, a hijacked name) gives it what it needs to test cookie guesses offline,
   * which 32 random bytes withstand and a chosen cookie does not. */
  cookie: string | Uint8Array
  /** What peers may ask: one list for every peer, or lists per peer node
   * name with '*' for the others. Default: everything. */
  allow?: readonly Capability[] | Readonly<Record<string, readonly Capability[]>>
  /** What a peer's `spawn` may run here ('spawn' in `allow` lets it ask;
   * this says what it may name), and what a server upgrade sent from
   * another node or thread may load: package names, files, and folders (a
   * path ending in '/', or an existing directory, stands for every module
   * under it). Paths are resolved against the current directory, packages
   * from bfly's folder. Other URLs (`data:`, `http:`, `node:`) match only
   * as listed exactly. Code that `loadCode` installed may always be named.
   * Default: none, so a spawn from a peer is refused with RefusedError
   * until this lists what it may start: a module a peer names is code this
   * node runs. */
  modules?: readonly string[]
  /** A heartbeat is sent after this long without traffic (default 1000 ms). */
  heartbeatMs?: number
  /** A link silent this long is lost (default 15000 ms). */
  idleMs?: number
  /** Bytes that may wait unsent for one peer (a peer that reads nothing or
   * too slowly); a send past this loses the link, which fires its links and
   * monitors with 'noconnection' (default 64 MiB). Past an eighth of it the
   * link is busy: `send` to that node returns a promise that resolves once
   * it has drained (a sender that awaits it never reaches the bound). */
  maxQueuedBytes?: number
  /** User messages this node lets be in flight to one remote process
   * before its sends return promises (credit: the peer returns it as the
   * process's mailbox takes them). 0 turns credit off both ways, as for a
   * node from before credit (default 512). */
  creditWindow?: number
  /** Out of credit toward a remote process, or to a busy link, `send`
   * returns a promise that resolves once the message is handed to the link
   * or the link has drained ('wait', the default), or throws
   * MailboxFullError and sends nothing ('error'). */
  remoteFull?: 'wait' | 'error'
  /** Identity keys (PROTOCOL.md 2.8): this node's own, proven to every peer, and the keys this node pins to
   * peer names. A peer that says a pinned name must prove that key, or its link is refused; so a name, and what
   * `allow` grants it, belongs to the key's holder rather than to any holder of the cookie. Make keys with
   * `newIdentity()`. */
  identity?: {
    /** This node's identity secret: 32 bytes, or 64 hex characters. */
    key?: string | Uint8Array
    /** Peer node name to its public key (32 bytes, or 64 hex characters). */
    peers?: Readonly<Record<string, string | Uint8Array>>
    /** Refuse peers whose name is not in `peers` (default false: they are admitted by the cookie alone). */
    onlyPinned?: boolean
  }
  /** Addresses ('host:port') of nodes to link with now, whose names come from their answers; tried again every
   * `discover.everyMs` (default 5000 ms) while not linked. With the mesh (`connectAll`), one seed of a running
   * cluster links this node with all of it. */
  seeds?: readonly string[]
  /** Find the other nodes through DNS, looked up again every `everyMs`: SRV records of `dns` (a target and port
   * each), or when it has none its A/AAAA records at `port` (a Kubernetes headless service). */
  discover?: DiscoverOptions
  /** Link with every visible node a peer tells of, as Erlang does by default, so the nodes make a full mesh
   * (default true; always false for a hidden node). */
  connectAll?: boolean
  /** Join as a hidden node (Erlang's `-hidden`): peers never tell other nodes of it, so none connects to it, and
   * they stop listing it once its link is gone; it links only with the nodes it is asked to reach, and process
   * groups and other services that follow the cluster's membership leave it out. The CLI connects hidden. */
  hidden?: boolean
  /** Do not print refusals and failed links on stderr (they are still in `node.log`). */
  quiet?: boolean
  /** Serve the observer page on 127.0.0.1 (see `node.observer`) and start
   * the OBSERVER service (for `bfly observer`). */
  observer?: ObserverOptions
}

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

function allowList(allow: NodeOptions['allow']): { default: number; peers: string[]; caps: number[] } {
  const bits = (list: readonly Capability[], who: string): number => {
    if (!Array.isArray(list)) throw new TypeError(`startNode: allow${who} must be a list of capabilities`)
    let b = 0
    for (const c of list) {
      if (!(c in CAPS))
        throw new TypeError(`startNode: unknown capability '${String(c)}'${who}; use 'spawn', 'exit', 'link' or 'code'`)
      b |= CAPS[c as Capability]
    }
    return b
  }
  if (allow === undefined) return { default: ALL_CAPS, peers: [], caps: [] }
  if (Array.isArray(allow)) return { default: bits(allow, ''), peers: [], caps: [] }
  const per = allow as Readonly<Record<string, readonly Capability[]>>
  const peers = Object.keys(per).filter((k) => k !== '*')
  return {
    default: per['*'] === undefined ? ALL_CAPS : bits(per['*'], " for '*'"),
    peers,
    caps: peers.map((p) => bits(per[p], ` for '${p}'`)),
  }
}

/** The identity option as the native layer takes it; throws a TypeError for a bad one. */
function identityOptions(id: NodeOptions['identity']): {
  identity: Uint8Array | undefined
  pinnedNames: string[]
  pinnedKeys: Uint8Array[]
  onlyPinned: boolean
} {
  if (id === undefined) return { identity: undefined, pinnedNames: [], pinnedKeys: [], onlyPinned: false }
  if (id === null || typeof id !== 'object')
    throw new TypeError('startNode: identity must be { key, peers, onlyPinned }')
  const peers = id.peers ?? {}
  if (peers === null || typeof peers !== 'object')
    throw new TypeError('startNode: identity.peers must map node names to public keys')
  const pinnedNames = Object.keys(peers)
  return {
    identity: id.key === undefined ? undefined : keyBytes(id.key, 'startNode: identity.key'),
    pinnedNames,
    pinnedKeys: pinnedNames.map((n) => keyBytes(peers[n], `startNode: identity.peers['${n}']`)),
    onlyPinned: id.onlyPinned === true,
  }
}

function queuedBound(n: unknown): number {
  if (n === undefined) return 0
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1)
    throw new TypeError(`startNode: maxQueuedBytes must be a positive integer, got ${String(n)}`)
  return n
}

function creditWindow(n: unknown): number {
  if (n === undefined) return native.DEFAULT_CREDIT
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 2 ** 31 - 1)
    throw new TypeError(`startNode: creditWindow must be an integer from 0 to 2^31-1, got ${String(n)}`)
  return n
}

function checkAddress(addr: unknown, what: string): asserts addr is string {
  if (typeof addr !== 'string' || !/^.+:\d{1,5}$/.test(addr))
    throw new TypeError(`${what}: the address must be 'host:port', got ${JSON.stringify(addr)}`)
  const port = Number(addr.slice(addr.lastIndexOf(':') + 1))
  if (port > 65535) throw new TypeError(`${what}: the port must be from 0 to 65535, got ${port} in '${addr}'`)
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
