// The `bfly` command (bin/bfly.mjs runs this under tsx): picks the
// subcommand, prints its help, and turns every failure into one line on
// stderr and a non-zero exit (2 for usage, 1 otherwise); --verbose adds the stack.
import { type Command, helpText, parse, UsageError, type Values } from './args.js'
import { cookie, cookieCommand } from './cookie.js'
import { nodeCommand, runNode } from './nodecmd.js'
import {
  callCmd,
  callCommand,
  connect,
  killCmd,
  killCommand,
  ps,
  psCommand,
  type Session,
  sendCmd,
  sendCommand,
} from './remotecmds.js'
import { shell, shellCommand } from './shell.js'

type Remote = (s: Session, values: Values, positionals: string[]) => Promise<number>

const REMOTES: [Command, Remote][] = [
  [psCommand, ps],
  [callCommand, callCmd],
  [sendCommand, sendCmd],
  [killCommand, killCmd],
  [shellCommand, shell],
]

const ALL: Command[] = [cookieCommand, nodeCommand, ...REMOTES.map(([c]) => c)]

const USAGE = `Usage: bfly COMMAND [OPTIONS]   (bfly COMMAND --help for each)

Commands:
${ALL.map((c) => `  ${c.name.padEnd(8)} ${c.summary.split('\n')[0]}`).join('\n')}
`

async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE)
    return name === undefined ? 2 : 0
  }
  const command = ALL.find((c) => c.name === name)
  if (command === undefined) throw new UsageError(`unknown command '${name}' (see bfly --help)`)
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(helpText(command))
    return 0
  }
  if (command === cookieCommand) return cookie(rest)
  if (command === nodeCommand) return runNode(rest)
  const remote = REMOTES.find(([c]) => c === command)?.[1] as Remote
  const { values, positionals } = parse(command, rest)
  const session = await connect(values, positionals[0])
  try {
    return await remote(session, values, positionals)
  } finally {
    session.node.stop()
  }
}

const argv = process.argv.slice(2)
const verbose = argv.includes('--verbose') || argv.includes('-v')
let code: number
try {
  code = await run(argv)
} catch (e) {
  const name = argv[0] !== undefined && ALL.some((c) => c.name === argv[0]) ? `bfly ${argv[0]}` : 'bfly'
  const text = e instanceof Error ? e.message : String(e)
  process.stderr.write(`${name}: ${verbose && e instanceof Error ? e.stack : text.split('\n')[0]}\n`)
  code = e instanceof UsageError ? 2 : 1
}
// Nothing the command started (the node, the log file, a services module's
// timers) is left to decide when the process ends.
process.exit(code)
