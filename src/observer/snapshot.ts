// What the observer page shows at one moment, made on the observed node
// from public primitives only (processes, whichChildren, exitLog,
// node.peers), as plain JSON-ready values so the same snapshot travels
// over the encrypted link (OBSERVER service) and over Server-Sent Events.
import { describe } from '../kernel/errors.js'
import { infoJson, type ProcessInfo, type ProcessInfoJson, processes } from '../kernel/introspect.js'
import { processCount } from '../kernel/spawn.js'
import type { Node, PeerInfo } from '../nodes/node.js'
import { exitLog } from '../otp/services/exitmonitor.js'
import { whichChildren } from '../otp/supervisor.js'

/** A supervisor and its children (`whichChildren`), in start order. */
export interface SupervisorView {
  /** The supervisor's pid as `<node.id>`. */
  pid: string
  /** Its registered names. */
  names: string[]
  /** null when it did not answer within the snapshot's time (busy restarting). */
  children:
    | {
        /** The child's id in the supervisor's spec. */
        id: string
        /** Its current pid as `<node.id>`; null when it is not running. */
        pid: string | null
        /** Its restart type. */
        restart: string
      }[]
    | null
}

/** One EXIT-MONITOR record, with the child's current pid when its supervisor restarted it. */
export interface ExitView {
  /** When it was recorded (Date.now() ms). */
  time: number
  /** The pid that exited, as `<node.id>`. */
  pid: string
  /** The exit reason as one line of text. */
  reason: string
  /** The supervisor (or KEEP-ALIVE) that trapped it, if any. */
  supervisor: string | null
  /** Its child id or service name there, if any. */
  child: string | null
  /** The pid now running under the same supervisor and child id, if it differs. */
  restartedAs: string | null
}

/** The observer's view of a node at `time` (Date.now() ms). */
export interface Snapshot {
  /** When it was made (Date.now() ms). */
  time: number
  /** The node's name. */
  node: string
  /** Where the node accepts links ('host:port'). */
  address: string
  /** Live processes in the OS process, all threads. */
  processCount: number
  /** The main thread's processes (where the node's services run). */
  processes: ProcessInfoJson[]
  /** The supervisors among `processes`, each with its children. */
  supervisors: SupervisorView[]
  /** Every peer node the node knows, with its link state and key epoch. */
  peers: PeerInfo[]
  /** The most recent exits, oldest first. */
  exits: ExitView[]
  /** process.memoryUsage() of the observed OS process. */
  memory: {
    /** Resident set size, bytes. */
    rss: number
    /** V8 heap in use, bytes. */
    heapUsed: number
  }
}

/** How many exits a snapshot carries. */
const EXITS = 50
/** How long a supervisor or the EXIT-MONITOR gets to answer, in ms. */
const ASK_MS = 1000

async function supervisorsOf(all: ProcessInfo[]): Promise<SupervisorView[]> {
  const sups = all.filter((p) => p.kind === 'supervisor')
  return Promise.all(
    sups.map(async (s): Promise<SupervisorView> => {
      let children: SupervisorView['children'] = null
      try {
        const kids = await whichChildren(s.pid, { timeout: ASK_MS })
        children = kids.map((k) => ({ id: k.id, pid: k.pid === null ? null : String(k.pid), restart: k.restart }))
      } catch {}
      return { pid: String(s.pid), names: s.names, children }
    }),
  )
}

async function exitsOf(sups: SupervisorView[]): Promise<ExitView[]> {
  let records: Awaited<ReturnType<typeof exitLog>>
  try {
    records = await exitLog({ limit: EXITS }, { timeout: ASK_MS })
  } catch {
    return []
  }
  const current = new Map<string, string | null>()
  for (const s of sups) for (const c of s.children ?? []) current.set(`${s.pid} ${c.id}`, c.pid)
  return records.map((r) => {
    const supervisor = r.supervisor === undefined ? null : String(r.supervisor)
    const now = supervisor === null || r.child === undefined ? null : current.get(`${supervisor} ${r.child}`)
    return {
      time: r.time,
      pid: String(r.pid),
      reason: describe(r.reason),
      supervisor,
      child: r.child ?? null,
      restartedAs: now === undefined || now === null || now === String(r.pid) ? null : now,
    }
  })
}

/** The observer's view of `node` now (called on the node's main thread). */
export async function snapshot(node: Node): Promise<Snapshot> {
  const all = processes()
  const supervisors = await supervisorsOf(all)
  const exits = await exitsOf(supervisors)
  const m = process.memoryUsage()
  return {
    time: Date.now(),
    node: node.name,
    address: node.address,
    processCount: processCount(),
    processes: all.map(infoJson),
    supervisors,
    peers: node.peers(),
    exits,
    memory: { rss: m.rss, heapUsed: m.heapUsed },
  }
}
