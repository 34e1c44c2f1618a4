// What every `bfly` subcommand shares: its option parsing (Node's
// util.parseArgs, strict), its help text, the NODE argument and the
// cookie file. Errors here are UsageError: one line, exit code 2.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { cookieFromText } from '../nodes/cookie.js'

/** A mistake in how a command was invoked: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** A command's description: its options (parseArgs's), positionals and help. */
export interface Command {
  name: string
  /** One line: `bfly NAME ARGS...`. */
  usage: string
  summary: string
  /** Lines describing each option and positional, already aligned. */
  details: string
  options: NonNullable<ParseArgsConfig['options']>
  /** How many positionals it takes: [min, max]. */
  positionals: [number, number]
}

/** The options every command accepts. */
export const COMMON = {
  help: { type: 'boolean', short: 'h' },
  verbose: { type: 'boolean', short: 'v' },
} as const

/** The options of the commands that reach a running node. */
export const REMOTE = {
  addr: { type: 'string' },
  'cookie-file': { type: 'string' },
  timeout: { type: 'string' },
} as const

export const REMOTE_DETAILS = `  NODE                 the node's name, or name@host:port (then --addr is not needed)
  --addr host:port     where NODE listens
  --cookie-file FILE   the cluster cookie (default $BFLY_COOKIE_FILE)
  --timeout MS         how long to wait for the node (default 5000)`

export function helpText(c: Command): string {
  return `Usage: ${c.usage}\n\n${c.summary}\n\n${c.details}\n  -v, --verbose        print stack traces of errors\n  -h, --help           this help\n`
}

export type Values = Record<string, string | boolean | string[] | undefined>

/** `argv` with a negative number after an option that takes a value joined
 * to it (`--timeout -5` as `--timeout=-5`), so the option's own check says
 * what is wrong with the value (parseArgs would call it ambiguous). */
function joinNegatives(c: Command, argv: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const opt = /^--([\w-]+)$/.exec(argv[i])?.[1]
    const next = argv[i + 1]
    if (opt !== undefined && c.options[opt]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${argv[i]}=${next}`)
      i++
    } else out.push(argv[i])
  }
  return out
}

/** Parses `argv` for `c`; throws UsageError naming the problem. */
export function parse(c: Command, argv: string[]): { values: Values; positionals: string[] } {
  let r: { values: Values; positionals: string[] }
  try {
    const args = joinNegatives(c, argv)
    r = parseArgs({ args, options: { ...COMMON, ...c.options }, allowPositionals: true, strict: true }) as {
      values: Values
      positionals: string[]
    }
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('. ')[0]} (see bfly ${c.name} --help)`)
  }
  if (r.values.help) return r
  const [min, max] = c.positionals
  const n = r.positionals.length
  if (n < min || n > max)
    throw new UsageError(
      `expected ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, got ${n}: ${c.usage}`,
    )
  return r
}

/** A node to reach: its name and where it listens. */
export interface Target {
  name: string
  addr: string
}

const ADDR = /^(?:\[[^\]]+\]|[^:@\s]+):\d{1,5}$/

/** NODE as name@host:port (split at the last '@'), or a name with --addr. */
export function target(node: string, addr: string | undefined): Target {
  const at = node.lastIndexOf('@')
  if (addr !== undefined) {
    if (!ADDR.test(addr)) throw new UsageError(`--addr must be host:port, got '${addr}'`)
    return { name: node, addr }
  }
  if (at > 0 && ADDR.test(node.slice(at + 1))) return { name: node.slice(0, at), addr: node.slice(at + 1) }
  throw new UsageError(`where does '${node}' listen? Give NODE as name@host:port or add --addr host:port`)
}

/** A positive number of milliseconds from an option, or `dflt`. */
export function millis(v: Values[string], dflt: number, what = '--timeout'): number {
  if (v === undefined) return dflt
  const n = Number(v)
  if (typeof v !== 'string' || !Number.isFinite(n) || n <= 0)
    throw new UsageError(`${what} must be a positive number of milliseconds, got '${String(v)}'`)
  return n
}

/** The most bytes a cookie file may hold: 64 hex characters, a line end, some whitespace. */
const COOKIE_FILE_MAX = 128

/**
 * The cookie in `file` (64 hex characters, surrounding whitespace
 * ignored). The file is checked before anything is read from it: it must be
 * a regular file (not a device, FIFO or directory: `/dev/zero` would never
 * end), of at most 128 bytes, that group and others cannot read, as Erlang
 * refuses a readable .erlang.cookie (whoever has the cookie can run code on
 * every node). It is opened once, without blocking, and the checks are made
 * on what was opened, so it cannot be swapped between check and read.
 */
export function readCookie(file: Values[string]): Uint8Array {
  const path = typeof file === 'string' ? file : process.env.BFLY_COOKIE_FILE
  if (path === undefined || path === '')
    throw new UsageError('no cookie: pass --cookie-file FILE (make one with `bfly cookie --out FILE`)')
  const failed = (e: unknown) =>
    new UsageError(`cannot read the cookie file ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`)
  let fd: number
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY)
  } catch (e) {
    throw failed(e)
  }
  try {
    const st = fstatSync(fd)
    if (!st.isFile()) throw new UsageError(`the cookie file ${path} is not a regular file`)
    // Windows keeps access in ACLs, not in these bits (which read 0o666 there).
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0)
      throw new UsageError(
        `the cookie file ${path} is readable by others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 ${path}`,
      )
    if (st.size > COOKIE_FILE_MAX)
      throw new UsageError(`the cookie file ${path} is ${st.size} bytes; it must hold 64 hex characters`)
    const buf = Buffer.alloc(COOKIE_FILE_MAX + 1)
    let n = 0
    try {
      for (let r = 1; r > 0 && n < buf.length; n += r) r = readSync(fd, buf, n, buf.length - n, null)
    } catch (e) {
      throw failed(e)
    }
    // The one parser of the cookie's text form (src/nodes/cookie.ts), as startNode reads it.
    const cookie = n > COOKIE_FILE_MAX ? undefined : cookieFromText(buf.toString('utf8', 0, n))
    if (cookie === undefined)
      throw new UsageError(`the cookie file ${path} must hold 64 hex characters (a 32-byte cookie)`)
    return cookie
  } finally {
    closeSync(fd)
  }
}

/** MSG on the command line: JSON, or else the text itself as a string.
 * Text that starts like a JSON object, array or string must be valid JSON:
 * a typo there is an error, not a string sent in its place. */
export function message(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (e) {
    if (/^\s*[[{"]/.test(text))
      throw new UsageError(
        `MSG starts like JSON but is not valid JSON (${(e as Error).message}); fix it, or send text that does not start with { [ or "`,
      )
    return text
  }
}
