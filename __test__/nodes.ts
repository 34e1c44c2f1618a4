// Real nodes for the distribution tests: each peer is a separate OS
// process (fixtures/node.ts) on 127.0.0.1; the test process itself is made
// a node with `startNode`. Nothing is mocked.
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { type Capability, type Node, startNode } from '../index.ts'
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
