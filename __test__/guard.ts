// The crash guard for node processes the tests start: each runs with
// fixtures/crash-mark.mjs preloaded, and a process that dies of an
// uncaught exception or an unhandled rejection fails the test that was
// running (or the next one to end), whatever the test itself checked.
// `alive` is the assertion to make after each attack: the process has not
// exited at all.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath, pathToFileURL } from 'node:url'
import test, { type ExecutionContext } from 'ava'

const MARK = 'BFLY-TEST-CRASH'
/** Node's arguments for a guarded process: TypeScript, and the crash mark. */
export const NODE_ARGS = [
  '--import=tsx',
  `--import=${pathToFileURL(fileURLToPath(new URL('./fixtures/crash-mark.mjs', import.meta.url))).href}`,
]

/** A node process started by a test. */
export interface Guarded {
  proc: ChildProcess
  /** Everything it wrote on stderr so far. */
  stderr(): string
}

const crashes: string[] = []

/** The command without long arguments (a cookie among them). */
const shortLabel = (args: string[]): string =>
  args.map((a) => (a.length > 48 ? `${a.slice(0, 8)}...` : a.replace(/^.*\//, ''))).join(' ')
const running = new Set<ChildProcess>()
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL')
})

/** Starts `node NODE_ARGS... args` with stdout and stderr piped, watched for crashes. */
export function startGuarded(args: string[], label = shortLabel(args)): Guarded {
  const proc = spawn(process.execPath, [...NODE_ARGS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(proc)
  let err = ''
  proc.stderr?.on('data', (d: Buffer) => {
    err += d.toString()
  })
  // 'close' comes after the last of stderr.
  proc.once('close', () => {
    running.delete(proc)
    const at = err.indexOf(MARK)
    if (at >= 0) crashes.push(`${label} died: ${err.slice(at + MARK.length + 1, at + 2000)}`)
  })
  return { proc, stderr: () => err }
}

/** Asserts that `g` has not exited (nor crashed), naming `after` (the attack) if it has. */
export function alive(t: ExecutionContext, g: Guarded, after: string): void {
  const { exitCode, signalCode } = g.proc
  t.true(
    exitCode === null && signalCode === null,
    `the node process ended after ${after} (code ${exitCode}, signal ${signalCode}):\n${g.stderr().slice(-2000)}`,
  )
}

test.afterEach.always((t) => {
  for (const c of crashes.splice(0)) t.fail(`a node process died of an uncaught exception: ${c}`)
})

test.after.always((t) => {
  for (const c of crashes.splice(0)) t.fail(`a node process died of an uncaught exception: ${c}`)
})
