// `bfly node`: this OS process as a long-running node with the system
// services, NODE-INFO (for `bfly ps`), OBSERVER (for `bfly observer`),
// SHELL (for `bfly shell`) and the user's own services, until SIGINT or
// SIGTERM.
import { importModule } from '../kernel/spawn.js'
import { type Node, startNode } from '../nodes/node.js'
import { startObserverService } from '../observer/index.js'
import { startNodeInfo } from '../otp/services/nodeinfo.js'
import { startShell } from '../otp/services/shellservice.js'
import { configureLog, flushLog, log } from '../otp/services/syslog.js'
import { readCookie, UsageError, type Values } from './args.js'

/** Imports `module` and runs its `start(node)` (or default export). */
async function startServices(module: string, node: Node): Promise<void> {
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

/** Runs the node; resolves with the exit code once it has been stopped by a signal. */
export async function runNode(values: Values): Promise<number> {
  const name = values.name
  const listen = values.listen
  if (typeof name !== 'string' || name === '') throw new UsageError('--name NAME is required')
  if (typeof listen !== 'string') throw new UsageError('--listen HOST:PORT is required')
  const cookie = readCookie(values['cookie-file'])
  if (typeof values['log-dir'] === 'string') configureLog({ dir: values['log-dir'] })
  let node: Node
  try {
    node = await startNode({ name, listen, cookie })
  } catch (e) {
    throw new UsageError(`cannot start node ${name} on ${listen}: ${(e as Error).message}`)
  }
  startNodeInfo(node)
  startObserverService(node)
  if (!values['no-shell']) startShell(node)
  if (typeof values.services === 'string') await startServices(values.services, node)
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })
  log('info', `node ${name} listening on ${node.address}`)
  process.stdout.write(`bfly node ${name} listening on ${node.address}\n`)
  const signal = await stopped
  log('info', `node ${name} stopping on ${signal}`)
  await flushLog()
  node.stop()
  await flushLog()
  return 0
}
