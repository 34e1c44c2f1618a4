// `bfly ps | call | send | kill`: operate a running node over the
// encrypted link. The CLI becomes a short-lived node with a random name,
// learns where the target listens, and uses the public primitives.
import { randomBytes } from 'node:crypto'
import { inspect } from 'node:util'
// The package's entry: the public primitives, with the layers wired.
import { call, type Node, Pid, registerServer, remoteService, send, spawn, startNode, TIMEOUT } from '../../index.js'
import { unreachable } from '../nodes/remote.js'
import { NODE_INFO, type NodeInfo } from '../otp/services/nodeinfo.js'
import { message, millis, readCookie, type Target, target, UsageError, type Values } from './args.js'

/** A link to the node a command operates. */
export interface Session {
  node: Node
  target: Target
  timeout: number
}

/** Makes this process a hidden node with a random name that can reach NODE (hidden: the node it asks does not
 * keep it among its peers, nor tell others of it). */
export async function connect(values: Values, nodeArg: string): Promise<Session> {
  const t = target(nodeArg, values.addr as string | undefined)
  const timeout = millis(values.timeout, 5000)
  const cookie = readCookie(values['cookie-file'])
  const name = `bfly-cli-${randomBytes(4).toString('hex')}@127.0.0.1`
  const node = await startNode({ name, listen: '127.0.0.1:0', cookie, quiet: true, hidden: true })
  registerServer(t.name, t.addr)
  return { node, target: t, timeout }
}

/** Calls service `name` of the target. */
export function callService<T>(s: Session, name: string, msg: unknown): Promise<T> {
  return call<T>(remoteService(s.target.name, { name }), msg, { timeout: s.timeout })
}

/** JSON, with pids and refs as their text and bigints as numbers' text. */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    typeof x === 'bigint' ? x.toString() : x instanceof Pid ? x.toString() : x instanceof Map ? [...x] : x,
  )
}

function show(v: unknown, json: boolean): string {
  return json ? toJson(v) : inspect(v, { depth: null, colors: process.stdout.isTTY === true })
}

const COLUMNS = ['PID', 'NAMES', 'KIND', 'STATUS', 'MAILBOX', 'HANDLED', 'MEMORY', 'LINKS', 'MONITORS'] as const

/** `rows` as columns padded to their widest cell (numbers right-aligned). */
function columns(rows: string[][], right: Set<number>): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return rows.map((r) =>
    `  ${r.map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ')}`.trimEnd(),
  )
}

function table(info: NodeInfo, all: boolean): string {
  const shown = info.processes.filter((p) => all || p.names.length > 0)
  const rows = shown.map((p) => [
    p.pid,
    p.names.join(', ') || '-',
    p.kind,
    p.status,
    String(p.mailbox),
    String(p.handled),
    String(p.memory),
    String(p.links.length),
    String(p.monitors.length),
  ])
  const others = info.elsewhere.map((p) => [
    p.pid.toString(),
    p.names.join(', '),
    '(other thread)',
    '',
    '',
    '',
    '',
    '',
    '',
  ])
  const named = info.processes.filter((p) => p.names.length > 0).length + info.elsewhere.length
  const peers = info.peers.map(
    (p) =>
      `  ${p.name.padEnd(30)} ${p.state.padEnd(10)} ${(p.addr ?? '-').padEnd(22)} epoch ${p.state === 'up' ? p.epoch : '-'}${p.error ? `  (${p.error})` : ''}`,
  )
  return [
    `node ${info.node} at ${info.address}: ${info.processCount} processes, ${named} registered`,
    ...columns([[...COLUMNS], ...rows, ...others], new Set([4, 5, 6, 7, 8])),
    ...(all
      ? []
      : [`  (${info.processes.length - shown.length} unnamed processes on the main thread; --all lists them)`]),
    ...(info.aliases.length > 0 ? [`remote services: ${info.aliases.join(', ')}`] : []),
    `nodes (${info.peers.length}):`,
    ...peers,
  ].join('\n')
}

export async function ps(s: Session, values: Values): Promise<number> {
  const info = await callService<NodeInfo>(s, NODE_INFO, 'info')
  process.stdout.write(`${values.json ? toJson(info) : table(info, values.all === true)}\n`)
  return 0
}

export async function callCmd(s: Session, values: Values, [, service, msg]: string[]): Promise<number> {
  const answer = await callService<unknown>(s, service, message(msg))
  if (answer instanceof Error) throw new Error(`${service} answered ${answer.name}: ${answer.message}`)
  process.stdout.write(`${show(answer, values.json === true)}\n`)
  return 0
}

export async function sendCmd(s: Session, _values: Values, [, service, msg]: string[]): Promise<number> {
  const body = message(msg)
  if (!(await callService<boolean>(s, NODE_INFO, ['registered', service])))
    throw new Error(`no service '${service}' is registered on ${s.target.name}`)
  send(remoteService(s.target.name, { name: service }), body)
  // Frames on one link arrive in order: this answer comes after the message is delivered.
  await callService<boolean>(s, NODE_INFO, ['registered', service])
  return 0
}

/** PID as `<node.id>` or a bare id, on the target node. */
export function pidOf(text: string, node: string): Pid {
  const m = /^<(.+)\.(\d+)>$/.exec(text) ?? /^()(\d+)$/.exec(text)
  if (m === null) throw new UsageError(`PID must be <node.id> or a number, got '${text}'`)
  if (m[1] !== '' && m[1] !== node) throw new UsageError(`${text} is a process of node ${m[1]}, not of ${node}`)
  return new Pid(node, Number(m[2]))
}

export async function killCmd(s: Session, values: Values, [, pidText]: string[]): Promise<number> {
  const pid = pidOf(pidText, s.target.name)
  const reason = typeof values.reason === 'string' ? message(values.reason) : 'kill'
  // A process of ours monitors the target first, so its DOWN says whether
  // it was alive and how it ended.
  const down = new Promise<unknown>((resolve) => {
    spawn(async (p) => {
      const ref = p.monitor(pid)
      p.exit(pid, reason)
      const m = await p.receive((x) => Array.isArray(x) && x[0] === 'DOWN' && ref.equals(x[1]), { timeout: s.timeout })
      resolve(m === TIMEOUT ? TIMEOUT : (m as unknown[])[3])
    })
  })
  const why = await down
  if (why === TIMEOUT)
    throw new Error(`${pid} did not die within ${s.timeout} ms (it may trap exits; try --reason kill)`)
  if (why === 'noproc') throw new Error(`no process ${pid} is alive`)
  if (why === 'noconnection') throw new Error(unreachable(s.target.name))
  process.stdout.write(`${pid} exited: ${inspect(why)}\n`)
  return 0
}
