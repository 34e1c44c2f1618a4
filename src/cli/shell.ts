// `bfly shell NODE`: a REPL (node:repl) whose every input is evaluated by
// the SHELL service of NODE, over the encrypted link (Erlang's remsh). The
// REPL here only reads, completes API names, keeps the history and prints.
import { randomBytes } from 'node:crypto'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import repl from 'node:repl'
import { PassThrough } from 'node:stream'
import * as bfly from '../../index.js'
import { type EvalAnswer, LINE_MS, SHELL } from '../otp/services/shellservice.js'
import { millis, type Values } from './args.js'
import { callService, type Session } from './remotecmds.js'

/** The names Tab completes: the bfly API and the shell's own globals. */
export const COMPLETIONS = [...Object.keys(bfly), 'node', 'console'].sort()

/** Completes the identifier at the end of `line` against the API names. */
export function complete(line: string): [string[], string] {
  const token = /[A-Za-z_$][\w$]*$/.exec(line)?.[0] ?? ''
  const hits = COMPLETIONS.filter((n) => n.startsWith(token))
  return [hits.length > 0 ? hits : COMPLETIONS, token]
}

/** Runs the shell until its input ends (or `.exit`); resolves with the exit code: 0, or 1 when its input
 * was not a terminal and a line failed (threw, timed out, was interrupted or got no answer). */
export async function shell(s: Session, values: Values): Promise<number> {
  // --timeout is each line's deadline, kept by the node (which stops the line); this side waits a little longer.
  const lineMs = millis(values.timeout, LINE_MS)
  s.timeout = lineMs + 10_000
  const session = randomBytes(8).toString('hex')
  const colors = process.stdout.isTTY === true
  const evalRemote = (source: string) =>
    callService<EvalAnswer>(s, SHELL, ['eval', session, source, { colors, timeout: lineMs }])
  // Probe first, so a wrong cookie or a node without SHELL fails before the prompt.
  await evalRemote('undefined').catch((e: unknown) => {
    if (e instanceof bfly.NoProcError && /^no service 'SHELL' is registered/.test(e.message))
      throw new Error(`${s.target.name} runs no SHELL service (bfly node starts one unless --no-shell)`)
    throw e
  })
  const terminal = process.stdin.isTTY === true && process.stdout.isTTY === true
  const input = terminal ? process.stdin : new PassThrough()
  let chain: Promise<unknown> = Promise.resolve()
  let inflight = 0
  let failures = 0
  const r = repl.start({
    prompt: `${s.target.name}> `,
    input,
    output: process.stdout,
    terminal,
    completer: complete,
    writer: (text: unknown) => String(text),
    ignoreUndefined: true,
    eval(source, _context, _file, done) {
      if (source.trim() === '') return done(null, undefined)
      inflight++
      chain = chain.then(async () => {
        try {
          const a = await evalRemote(source)
          if ('incomplete' in a) return done(new repl.Recoverable(new SyntaxError('incomplete input')), undefined)
          if (a.output !== '') process.stdout.write(a.output)
          if (!a.ok) failures++
          done(null, a.text)
        } catch (e) {
          failures++
          done(null, `bfly shell: ${e instanceof Error ? e.message : String(e)}`)
        } finally {
          inflight--
        }
      })
    },
  })
  // Ctrl-C stops the line running on the node (the next one runs); with nothing running it does what the
  // REPL does (a terminal), or ends the shell (piped input).
  const interrupt = () => callService(s, SHELL, ['interrupt', session]).catch(() => {})
  r.on('SIGINT', () => {
    if (inflight > 0) void interrupt()
  })
  if (!terminal)
    process.on('SIGINT', () => {
      if (inflight > 0) void interrupt()
      else r.close()
    })
  if (input instanceof PassThrough) feedLines(r, input)
  const history = process.env.BFLY_HISTORY || join(homedir(), '.bfly_history')
  r.setupHistory(history, () => {})
  await new Promise<void>((resolve) => r.once('exit', () => resolve()))
  await chain
  await callService(s, SHELL, ['close', session]).catch(() => {})
  return !terminal && failures > 0 ? 1 : 0
}

/**
 * Piped input: node:repl reads every line of a chunk at once, before an
 * asynchronous eval has said whether the line before was complete, so the
 * lines go in one at a time, each after the REPL shows its next prompt
 * (which it does after an answer, an incomplete line, a blank or a dot command).
 */
function feedLines(r: repl.REPLServer, input: PassThrough): void {
  const queue: string[] = []
  let ready = false
  let ended = false
  const feed = () => {
    if (!ready) return
    const line = queue.shift()
    if (line !== undefined) {
      ready = false
      input.write(`${line}\n`)
    } else if (ended) input.end()
  }
  const prompt = r.displayPrompt.bind(r)
  r.displayPrompt = (preserveCursor?: boolean) => {
    prompt(preserveCursor)
    ready = true
    feed()
  }
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })
  lines.on('line', (line) => {
    queue.push(line)
    feed()
  })
  lines.on('close', () => {
    ended = true
    feed()
  })
  ready = true
  feed()
}
