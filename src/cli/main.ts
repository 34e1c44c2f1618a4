// The `bfly` command (bin/bfly.mjs runs this under tsx): picks the
// subcommand, prints its help, and turns every failure into one line on
// stderr and a non-zero exit (2 for usage, 1 otherwise); --verbose adds the
// stack. A command's code is imported only when it runs.
import { type Command, helpText, parse, UsageError, type Values } from './args.js'
import {
  buildNativeCommand,
  callCommand,
  cookieCommand,
  killCommand,
  nodeCommand,
  observerCommand,
  psCommand,
  sendCommand,
  shellCommand,
} from './commands.js'
import type { Session } from './remotecmds.js'

type Remote = (s: Session, values: Values, positionals: string[]) => Promise<number>

const REMOTES = new Map<Command, () => Promise<Remote>>([
  [psCommand, async () => (await import('./remotecmds.js')).ps],
  [callCommand, async () => (await import('./remotecmds.js')).callCmd],
  [sendCommand, async () => (await import('./remotecmds.js')).sendCmd],
  [killCommand, async () => (await import('./remotecmds.js')).killCmd],
  [shellCommand, async () => (await import('./shell.js')).shell],
  [observerCommand, async () => (await import('./observercmd.js')).observer],
])

const ALL: Command[] = [cookieCommand, nodeCommand, ...REMOTES.keys(), buildNativeCommand]

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
  const { values, positionals } = parse(command, rest)
  if (values.help) {
    process.stdout.write(helpText(command))
    return 0
  }
  if (command === cookieCommand) return (await import('./cookie.js')).cookie(values)
  if (command === nodeCommand) return (await import('./nodecmd.js')).runNode(values)
  if (command === buildNativeCommand) return (await import('./buildnative.js')).buildNative(values)
  const remote = await (REMOTES.get(command) as () => Promise<Remote>)()
  const { connect } = await import('./remotecmds.js')
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
