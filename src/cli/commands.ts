// Every `bfly` subcommand's options and help text, apart from the code
// that runs it, so `--help` and a usage error load nothing heavy (the
// addon, the services, tsx-compiled modules of the commands).
import { type Command, REMOTE, REMOTE_DETAILS } from './args.js'

const json = { json: { type: 'boolean' } } as const

export const cookieCommand: Command = {
  name: 'cookie',
  usage: 'bfly cookie [--out FILE [--force]]',
  summary: 'Makes a new cluster cookie: 32 random bytes as 64 hex characters.',
  details: `  --out FILE           write it to FILE (mode 0600) instead of printing it
  --force              replace FILE if it exists`,
  options: { out: { type: 'string', short: 'o' }, force: { type: 'boolean', short: 'f' } },
  positionals: [0, 0],
}

export const buildNativeCommand: Command = {
  name: 'build-native',
  usage: 'bfly build-native [--if-needed]',
  summary:
    'Builds the native addon from source with cargo, for a platform with no prebuilt package.\n' +
    "It builds in a temporary folder, shows cargo's progress, and leaves only bindings/bfly.<platform>.node.",
  details: `  --if-needed          do nothing when an addon already loads (what bfly's install script runs)`,
  options: { 'if-needed': { type: 'boolean' } },
  positionals: [0, 0],
}

export const nodeCommand: Command = {
  name: 'node',
  usage:
    'bfly node --name NAME --listen HOST:PORT --cookie-file FILE [--seed HOST:PORT]... [--discover DNSNAME] [--services MODULE] [--allow CAPS] [--modules PATH]... [--no-shell | --locked]',
  summary:
    'Runs a node until SIGINT or SIGTERM.\n' +
    'It starts the system services (SYSTEM-LOG, EXIT-MONITOR, KEEP-ALIVE), NODE-INFO, OBSERVER and SHELL.\n' +
    'Prints where it listens; on a signal it stops cleanly: links closed, log flushed, exit code 0.\n' +
    'Whoever holds the cookie may call its services; what else peers may do is --allow, --modules, --no-shell, --locked.',
  details: `  --name NAME          the node's name, e.g. a@127.0.0.1
  --listen HOST:PORT   where it accepts encrypted links (port 0 picks a free one)
  --cookie-file FILE   the cluster cookie (default $BFLY_COOKIE_FILE)
  --services MODULE    an ES module to import; its export start(node) (or default) is called and awaited
  --log-dir DIR        where SYSTEM-LOG writes (default $BFLY_LOG_DIR, else ./log)
  --allow CAPS         what peers may ask, comma-separated from spawn, exit, link, code, or none
                       (default: all four); code (loadCode) runs any source a peer sends
  --modules PATH       a module, file or folder (PATH ending in /) a peer's spawn may run; repeat for more
                       (default: none, so spawn from peers is refused)
  --no-shell           do not start SHELL, the service bfly shell talks to (it runs any cookie holder's
                       code); spawn and loadCode are what --allow says
  --locked             run no one else's code: no SHELL, and spawn and code refused whatever --allow says
  --seed HOST:PORT     a node of the cluster to join (its name comes from it); repeat for more, tried every 5 s
  --discover DNSNAME   find the cluster's nodes in DNS: SRV records, else A/AAAA records at this node's port`,
  options: {
    name: { type: 'string', short: 'n' },
    listen: { type: 'string', short: 'l' },
    'cookie-file': { type: 'string' },
    services: { type: 'string' },
    'log-dir': { type: 'string' },
    allow: { type: 'string' },
    modules: { type: 'string', multiple: true },
    'no-shell': { type: 'boolean' },
    locked: { type: 'boolean' },
    seed: { type: 'string', multiple: true },
    discover: { type: 'string' },
  },
  positionals: [0, 0],
}

export const psCommand: Command = {
  name: 'ps',
  usage: 'bfly ps NODE [--all] [--addr HOST:PORT] [--cookie-file FILE] [--json]',
  summary:
    "Lists a running node's processes (registered ones; --all for every one of its main thread), its names and connected nodes.\n" +
    'Per process: kind, status (waiting in receive or running), mailbox depth, messages handled, approximate memory in bytes, links, monitors.',
  details: `${REMOTE_DETAILS}\n  --all                list unnamed processes too\n  --json               print NODE-INFO's answer as JSON`,
  options: { ...REMOTE, ...json, all: { type: 'boolean', short: 'a' } },
  positionals: [1, 1],
}

export const callCommand: Command = {
  name: 'call',
  usage: 'bfly call NODE SERVICE MSG [--addr HOST:PORT] [--cookie-file FILE] [--json]',
  summary:
    'Calls service SERVICE of NODE with MSG (JSON, or else plain text) and prints the answer.\nAn Error answer is printed as the error, with exit code 1.',
  details: `${REMOTE_DETAILS}\n  --json               print the answer as JSON (default: util.inspect)`,
  options: { ...REMOTE, ...json },
  positionals: [3, 3],
}

export const sendCommand: Command = {
  name: 'send',
  usage: 'bfly send NODE SERVICE MSG [--addr HOST:PORT] [--cookie-file FILE]',
  summary:
    'Sends MSG (JSON, or else plain text) to service SERVICE of NODE.\n' +
    'Returns once the message has reached the node; fails when SERVICE is not registered there.',
  details: REMOTE_DETAILS,
  options: REMOTE,
  positionals: [3, 3],
}

export const killCommand: Command = {
  name: 'kill',
  usage: 'bfly kill NODE PID [--reason REASON] [--addr HOST:PORT] [--cookie-file FILE]',
  summary:
    'Sends process PID of NODE an exit signal and waits for it to die.\n' +
    "The default reason 'kill' ends even a process that traps exits. Exit code 1 when no such process is alive.",
  details: `${REMOTE_DETAILS}\n  PID                  <node.id> as ps prints it, or the id alone\n  --reason REASON      the exit reason (JSON or text; default kill)`,
  options: { ...REMOTE, reason: { type: 'string' } },
  positionals: [2, 2],
}

export const shellCommand: Command = {
  name: 'shell',
  usage: 'bfly shell NODE [--addr HOST:PORT] [--cookie-file FILE]',
  summary:
    'An interactive shell evaluating in NODE.\n' +
    'Input runs in its SHELL service with the bfly API and `node` in scope.\n' +
    'Top-level await works. History in ~/.bfly_history (or $BFLY_HISTORY); Tab completes API names.\n' +
    'Each line runs in a process of its own on the node, in order; Ctrl-C stops the running line.\n' +
    'With piped input the exit code is 1 when a line failed (threw, timed out or was interrupted).',
  details: REMOTE_DETAILS.replace(
    '--timeout MS         how long to wait for the node (default 5000)',
    "--timeout MS         each line's deadline (default 60000): the node stops a line still running then",
  ),
  options: REMOTE,
  positionals: [1, 1],
}

export const observerCommand: Command = {
  name: 'observer',
  usage: 'bfly observer NODE [--port PORT] [--addr HOST:PORT] [--cookie-file FILE]',
  summary:
    'Serves a live page of NODE: processes, supervision tree, links and monitors, nodes, message rates, exits.\n' +
    "It reads NODE's OBSERVER service (started by bfly node) over the encrypted link and serves on 127.0.0.1 only.\n" +
    'Open the URL it prints: it carries the token every request needs. Runs until SIGINT or SIGTERM.',
  details: `${REMOTE_DETAILS}\n  --port PORT          the local port to serve on (default 0: any free one)`,
  options: { ...REMOTE, port: { type: 'string', short: 'p' } },
  positionals: [1, 1],
}
