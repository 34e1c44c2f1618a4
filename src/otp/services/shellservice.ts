// SHELL: evaluates source text sent by `bfly shell` in this node (Erlang's
// remsh), with the API its starter gives in scope (`bfly node`: the whole
// bfly API), and answers the result's inspection. Each line runs in a
// process of its own, under a deadline kept here on the node, so a line
// that never ends is stopped and the shell goes on; lines of one session
// run one after another, in arrival order. Any cookie holder may call it,
// so it gives them what the 'code' capability gives (run code here):
// `bfly node --no-shell` leaves it out.
import { inspect, types } from 'node:util'
import vm from 'node:vm'
import { exit, type From, reply, send } from '../../kernel/messaging.js'
import type { Process } from '../../kernel/process.js'
import { spawn } from '../../kernel/spawn.js'
import type { Pid, Ref } from '../../kernel/values.js'
import type { Node } from '../../nodes/node.js'
import { makeServer } from '../server.js'

export const SHELL = 'SHELL'

/** SHELL's answer to ['eval', session, source, opts]. */
export type EvalAnswer =
  /** `output`: what the session's console printed since the last answer (a process it
   * spawned may print later; that comes with the next answer). */
  | { ok: true; text: string; output: string }
  | { ok: false; text: string; output: string }
  /** The source is the start of a longer one (the REPL asks for more lines). */
  | { incomplete: true }

/** A line waiting for its turn in its session. */
interface Line {
  from: From
  source: string
  colors: boolean
  ms: number
}

/** The line a session is running: its process, monitored by SHELL. */
interface Running {
  line: Line
  pid: Pid
  ref: Ref
  timer: NodeJS.Timeout
}

/** One shell's variables: a vm context per session, what it printed, and its lines. */
interface Session {
  id: string
  context: vm.Context
  output: string[]
  queue: Line[]
  running: Running | null
}

const MAX_SESSIONS = 64
/** A line's deadline when the client names none, and the most it may name. */
export const LINE_MS = 60_000
const MAX_LINE_MS = 24 * 3600_000

// Import the main context's way of loading modules, so `await import(...)` works in the shell.
// (Node >= 20.12; undefined before, and then the shell has no import()).
const importHook: unknown = vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER

function newSession(node: Node, api: Readonly<Record<string, unknown>>, id: string): Session {
  const output: string[] = []
  const print = (...args: unknown[]) => {
    output.push(`${args.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' ')}\n`)
  }
  // console in the shell prints to the shell, not to the node's terminal.
  const console = { log: print, info: print, warn: print, error: print, debug: print, dir: print }
  const context = vm.createContext({ ...api, node, console, setTimeout, clearTimeout, Buffer, URL })
  return { id, context, output, queue: [], running: null }
}

function incomplete(e: unknown): boolean {
  return (
    types.isNativeError(e) &&
    e.name === 'SyntaxError' &&
    /Unexpected end of input|Unterminated (template|string)|missing \) after/.test(e.message)
  )
}

/** Compiles `source`; code with top-level `await` runs in an async function
 * (its declarations then stay local to that line). */
function compile(source: string): vm.Script {
  const opts = importHook === undefined ? {} : { importModuleDynamically: importHook as never }
  try {
    return new vm.Script(source, { filename: 'shell', ...opts })
  } catch (e) {
    if (!(e instanceof SyntaxError) || !/\bawait\b/.test(source)) throw e
    try {
      return new vm.Script(`(async () => (${source}\n))()`, { filename: 'shell', ...opts })
    } catch {
      return new vm.Script(`(async () => {${source}\n})()`, { filename: 'shell', ...opts })
    }
  }
}

// Frames of the shell's own machinery, cut from the stacks it shows.
const OWN_FRAME = /node:vm|node:internal|\/src\/cli\/|\/src\/otp\/server\.ts/

/** A thrown value as the shell shows it: an error's stack without the shell's frames. */
function shown(e: unknown, colors: boolean): string {
  // Errors made in the shell's context are of its realm, not instances of this Error.
  const stack = types.isNativeError(e) ? e.stack : undefined
  if (stack === undefined) return inspect(e, { colors })
  return stack
    .split('\n')
    .filter((line) => !OWN_FRAME.test(line))
    .join('\n')
}

/** Evaluates one line (in its own process); synchronous code is bounded by `ms` too. */
async function evaluate(s: Session, source: string, colors: boolean, ms: number): Promise<EvalAnswer> {
  let script: vm.Script
  try {
    script = compile(source)
  } catch (e) {
    if (incomplete(e)) return { incomplete: true }
    return {
      ok: false,
      text: `Uncaught ${types.isNativeError(e) ? `${e.name}: ${e.message}` : inspect(e)}`,
      output: s.output.splice(0).join(''),
    }
  }
  try {
    let value = script.runInContext(s.context, { displayErrors: false, timeout: ms })
    if (value instanceof Promise || (value !== null && typeof value?.then === 'function')) value = await value
    return { ok: true, text: inspect(value, { colors, depth: 4 }), output: s.output.splice(0).join('') }
  } catch (e) {
    return { ok: false, text: `Uncaught ${shown(e, colors)}`, output: s.output.splice(0).join('') }
  }
}

/** What ends a line other than its own answer. */
function failed(s: Session, text: string): EvalAnswer {
  return { ok: false, text, output: s.output.splice(0).join('') }
}

/** Starts the session's next line, if it is idle and has one. */
function next(self: Process, s: Session): void {
  if (s.running !== null) return
  const line = s.queue.shift()
  if (line === undefined) return
  const shell = self.self
  const pid = spawn(async (p) => {
    const a = await evaluate(s, line.source, line.colors, line.ms)
    send(shell, ['$shell-done', s.id, p.self, a])
  })
  const ref = self.monitor(pid)
  // The deadline is kept here, on the node: the client's own wait may be gone.
  const timer = setTimeout(() => send(shell, ['$shell-deadline', s.id, ref]), line.ms)
  timer.unref()
  s.running = { line, pid, ref, timer }
}

/** Ends the running line with `answer`, stopping its process, and starts the next. */
function finish(self: Process, s: Session, answer: EvalAnswer): void {
  const r = s.running
  if (r === null) return
  s.running = null
  clearTimeout(r.timer)
  self.demonitor(r.ref, { flush: true })
  exit(r.pid, 'kill')
  reply(r.line.from, answer)
  next(self, s)
}

function checkMs(v: unknown): number {
  return typeof v === 'number' && v > 0 ? Math.min(v, MAX_LINE_MS) : LINE_MS
}

/**
 * Starts SHELL. Calls: ['eval', session, source, { colors, timeout }]
 * evaluates `source` in that session's context (made on first use, with
 * `api`'s names and `node` in scope; at most 64 are kept, the oldest
 * dropped) in a process of its own, after the session's earlier lines, and
 * answers an EvalAnswer: the result, or an error once `timeout` ms (default
 * 60000) have passed, when its process has been stopped. ['interrupt',
 * session] stops the running line (its eval is answered 'Interrupted') and
 * answers whether one was running; ['close', session] stops it and drops
 * the session. The server itself only queues and answers, so a line that
 * never ends cannot stop it.
 */
export function startShell(node: Node, api: Readonly<Record<string, unknown>>): Pid {
  return makeServer<Map<string, Session>>(
    {
      init: () => new Map(),
      handle(req, sessions, from, self) {
        if (!Array.isArray(req) || typeof req[1] !== 'string')
          return {
            answer: new TypeError(
              `${SHELL}: expected ['eval', session, source], ['interrupt', session] or ['close', session]`,
            ),
            state: sessions,
          }
        const [tag, id, source, opts] = req as [
          string,
          string,
          unknown,
          { colors?: boolean; timeout?: number } | undefined,
        ]
        const s0 = sessions.get(id)
        if (tag === 'close' || tag === 'interrupt') {
          const was = s0?.running != null
          if (s0 !== undefined && was) finish(self, s0, failed(s0, 'Interrupted'))
          if (tag === 'close' && s0 !== undefined) {
            for (const l of s0.queue.splice(0)) reply(l.from, failed(s0, 'Interrupted: the shell closed'))
            sessions.delete(id)
          }
          return { answer: tag === 'close' ? s0 !== undefined : was, state: sessions }
        }
        if (tag !== 'eval' || typeof source !== 'string')
          return { answer: new TypeError(`${SHELL}: source must be a string`), state: sessions }
        let s = s0
        if (s === undefined) {
          if (sessions.size >= MAX_SESSIONS) {
            const [oldId, old] = sessions.entries().next().value as [string, Session]
            if (old.running !== null) finish(self, old, failed(old, 'Interrupted: too many shell sessions'))
            sessions.delete(oldId)
          }
          s = newSession(node, api, id)
          sessions.set(id, s)
        }
        s.queue.push({ from, source, colors: opts?.colors === true, ms: checkMs(opts?.timeout) })
        next(self, s)
        return { state: sessions }
      },
      info(msg, sessions, self) {
        if (!Array.isArray(msg)) return { state: sessions }
        const s = sessions.get(msg[1] as string)
        // Each message names its line (an answer or a deadline of a line already ended is stale).
        if (msg[0] === '$shell-done' && s?.running?.pid.equals(msg[2])) finish(self, s, msg[3] as EvalAnswer)
        else if (msg[0] === '$shell-deadline' && s?.running?.ref.equals(msg[2]))
          finish(
            self,
            s,
            failed(s, `Uncaught TimeoutError: the line did not finish within ${s.running.line.ms} ms; it was stopped`),
          )
        // A line's process that ended normally has sent its answer (it may come after the DOWN).
        else if (msg[0] === 'DOWN' && msg[3] !== 'normal')
          for (const x of sessions.values())
            if (x.running?.ref.equals(msg[1]))
              finish(self, x, failed(x, `Uncaught: the line's process exited (${String(msg[3])})`))
        return { state: sessions }
      },
    },
    { name: SHELL },
  )
}
