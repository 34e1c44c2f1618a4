// SYSTEM-LOG (Butterfly's System-Log): a permanent log of whatever is log()'d,
// as JSON lines (pino) in a file rotated by size and time
// (rotating-file-stream), plus background pretty printing (pino-pretty)
// to the terminal that can be switched on and off. Callers only send a
// message; formatting and I/O happen in the SYSTEM-LOG process. The three
// libraries load with the first line written (pino-pretty with the first
// line printed), not with `import 'bfly'`.
import { join } from 'node:path'
import { inspect } from 'node:util'
import type pino from 'pino'
import type { RotatingFileStream } from 'rotating-file-stream'
import { setCrashLog } from '../../kernel/crash.js'
import { call } from '../../kernel/messaging.js'
import { whereis } from '../../kernel/names.js'
import { nodeName } from '../../kernel/values.js'
import { cast } from '../server.js'
import { running } from './revive.js'

export const SYSTEM_LOG = 'SYSTEM-LOG'

/** pino's levels, lowest first. */
export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const
/** A log level, lowest first: 'trace', 'debug', 'info', 'warn', 'error', 'fatal' (pino's). A line below the
 * configured level (`configureLog({ level })`, default 'info') is dropped. */
export type Level = (typeof LEVELS)[number]

/** Where and how the log is written. Every field is optional. */
export interface LogConfig {
  /** Directory of the log files (default `$BFLY_LOG_DIR`, else `./log`). */
  dir?: string
  /** The current file's name (default 'bfly.log'); rotated files get a time-and-index prefix. */
  file?: string
  /** Rotate when the file reaches this size: rotating-file-stream's `'10M'`, `'512K'`... (default '10M'). */
  size?: string
  /** Rotate every interval: `'1d'`, `'6h'`, `'30m'`... (default '1d'). */
  interval?: string
  /** Keep at most this many rotated files (default 10). */
  maxFiles?: number
  /** Lines below this level are dropped (default 'info'). */
  level?: Level
  /** Print each line, pretty, to stderr (default: `$BFLY_LOG_PRINT === '1'`; off in tests). */
  print?: boolean
}

const config: Required<LogConfig> = {
  dir: process.env.BFLY_LOG_DIR || 'log',
  file: 'bfly.log',
  size: '10M',
  interval: '1d',
  maxFiles: 10,
  level: 'info',
  print: process.env.BFLY_LOG_PRINT === '1',
}

/** The open file and logger: made on the first line, remade after configureLog. */
interface Sink {
  file: RotatingFileStream
  logger: pino.Logger
  /** Settles when the last line written so far is in the file. */
  readonly written: Promise<void>
}
let sink: Sink | null = null
let pretty: ((line: string) => string) | null = null

async function open(): Promise<Sink> {
  const [{ default: pino }, { createStream }] = await Promise.all([import('pino'), import('rotating-file-stream')])
  if (config.print) await loadPretty()
  const file = createStream(config.file, {
    path: config.dir,
    size: config.size,
    interval: config.interval,
    maxFiles: config.maxFiles,
  })
  file.on('error', (e) => process.stderr.write(`bfly SYSTEM-LOG: ${String(e)}\n`))
  let written = Promise.resolve()
  // pino formats; this destination tees each whole line to the file and,
  // when printing is on, to the terminal.
  const logger = pino(
    // The node's name is read per line: startNode may rename the node after the first line.
    { level: 'trace', base: null, mixin: () => ({ node: nodeName }), timestamp: false },
    {
      write(line: string) {
        written = new Promise<void>((res) => file.write(line, () => res()))
        if (config.print && pretty !== null) process.stderr.write(pretty(line))
      },
    },
  )
  return {
    file,
    logger,
    get written() {
      return written
    },
  }
}

/** pino-pretty's formatter, loaded once printing is on. */
async function loadPretty(): Promise<void> {
  if (pretty !== null) return
  const { prettyFactory } = await import('pino-pretty')
  pretty = prettyFactory({ colorize: process.stderr.isTTY === true, ignore: 'node' })
}

/** Applies a checked configuration (in the SYSTEM-LOG process, in order with the lines). */
function apply(c: LogConfig): void {
  if (c.print !== undefined) config.print = c.print
  const { print: _, ...rest } = c
  Object.assign(config, rest)
  if (Object.keys(rest).length > 0 && sink !== null) {
    const old = sink
    sink = null
    old.written.then(() => old.file.end())
  }
}

function render(a: unknown): string {
  if (typeof a === 'string') return a
  if (a instanceof Error) return `${a.name}: ${a.message}`
  return inspect(a, { depth: 4, breakLength: Number.POSITIVE_INFINITY })
}

/** Writes one line (in the SYSTEM-LOG process; the server takes the next
 * message once it has, so lines stay in order while the libraries load). */
async function write(level: Level, time: number, args: unknown[]): Promise<void> {
  if (LEVELS.indexOf(level) < LEVELS.indexOf(config.level)) return
  sink ??= await open()
  if (config.print) await loadPretty()
  const err = args.find((a) => a instanceof Error)
  const fields: Record<string, unknown> = { time }
  if (err !== undefined) fields.err = err
  sink.logger[level](fields, args.map(render).join(' '))
}

/** Configurations cast by configureLog on this thread. One that came from
 * another thread or node is a fresh decoded object, never one of these: a
 * cookie holder may cast to SYSTEM-LOG, but must not choose where this node
 * writes files. */
const fromHere = new WeakSet<LogConfig>()

/** The SYSTEM-LOG server's handlers. */
export const systemLogHandlers = {
  async cast(msg: unknown, state: null) {
    if (Array.isArray(msg) && msg.length === 3 && Array.isArray(msg[2]))
      await write(msg[0] as Level, msg[1] as number, msg[2])
    else if (Array.isArray(msg) && msg[0] === 'config' && fromHere.has(msg[1] as LogConfig)) apply(msg[1] as LogConfig)
    return { state }
  },
  async handle(req: unknown, state: null) {
    if (req === 'flush' && sink !== null) await sink.written
    return { answer: true, state }
  },
}

/**
 * Logs `args` at `level` (Butterfly's LOG): the SYSTEM-LOG process writes one JSON
 * line `{ level, time, node, msg, err? }` (pino's numeric level; `msg` is
 * the args rendered and joined by spaces; `err` the first Error, with its
 * stack) to the rotating file, and prints it pretty when printing is on.
 * Returns at once. Throws a TypeError for an unknown level. A SYSTEM-LOG
 * that was stopped is started again (on a worker with none running, the
 * line is dropped).
 */
export function log(level: Level, ...args: unknown[]): void {
  if (!LEVELS.includes(level))
    throw new TypeError(`log: level must be one of ${LEVELS.join(', ')}, got ${String(level)}`)
  if (running(SYSTEM_LOG)) cast(SYSTEM_LOG, [level, Date.now(), args])
}

/** Resolves once every line logged before this call is in the file. */
export async function flushLog(opts?: { timeout?: number }): Promise<void> {
  running(SYSTEM_LOG)
  await call(SYSTEM_LOG, 'flush', opts)
}

/** Switches background printing to the terminal on or off (for lines
 * logged after this call); returns the previous setting. */
export function logPrint(on: boolean): boolean {
  const was = config.print
  configureLog({ print: on === true })
  return was
}

/**
 * Changes where and how the log is written, for lines logged after this
 * call: lines already logged go to the old file (closed after them). Throws
 * a TypeError for a bad field, changing nothing. Only code on the thread
 * of SYSTEM-LOG (the main thread) can change it: a configuration cast to it
 * from another thread or node is ignored.
 */
export function configureLog(c: LogConfig): void {
  if (c === null || typeof c !== 'object') throw new TypeError('configureLog: expected an object')
  for (const k of ['dir', 'file', 'size', 'interval'] as const)
    if (c[k] !== undefined && (typeof c[k] !== 'string' || c[k] === ''))
      throw new TypeError(`configureLog: ${k} must be a non-empty string`)
  if (c.maxFiles !== undefined && !(Number.isInteger(c.maxFiles) && c.maxFiles > 0))
    throw new TypeError('configureLog: maxFiles must be an integer > 0')
  if (c.level !== undefined && !LEVELS.includes(c.level))
    throw new TypeError(`configureLog: level must be one of ${LEVELS.join(', ')}`)
  if (c.print !== undefined && typeof c.print !== 'boolean')
    throw new TypeError('configureLog: print must be a boolean')
  const copy = { ...c }
  fromHere.add(copy)
  if (whereis(SYSTEM_LOG) === undefined) apply(copy)
  else cast(SYSTEM_LOG, ['config', copy])
}

/** The path of the current log file. */
export function logFile(): string {
  return join(config.dir, config.file)
}

// Crash reports (src/kernel/crash.ts) go to the log too, as errors.
setCrashLog((line) => log('error', line))
