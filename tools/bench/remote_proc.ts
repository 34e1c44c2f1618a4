// Runs one link throughput sample of the `remote` suite as two OS processes
// (a server, then a client pointed at the port it printed) and checks what
// both report. Also builds the SL1 example binary and makes the TLS
// baseline's self-signed certificate.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { check, REPO_DIR } from './harness.js'

/** A sample may not take longer than this (both processes are killed). */
const DEADLINE_MS = 60_000

/** What a server prints last (linkbench.rs and remote_node.ts alike). */
interface ServerOut {
  msgs_per_s: number
  mb_per_s: number
  received: number
  bytes: number
  cipher?: string | null
}

/** What a client prints last. */
interface ClientOut {
  msgs_per_s: number
  mb_per_s: number
  secs: number
}

interface Proc {
  child: ChildProcess
  lines: string[]
  /** The first stdout line (the server's `{"listening": port}`). */
  first: Promise<string>
  exit: Promise<number | string>
}

function start(cmd: string, args: string[]): Proc {
  const child = spawn(cmd, args, { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'inherit'] })
  const lines: string[] = []
  let gotFirst: (line: string) => void = () => {}
  const first = new Promise<string>((resolve) => {
    gotFirst = resolve
  })
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (lines.length === 0) gotFirst(line)
    lines.push(line)
  })
  const exit = new Promise<number | string>((resolve) => {
    child.on('error', (e) => resolve(`spawn failed: ${e.message}`))
    // 'close' (not 'exit'): stdout has been read to its end.
    child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown'))
  })
  exit.then(() => gotFirst(''))
  return { child, lines, first, exit }
}

function lastJson<T>(p: Proc, who: string): T {
  const last = p.lines[p.lines.length - 1] ?? ''
  try {
    return JSON.parse(last) as T
  } catch {
    throw new Error(`${who} printed no result (last line: ${JSON.stringify(last)})`)
  }
}

function withDeadline<T>(what: string, p: Promise<T>, procs: Proc[]): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      for (const q of procs) q.child.kill('SIGKILL')
      reject(new Error(`${what}: no result within ${DEADLINE_MS / 1000} s, killed`))
    }, DEADLINE_MS)
  })
  return Promise.race([p, late]).finally(() => clearTimeout(timer))
}

/**
 * One sample: starts `server` (which must print `{"listening": port}`
 * first), then `client(port)`; both must exit 0. The server must have
 * received exactly `count` messages of `size` bytes. Returns the client's
 * messages per second (first send to the ack).
 */
export async function runPair(
  label: string,
  server: [string, string[]],
  client: (port: number) => [string, string[]],
  count: number,
  size: number,
): Promise<number> {
  const srv = start(...server)
  const procs = [srv]
  try {
    const line = await withDeadline(`${label} server`, srv.first, procs)
    const port = (JSON.parse(line || '{}') as { listening?: number }).listening
    if (typeof port !== 'number') {
      throw new Error(`${label}: server did not print its port (exit ${await srv.exit})`)
    }
    const cli = start(...client(port))
    procs.push(cli)
    const [sc, cc] = await withDeadline(label, Promise.all([srv.exit, cli.exit]), procs)
    if (sc !== 0 || cc !== 0) throw new Error(`${label}: server exited with ${sc}, client with ${cc}`)
    const s = lastJson<ServerOut>(srv, `${label} server`)
    const c = lastJson<ClientOut>(cli, `${label} client`)
    check(s.received === count, `${label}: server received ${s.received} messages, expected ${count}`)
    check(s.bytes === count * size, `${label}: server received ${s.bytes} bytes, expected ${count * size}`)
    check(Number.isFinite(c.msgs_per_s) && c.msgs_per_s > 0, `${label}: client rate ${c.msgs_per_s}`)
    if (s.cipher && !cipherLogged) {
      cipherLogged = true
      console.error(`    ${label}: ${s.cipher}`)
    }
    return c.msgs_per_s
  } finally {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
  }
}

/** The TLS version and suite negotiated are printed once per process. */
let cipherLogged = false

/**
 * Builds crates/net/examples/linkbench.rs (release) and returns the path of
 * the binary (from cargo's own report, so CARGO_TARGET_DIR is honoured).
 */
export function buildLinkbench(): string {
  const r = spawnSync(
    'cargo',
    ['build', '--release', '-p', 'bfly-net', '--example', 'linkbench', '--message-format=json-render-diagnostics'],
    { cwd: REPO_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 },
  )
  if (r.error !== undefined) throw new Error(`cargo: ${r.error.message}`)
  if (r.status !== 0) throw new Error(`cargo build of the linkbench example failed (status ${r.status})`)
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue
    const m = JSON.parse(line) as { reason?: string; target?: { name?: string }; executable?: string | null }
    if (m.reason === 'compiler-artifact' && m.target?.name === 'linkbench' && m.executable) return m.executable
  }
  throw new Error('cargo built linkbench but reported no executable')
}

/**
 * A throwaway self-signed certificate for 127.0.0.1 (P-256), made with the
 * `openssl` command line; throws (the TLS baseline is then null) without it.
 * The directory is removed when this process exits.
 */
export function selfSignedCert(): { cert: string; key: string } {
  if (spawnSync('sh', ['-c', 'command -v openssl'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('openssl is not on PATH: no certificate for the TLS baseline')
  }
  const dir = mkdtempSync(join(tmpdir(), 'bfly-bench-tls-'))
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { encoding: 'utf8' },
  )
  if (r.status !== 0) throw new Error(`openssl could not make a certificate: ${r.stderr}`)
  return { cert, key }
}
