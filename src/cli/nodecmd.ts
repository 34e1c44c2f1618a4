// `bfly node`: this OS process as a long-running node with the system
// services, NODE-INFO (for `bfly ps`), OBSERVER (for `bfly observer`),
// SHELL (for `bfly shell`) and the user's own services, until SIGINT or
// SIGTERM.
// The package's entry: the public API (SHELL's scope), with the layers wired.
import * as bfly from '../../index.js'
import { importModule } from '../kernel/spec.js'
import { startObserverService } from '../observer/index.js'
import { startNodeInfo } from '../otp/services/nodeinfo.js'
import { startShell } from '../otp/services/shellservice.js'
import { configureLog, flushLog, log } from '../otp/services/syslog.js'
import { readCookie, UsageError, type Values } from './args.js'

/** Imports `module` and runs its `start(node)` (or default export). */
async function startServices(module: string, node: bfly.Node): Promise<void> {
  let mod: Record<string, unknown>
  try {
    mod = await importModule(module)
  } catch (e) {
    throw new Error(`--services ${module}: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
  }
  const start = mod.start ?? mod.default
  if (typeof start !== 'function') throw new UsageError(`--services ${module}: it exports no function start(node)`)
  await start(node)
}

const CAPABILITIES: readonly bfly.Capability[] = ['spawn', 'exit', 'link', 'code']

/** --allow as capabilities: undefined (all) when absent, [] for 'none'. */
function allowOf(v: Values[string]): bfly.Capability[] | undefined {
  if (v === undefined) return undefined
  if (typeof v !== 'string') throw new UsageError('--allow takes a comma-separated list, e.g. --allow exit,link')
  if (v.trim() === '' || v.trim() === 'none') return []
  const caps = v.split(',').map((c) => c.trim())
  for (const c of caps)
    if (!CAPABILITIES.includes(c as bfly.Capability))
      throw new UsageError(`--allow: unknown capability '${c}'; use spawn, exit, link, code or none`)
  return [...new Set(caps as bfly.Capability[])]
}

/** What peers may do, from --allow, --modules, --no-shell and --locked. */
function policyOf(values: Values): { allow: bfly.Capability[] | undefined; modules: string[]; shell: boolean } {
  let allow = allowOf(values.allow)
  const modules = Array.isArray(values.modules) ? values.modules : []
  if (values.locked) {
    const refused = allow?.filter((c) => c === 'spawn' || c === 'code') ?? []
    if (refused.length > 0)
      throw new UsageError(`--locked refuses spawn and code; remove ${refused.join(' and ')} from --allow`)
    if (modules.length > 0) throw new UsageError('--locked refuses spawn from peers; --modules would have no use')
    allow = (allow ?? CAPABILITIES).filter((c) => c !== 'spawn' && c !== 'code')
  }
  return { allow, modules, shell: !values['no-shell'] && !values.locked }
}

/** Runs the node; resolves with the exit code once it has been stopped by a signal. */
export async function runNode(values: Values): Promise<number> {
  const name = values.name
  const listen = values.listen
  if (typeof name !== 'string' || name === '') throw new UsageError('--name NAME is required')
  if (typeof listen !== 'string') throw new UsageError('--listen HOST:PORT is required')
  const { allow, modules, shell } = policyOf(values)
  const cookie = readCookie(values['cookie-file'])
  if (typeof values['log-dir'] === 'string') configureLog({ dir: values['log-dir'] })
  let node: bfly.Node
  try {
    const seeds = values.seed as string[] | undefined
    const discover = typeof values.discover === 'string' ? { dns: values.discover } : undefined
    node = await bfly.startNode({ name, listen, cookie, allow, modules, seeds, discover })
  } catch (e) {
    // A malformed option is a usage error (exit 2); a port in use or denied is not (exit 1).
    const text = `cannot start node ${name} on ${listen}: ${(e as Error).message}`
    throw e instanceof TypeError ? new UsageError(text) : new Error(text)
  }
  startNodeInfo(node)
  startObserverService(node)
  if (shell) startShell(node, bfly)
  if (typeof values.services === 'string') await startServices(values.services, node)
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })
  log(
    'info',
    `node ${name} listening on ${node.address}; peers may ${(allow ?? CAPABILITIES).join(', ') || 'only send and call'}` +
      `${modules.length > 0 ? ` (spawn from ${modules.join(', ')})` : ''}; SHELL ${shell ? 'on' : 'off'}`,
  )
  process.stdout.write(`bfly node ${name} listening on ${node.address}\n`)
  const signal = await stopped
  log('info', `node ${name} stopping on ${signal}`)
  await flushLog()
  node.stop()
  await flushLog()
  return 0
}
