// NODE-INFO: the service `bfly ps` asks. Started by `bfly node`, on the
// public primitives only (registered, whereis, processCount, processes,
// node.peers): it reports what any process of the node could find out.
import { infoJson, type ProcessInfoJson, processes } from '../../kernel/introspect.js'
import { registered, whereis } from '../../kernel/names.js'
import { processCount } from '../../kernel/spawn.js'
import type { Pid } from '../../kernel/values.js'
import type { Node, PeerInfo } from '../../nodes/node.js'
import { makeServer } from '../server.js'

export const NODE_INFO = 'NODE-INFO'

/** A registered process and every name it holds. */
export interface NamedProcess {
  pid: Pid
  names: string[]
}

/** NODE-INFO's answer to 'info'. */
export interface NodeInfo {
  node: string
  address: string
  /** Every live process of the OS process (all threads), named or not. */
  processCount: number
  /** Every process of the node's main thread (where its services run),
   * named or not, by pid, with what processInfo reports of it. */
  processes: ProcessInfoJson[]
  /** Processes of other threads (pool workers) that hold a registered name, by pid. */
  elsewhere: NamedProcess[]
  /** Names that stand for services of other nodes (registerService with a RemoteService). */
  aliases: string[]
  peers: PeerInfo[]
}

/** What the node looks like now. */
export function nodeInfo(node: Node): NodeInfo {
  const main = processes()
  const here = new Set(main.map((p) => p.pid.id))
  const byPid = new Map<string, NamedProcess>()
  const aliases: string[] = []
  for (const name of registered()) {
    const pid = whereis(name)
    if (pid === undefined) {
      aliases.push(name)
      continue
    }
    if (here.has(pid.id)) continue
    const key = pid.toString()
    const entry = byPid.get(key)
    if (entry === undefined) byPid.set(key, { pid, names: [name] })
    else entry.names.push(name)
  }
  return {
    node: node.name,
    address: node.address,
    processCount: processCount(),
    processes: main.map(infoJson),
    elsewhere: [...byPid.values()].sort((a, b) => a.pid.id - b.pid.id),
    aliases,
    peers: node.peers(),
  }
}

/**
 * Starts NODE-INFO. Calls: 'info' answers a NodeInfo; ['registered', name]
 * whether `name` is registered (to a local process or a remote service); anything else a TypeError value
 * (the server keeps running).
 */
export function startNodeInfo(node: Node): Pid {
  return makeServer<null>(
    {
      handle(req, state) {
        if (req === 'info') return { answer: nodeInfo(node), state }
        if (Array.isArray(req) && req[0] === 'registered' && typeof req[1] === 'string')
          return { answer: registered().includes(req[1]), state }
        return { answer: new TypeError(`${NODE_INFO}: unknown request; ask 'info' or ['registered', name]`), state }
      },
    },
    { name: NODE_INFO },
  )
}
