// What `startNode` takes (NodeOptions) and how the fields the native layer
// reads are checked and converted: capabilities, identity, bounds, addresses.
import { native } from '../native/index.js'
import type { DiscoverOptions } from './discover.js'
import { keyBytes } from './identity.js'
import type { ObserverOptions } from './observeroptions.js'

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
   * node from before credit (default 4096). */
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

export function allowList(allow: NodeOptions['allow']): { default: number; peers: string[]; caps: number[] } {
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
export function identityOptions(id: NodeOptions['identity']): {
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

export function queuedBound(n: unknown): number {
  if (n === undefined) return 0
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1)
    throw new TypeError(`startNode: maxQueuedBytes must be a positive integer, got ${String(n)}`)
  return n
}

export function creditWindow(n: unknown): number {
  if (n === undefined) return native.DEFAULT_CREDIT
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 2 ** 31 - 1)
    throw new TypeError(`startNode: creditWindow must be an integer from 0 to 2^31-1, got ${String(n)}`)
  return n
}

export function checkAddress(addr: unknown, what: string): asserts addr is string {
  if (typeof addr !== 'string' || !/^.+:\d{1,5}$/.test(addr))
    throw new TypeError(`${what}: the address must be 'host:port', got ${JSON.stringify(addr)}`)
  const port = Number(addr.slice(addr.lastIndexOf(':') + 1))
  if (port > 65535) throw new TypeError(`${what}: the port must be from 0 to 65535, got ${port} in '${addr}'`)
}
