// SHELL: evaluates source text sent by `bfly shell` in this node (Erlang's
// remsh), with the whole bfly API in scope, and answers the result's
// inspection. Any cookie holder may call it, so it gives them what the
// 'code' capability gives (run code here): `bfly node --no-shell` leaves it out.
import { inspect, types } from 'node:util'
import vm from 'node:vm'
import * as bfly from '../../../index.js'
import type { Pid } from '../../kernel/values.js'
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

/** One shell's variables: a vm context per session, and what it printed. */
interface Session {
  context: vm.Context
  output: string[]
}

const MAX_SESSIONS = 64

// Import the main context's way of loading modules, so `await import(...)` works in the shell.
// (Node >= 20.12; undefined before, and then the shell has no import()).
const importHook: unknown = vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER

function newSession(node: Node): Session {
  const output: string[] = []
  const print = (...args: unknown[]) => {
    output.push(`${args.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' ')}\n`)
  }
  // console in the shell prints to the shell, not to the node's terminal.
  const console = { log: print, info: print, warn: print, error: print, debug: print, dir: print }
  const context = vm.createContext({ ...bfly, node, console, setTimeout, clearTimeout, Buffer, URL })
  return { context, output }
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
const OWN_FRAME = /node:vm|node:internal|\/src\/cli\/|\/src\/server\.ts/

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

async function evaluate(s: Session, source: string, colors: boolean): Promise<EvalAnswer> {
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
    let value = script.runInContext(s.context, { displayErrors: false })
    if (value instanceof Promise || (value !== null && typeof value?.then === 'function')) value = await value
    return { ok: true, text: inspect(value, { colors, depth: 4 }), output: s.output.splice(0).join('') }
  } catch (e) {
    return { ok: false, text: `Uncaught ${shown(e, colors)}`, output: s.output.splice(0).join('') }
  }
}

/**
 * Starts SHELL. Calls: ['eval', session, source, { colors }] evaluates
 * `source` in that session's context (made on first use; at most 64 are
 * kept, the oldest dropped) and answers an EvalAnswer; ['close', session]
 * drops the session. Evaluations run one at a time, in arrival order.
 */
export function startShell(node: Node): Pid {
  return makeServer<Map<string, Session>>(
    {
      init: () => new Map(),
      async handle(req, sessions) {
        if (!Array.isArray(req) || typeof req[1] !== 'string')
          return {
            answer: new TypeError(`${SHELL}: expected ['eval', session, source] or ['close', session]`),
            state: sessions,
          }
        const [tag, id, source, opts] = req as [string, string, unknown, { colors?: boolean } | undefined]
        if (tag === 'close') return { answer: sessions.delete(id), state: sessions }
        if (tag !== 'eval' || typeof source !== 'string')
          return { answer: new TypeError(`${SHELL}: source must be a string`), state: sessions }
        let s = sessions.get(id)
        if (s === undefined) {
          if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value as string)
          s = newSession(node)
          sessions.set(id, s)
        }
        return { answer: await evaluate(s, source, opts?.colors === true), state: sessions }
      },
    },
    { name: SHELL },
  )
}
