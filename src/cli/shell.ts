// `bfly shell NODE`: a REPL (node:repl) whose every input is evaluated by
// the SHELL service of NODE, over the encrypted link (Erlang's remsh). The
// REPL here only reads, completes API names, keeps the history and prints.
import { randomBytes } from 'node:crypto'
import { homedir } from 'node:os'
import { join } from 'node:path'
import repl from 'node:repl'
import * as bfly from '../../index.js'
import { type Command, REMOTE, REMOTE_DETAILS, type Values } from './args.js'
import { callService, type Session } from './remotecmds.js'
import { type EvalAnswer, SHELL } from './shellservice.js'

export const shellCommand: Command = {
  name: 'shell',
  usage: 'bfly shell NODE [--addr HOST:PORT] [--cookie-file FILE]',
  summary:
    'An interactive shell evaluating in NODE (its SHELL service), with the bfly API and `node` in scope.\n' +
    'Top-level await works. History in ~/.bfly_history (or $BFLY_HISTORY); Tab completes API names.',
  details: `${REMOTE_DETAILS.replace('(default 5000)', 'per evaluation (default 60000)')}`,
  options: REMOTE,
  positionals: [1, 1],
}

/** The names Tab completes: the bfly API and the shell's own globals. */
export const COMPLETIONS = [...Object.keys(bfly), 'node', 'console'].sort()

/** Completes the identifier at the end of `line` against the API names. */
export function complete(line: string): [string[], string] {
  const token = /[A-Za-z_$][\w$]*$/.exec(line)?.[0] ?? ''
  const hits = COMPLETIONS.filter((n) => n.startsWith(token))
  return [hits.length > 0 ? hits : COMPLETIONS, token]
}

/** Runs the shell until its input ends (or `.exit`); resolves with the exit code. */
export async function shell(s: Session, values: Values): Promise<number> {
  if (values.timeout === undefined) s.timeout = 60_000
  const session = randomBytes(8).toString('hex')
  const colors = process.stdout.isTTY === true
  // Probe first, so a wrong cookie or a node without SHELL fails before the prompt.
  await evalRemote(s, session, 'undefined', colors)
  // Inputs are evaluated one at a time, in order, even when piped in faster.
  let chain: Promise<unknown> = Promise.resolve()
  const r = repl.start({
    prompt: `${s.target.name}> `,
    input: process.stdin,
    output: process.stdout,
    terminal: process.stdin.isTTY === true && process.stdout.isTTY === true,
    completer: complete,
    writer: (text: unknown) => String(text),
    eval(source, _context, _file, done) {
      chain = chain.then(async () => {
        try {
          const a = await evalRemote(s, session, source, colors)
          if ('incomplete' in a) return done(new repl.Recoverable(new SyntaxError('incomplete input')), undefined)
          if (a.output !== '') process.stdout.write(a.output)
          done(null, a.text)
        } catch (e) {
          done(null, `bfly shell: ${e instanceof Error ? e.message : String(e)}`)
        }
      })
    },
  })
  const history = process.env.BFLY_HISTORY || join(homedir(), '.bfly_history')
  r.setupHistory(history, () => {})
  await new Promise<void>((resolve) => r.once('exit', () => resolve()))
  await chain
  await callService(s, SHELL, ['close', session]).catch(() => {})
  return 0
}

function evalRemote(s: Session, session: string, source: string, colors: boolean): Promise<EvalAnswer> {
  return callService<EvalAnswer>(s, SHELL, ['eval', session, source, { colors }])
}
