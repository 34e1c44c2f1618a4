// The crash guard for node processes the tests start: each runs with
// fixtures/crash-mark.mjs preloaded, and a process that dies of an
// uncaught exception or an unhandled rejection (or reports an internal
// error that bfly caught to live on) fails the test that was running (or
// the next one to end), whatever the test itself checked.
// `alive` is the assertion to make after each attack: the process has not
// exited at all.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { ExecutionContext } from 'ava'

const MARK = 'BFLY-TEST-CRASH'
/** What bfly prints when it caught a failure of its own code (a bug, though the node lives on). */
const INTERNAL = 'bfly: internal error'
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

/** Every guarded process of this test file, with how much of its stderr was checked. */
const watched: { label: string; g: Guarded; checked: number }[] = []
const running = new Set<ChildProcess>()
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL')
})

/** The command without long arguments (a cookie among them). */
const shortLabel = (args: string[]): string =>
  args.map((a) => (a.length > 48 ? `${a.slice(0, 8)}...` : a.replace(/^.*\//, ''))).join(' ')

/** Starts `node NODE_ARGS... args` with stdout and stderr piped, watched for crashes. */
export function startGuarded(args: string[], label = shortLabel(args)): Guarded {
  const proc = spawn(process.execPath, [...NODE_ARGS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(proc)
  proc.once('exit', () => running.delete(proc))
  let err = ''
  proc.stderr?.on('data', (d: Buffer) => {
    err += d.toString()
  })
  const g = { proc, stderr: () => err }
  watched.push({ label, g, checked: 0 })
  return g
}

/** What the guarded processes reported since the last look: crashes and caught internal errors. */
function failures(): string[] {
  const out: string[] = []
  for (const w of watched) {
    const err = w.g.stderr()
    for (const mark of [MARK, INTERNAL]) {
      const at = err.indexOf(mark, w.checked)
      if (at >= 0) out.push(`${w.label}: ${err.slice(at, at + 2000)}`)
    }
    w.checked = err.length
  }
  return out
}

/** Asserts that `g` has not exited (nor crashed), naming `after` (the attack) if it has. */
export function alive(t: ExecutionContext, g: Guarded, after: string): void {
  const { exitCode, signalCode } = g.proc
  t.true(
    exitCode === null && signalCode === null,
    `the node process ended after ${after} (code ${exitCode}, signal ${signalCode}):\n${g.stderr().slice(-2000)}`,
  )
}

// The hooks exist only under ava (a worker child process); tools that start
// nodes through nodes.ts (tools/chaos.ts) run without it.
if (typeof process.send === 'function') {
  const { default: test } = await import('ava')
  test.afterEach.always((t) => {
    for (const f of failures()) t.fail(`a node process failed: ${f}`)
  })
  test.after.always((t) => {
    for (const f of failures()) t.fail(`a node process failed: ${f}`)
  })
}
