// The scope server of process groups (pg.ts): one per node and scope,
// registered as `pg.<scope>`, written on the public primitives (makeServer,
// monitor, send, remoteService) and one internal hook that tells it of
// links that come up. Scope servers of the same scope on two nodes find
// each other when their nodes link (each sends 'discover' to the other's
// name), trade their local members ('sync'), then send each other every
// join and leave of a local member. Each monitors the others' servers, so
// the members of a node that is lost (or whose scope server ends) leave
// with it. Its tables live on this thread, where pg.ts reads them.
import { send } from '../kernel/messaging.js'
import { whereis } from '../kernel/names.js'
import type { Process } from '../kernel/process.js'
import { makeRef, Pid, Ref } from '../kernel/values.js'
import { upPeers, watchPeers } from '../nodes/node.js'
import { remoteService } from '../nodes/remote.js'
import { makeServer } from './server.js'

/** Which scope a process-group function works in (default `'pg'`). */
export interface ScopeOption {
  /** The scope: groups of one scope are independent of another's, and each
   * scope has its own server per node (registered as `pg.<scope>`). */
  scope?: string
}

/** What a group monitor (`monitorGroup`) sends its process when members
 * join or leave: `['pg', ref, 'join' | 'leave', group, pids]`. */
export type GroupEvent = readonly ['pg', Ref, 'join' | 'leave', string, Pid[]]

/** A remote scope server and the members it told this one of. */
interface PeerScope {
  server: Pid
  monitor: Ref
  groups: Map<string, Pid[]>
}

/** A watcher of one group, or of every group (`group === null`): `ref`
 * is the one its events carry, `monitor` the server's monitor of it. */
interface Watcher {
  pid: Pid
  group: string | null
  ref: Ref
  monitor: Ref
}

/** One scope's tables on this thread. Only its server writes them. */
export interface Scope {
  name: string
  server: Pid | null
  /** Every member, here and elsewhere, by group (a pid once per join). */
  all: Map<string, Pid[]>
  /** This node's members, by group. */
  local: Map<string, Pid[]>
  /** Each local member's monitor and the groups it joined (once per join). */
  joined: Map<string, { monitor: Ref; groups: string[] }>
  peers: Map<string, PeerScope>
  /** Group monitors, by their ref's id (refs made here). */
  watchers: Map<number, Watcher>
  unwatch: () => void
}

const scopes = new Map<string, Scope>()

export const serverName = (scope: string): string => `pg.${scope}`

/** A pid's key in the tables: pids of this node by id alone, so one that
 * joined before `startNode` is the same member after it. */
function key(pid: Pid): string {
  return Pid.isLocal(pid) ? `.${pid.id}` : `${pid.node}.${pid.id}`
}

export function checkScope(opts: ScopeOption | undefined, what: string): string {
  const s = opts?.scope ?? 'pg'
  if (typeof s !== 'string' || s.length === 0) throw new TypeError(`${what}: scope must be a non-empty string`)
  return s
}

/** Removes one occurrence of each of `pids` from `list`; returns those found. */
function removeEach(list: Pid[], pids: readonly Pid[]): Pid[] {
  const gone: Pid[] = []
  for (const p of pids) {
    const i = list.findIndex((q) => q.equals(p))
    if (i >= 0) gone.push(...list.splice(i, 1))
  }
  return gone
}

function add(map: Map<string, Pid[]>, group: string, pids: readonly Pid[]): void {
  const list = map.get(group)
  if (list === undefined) map.set(group, [...pids])
  else list.push(...pids)
}

function remove(map: Map<string, Pid[]>, group: string, pids: readonly Pid[]): Pid[] {
  const list = map.get(group)
  if (list === undefined) return []
  const gone = removeEach(list, pids)
  if (list.length === 0) map.delete(group)
  return gone
}

function notify(s: Scope, group: string, kind: 'join' | 'leave', pids: Pid[]): void {
  if (pids.length === 0) return
  for (const [, w] of s.watchers)
    if (w.group === null || w.group === group) send(w.pid, ['pg', w.ref, kind, group, pids] satisfies GroupEvent)
}

function broadcast(s: Scope, msg: unknown[]): void {
  for (const [, peer] of s.peers) send(peer.server, msg)
}

function isPidList(v: unknown): v is Pid[] {
  return Array.isArray(v) && v.every((p) => p instanceof Pid)
}

/** A sync's groups, or null when it is not well formed (a peer's message
 * never ends the server). */
function syncGroups(v: unknown): Map<string, Pid[]> | null {
  if (!Array.isArray(v)) return null
  const out = new Map<string, Pid[]>()
  for (const e of v) {
    if (!Array.isArray(e) || typeof e[0] !== 'string' || !isPidList(e[1])) return null
    out.set(e[0], [...e[1]])
  }
  return out
}

/** Forgets peer `node`'s scope server and every member it told of. */
function dropPeer(s: Scope, node: string, self: Process): void {
  const peer = s.peers.get(node)
  if (peer === undefined) return
  s.peers.delete(node)
  self.demonitor(peer.monitor, { flush: true })
  for (const [group, pids] of peer.groups) notify(s, group, 'leave', remove(s.all, group, pids))
}

/** The peer scope whose server is `server`, adopting it (and monitoring
 * it) when it is new; a new server on a known node replaces the old one. */
function peerOf(s: Scope, server: Pid, self: Process): PeerScope {
  const known = s.peers.get(server.node)
  if (known?.server.equals(server)) return known
  dropPeer(s, server.node, self)
  const peer: PeerScope = { server, monitor: self.monitor(server), groups: new Map() }
  s.peers.set(server.node, peer)
  send(server, ['$pg', 'discover', self.self])
  return peer
}

/** A member's monitor fired, or it left its last group: it is no longer a member here. */
function localDown(s: Scope, pid: Pid): void {
  const entry = s.joined.get(key(pid))
  if (entry === undefined) return
  s.joined.delete(key(pid))
  const groups = entry.groups
  for (const g of new Set(groups)) {
    const n = groups.filter((x) => x === g).length
    const gone = remove(s.local, g, Array(n).fill(pid))
    remove(s.all, g, gone)
    notify(s, g, 'leave', gone)
  }
  broadcast(s, ['$pg', 'leave', s.server, [pid], groups])
}

function handleJoin(s: Scope, group: string, pids: Pid[], self: Process): void {
  for (const pid of pids) {
    const k = key(pid)
    const entry = s.joined.get(k)
    if (entry === undefined) s.joined.set(k, { monitor: self.monitor(pid), groups: [group] })
    else entry.groups.push(group)
  }
  add(s.local, group, pids)
  add(s.all, group, pids)
  broadcast(s, ['$pg', 'join', self.self, group, pids])
  notify(s, group, 'join', pids)
}

function handleLeave(s: Scope, group: string, pids: Pid[], self: Process): boolean {
  const gone = remove(s.local, group, pids)
  if (gone.length === 0) return false
  remove(s.all, group, gone)
  for (const pid of gone) {
    const entry = s.joined.get(key(pid))
    if (entry === undefined) continue
    entry.groups.splice(entry.groups.indexOf(group), 1)
    if (entry.groups.length === 0) {
      s.joined.delete(key(pid))
      self.demonitor(entry.monitor, { flush: true })
    }
  }
  broadcast(s, ['$pg', 'leave', self.self, gone, [group]])
  notify(s, group, 'leave', gone)
  return true
}

/** A message from a peer scope server, a DOWN, or a link that came up. */
function info(s: Scope, m: unknown, self: Process): void {
  if (!Array.isArray(m)) return
  if (m[0] === 'DOWN' && m[2] instanceof Pid) {
    const [, ref, pid] = m as [string, Ref, Pid]
    const peer = s.peers.get(pid.node)
    if (peer?.monitor.equals(ref)) {
      dropPeer(s, pid.node, self)
      return
    }
    if (s.joined.get(key(pid))?.monitor.equals(ref)) localDown(s, pid)
    for (const [id, w] of s.watchers) if (w.monitor.equals(ref)) s.watchers.delete(id)
    return
  }
  if (m[0] !== '$pg') return
  const [, tag, server] = m
  if (tag === 'nodeup' && typeof server === 'string') {
    send(remoteService(server, { name: serverName(s.name) }), ['$pg', 'discover', self.self])
    return
  }
  if (!(server instanceof Pid) || Pid.isLocal(server)) return
  if (tag === 'discover') {
    peerOf(s, server, self)
    send(server, ['$pg', 'sync', self.self, [...s.local]])
  } else if (tag === 'sync') {
    const groups = syncGroups(m[3])
    if (groups === null) return
    const peer = peerOf(s, server, self)
    const old = peer.groups
    peer.groups = groups
    for (const g of new Set([...old.keys(), ...groups.keys()])) {
      // What the peer listed before and no longer does leaves; what it
      // lists anew joins (as multisets: a pid once per join).
      const leaving = [...(old.get(g) ?? [])]
      const joining = [...(groups.get(g) ?? [])]
      removeEach(leaving, removeEach(joining, old.get(g) ?? []))
      notify(s, g, 'leave', remove(s.all, g, leaving))
      add(s.all, g, joining)
      notify(s, g, 'join', joining)
    }
  } else if (tag === 'join' && typeof m[3] === 'string' && isPidList(m[4])) {
    const peer = s.peers.get(server.node)
    if (!peer?.server.equals(server)) return
    add(peer.groups, m[3], m[4])
    add(s.all, m[3], m[4])
    notify(s, m[3], 'join', m[4])
  } else if (tag === 'leave' && isPidList(m[3]) && Array.isArray(m[4])) {
    const peer = s.peers.get(server.node)
    if (!peer?.server.equals(server)) return
    for (const g of m[4]) {
      if (typeof g !== 'string') continue
      const gone = remove(peer.groups, g, m[3])
      remove(s.all, g, gone)
      notify(s, g, 'leave', gone)
    }
  }
}

type Request = ['join', string, Pid[]] | ['leave', string, Pid[]] | ['monitor', string | null, Pid] | ['demonitor', Ref]

/** Whether `r` is a request this server answers (anyone holding the
 * cookie can call it by name, so it is checked, never trusted). */
function isRequest(r: unknown): r is Request {
  if (!Array.isArray(r)) return false
  const [tag, a, b] = r
  if (tag === 'join' || tag === 'leave')
    return typeof a === 'string' && a.length > 0 && isPidList(b) && b.every((p) => Pid.isLocal(p))
  if (tag === 'monitor') return (a === null || (typeof a === 'string' && a.length > 0)) && b instanceof Pid
  return tag === 'demonitor' && a instanceof Ref
}

function handle(s: Scope, req: unknown, self: Process): unknown {
  if (!isRequest(req))
    return new TypeError(
      "pg: unknown request; the scope server answers ['join' | 'leave', group, local pids], ['monitor', group | null, pid], ['demonitor', ref]",
    )
  switch (req[0]) {
    case 'join':
      handleJoin(s, req[1], req[2], self)
      return true
    case 'leave':
      return handleLeave(s, req[1], req[2], self)
    case 'monitor': {
      const ref = makeRef()
      s.watchers.set(ref.id, { pid: req[2], group: req[1], ref, monitor: self.monitor(req[2]) })
      return [ref, req[1] === null ? [...s.all] : [...(s.all.get(req[1]) ?? [])]]
    }
    case 'demonitor': {
      const w = s.watchers.get(req[1].id)
      if (w === undefined || !w.ref.equals(req[1])) return false
      s.watchers.delete(req[1].id)
      self.demonitor(w.monitor, { flush: true })
      return true
    }
  }
}

/**
 * Starts the server of `scope` (default 'pg') on this node unless it runs:
 * it finds the same scope's servers on the nodes this one links with, now
 * and later. `join` starts it too; a node that only reads `members` must
 * start it to see other nodes' members. Returns its pid.
 */
export function startScope(scope = 'pg'): Pid {
  checkScope({ scope }, 'startScope')
  const name = serverName(scope)
  const running = whereis(name)
  if (running !== undefined) return running
  scopes.get(scope)?.unwatch()
  const s: Scope = {
    name: scope,
    server: null,
    all: new Map(),
    local: new Map(),
    joined: new Map(),
    peers: new Map(),
    watchers: new Map(),
    unwatch: () => {},
  }
  scopes.set(scope, s)
  return makeServer<Scope>(
    {
      init(_args, self) {
        s.server = self.self
        s.unwatch = watchPeers((kind, peer) => {
          if (kind === 'nodeup') send(self.self, ['$pg', 'nodeup', peer])
        })
        for (const peer of upPeers()) send(self.self, ['$pg', 'nodeup', peer])
        return s
      },
      handle(req, state, _from, self) {
        return { answer: handle(state, req, self), state }
      },
      info(m, state, self) {
        info(state, m, self)
        return { state }
      },
      terminate(_reason, state) {
        state.unwatch()
      },
    },
    { name },
  )
}

/** The scope's tables while its server runs on this thread. */
export function live(scope: string): Scope | undefined {
  const s = scopes.get(scope)
  const server = whereis(serverName(scope))
  return s !== undefined && server !== undefined && s.server?.equals(server) ? s : undefined
}
