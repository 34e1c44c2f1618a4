// Real nodes for the distribution tests: each peer is a separate OS
// process (fixtures/node.ts) on 127.0.0.1; the test process itself is made
// a node with `startNode`. Nothing is mocked.
import { type ChildProcess, execFile, execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { type Capability, type Node, type NodeOptions, startNode } from '../index.ts'
import { type Guarded, startGuarded } from './guard.ts'

const FIXTURE = fileURLToPath(new URL('./fixtures/node.ts', import.meta.url))
/** The module that remote spawns name (an absolute path, so any cwd works). */
export const SERVICES = fileURLToPath(new URL('./fixtures/services.ts', import.meta.url))

export function newCookie(): string {
  return randomBytes(32).toString('hex')
}

export interface PeerOptions {
  port?: number
  allow?: Capability[] | Record<string, Capability[]>
  /** What peers may spawn there (default: the fixtures folder). */
  modules?: string[]
  idleMs?: number
  heartbeatMs?: number
  creditWindow?: number
  remoteFull?: 'wait' | 'error'
  /** The address it listens on (default 127.0.0.1). */
  host?: string
  seeds?: string[]
  discover?: NodeOptions['discover']
  hidden?: boolean
  connectAll?: boolean
  identity?: NodeOptions['identity']
  /** Print refusals and failed links on stderr (fixtures are quiet by default). */
  quiet?: boolean
}

/** A peer node process. */
export interface Peer {
  name: string
  /** 'host:port' it listens on. */
  addr: string
  proc: ChildProcess
  /** Its crash guard: `alive(t, peer.guarded, ...)` after an attack. */
  guarded: Guarded
  /** Sends `signal` (default SIGKILL) and waits for the process to end. */
  kill(signal?: NodeJS.Signals): Promise<void>
}

/** Starts node `name` in its own OS process and waits until it listens.
 * It runs under the crash guard (guard.ts): dying of an uncaught exception fails the test. */
export function startPeer(name: string, cookie: string, opts: PeerOptions = {}): Promise<Peer> {
  const g = startGuarded([FIXTURE, name, cookie, JSON.stringify(opts)], `node ${name}`)
  const proc = g.proc
  const ended = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  const err = g.stderr
  return new Promise<Peer>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 20 s: ${err()}`)), 20_000)
    proc.once('exit', (code) => reject(new Error(`${name} exited (${code}) before listening: ${err()}`)))
    const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream })
    lines.on('line', (line) => {
      const m = /^\{"listening":"(.*)"\}$/.exec(line)
      if (m === null) return
      clearTimeout(timer)
      resolve({
        name,
        addr: m[1],
        proc,
        guarded: g,
        kill: (signal = 'SIGKILL') => {
          proc.kill(signal)
          return ended
        },
      })
    })
  })
}

/** Makes this test process node `name` on 127.0.0.1 (once per process).
 * Unref'd, so the test process ends when its tests do. */
export async function thisNode(
  name: string,
  cookie: string,
  extra: { idleMs?: number; heartbeatMs?: number; maxQueuedBytes?: number; creditWindow?: number } = {},
): Promise<Node> {
  return (await startNode({ name, listen: '127.0.0.1:0', cookie, quiet: true, ...extra })).unref()
}

const ROOT = fileURLToPath(new URL('..', import.meta.url))
let rawpeerBin: string | undefined

/** What crates/cluster/examples/rawpeer.rs reported, one JSON object per event. */
export type RawEvent =
  | { ack: { ok: boolean; name: string } }
  | { refused: string }
  | { closed: string }
  | { end: 'closed' | 'open'; ms?: number }
  | { error: string }

/**
 * Runs the hostile peer (crates/cluster/examples/rawpeer.rs, built on first
 * use) against `addr`: it completes the SL1 handshake with `cookie`, says
 * Hello as `name` (proving `identity`, a secret in hex, if given), sends
 * each of `frames` (hex), and reports what the node did.
 */
export function rawPeer(opts: {
  addr: string
  cookie: string
  name: string
  frames?: string[]
  identity?: string
  waitMs?: number
}): Promise<RawEvent[]> {
  rawpeerBin ??= (() => {
    execFileSync('cargo', ['build', '-q', '-p', 'bfly-cluster', '--example', 'rawpeer'], {
      cwd: ROOT,
      stdio: 'inherit',
    })
    return `${ROOT}target/debug/examples/rawpeer`
  })()
  const args = ['--addr', opts.addr, '--cookie', opts.cookie, '--name', opts.name]
  for (const f of opts.frames ?? []) args.push('--send', f)
  if (opts.identity !== undefined) args.push('--identity', opts.identity)
  args.push('--wait-ms', String(opts.waitMs ?? 3000))
  const bin = rawpeerBin
  return new Promise((resolve, reject) => {
    execFile(bin, args, { encoding: 'utf8' }, (err, out) => {
      if (err) return reject(err)
      resolve(
        out
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as RawEvent),
      )
    })
  })
}
