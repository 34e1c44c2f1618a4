// The system services, started with the runtime on the main thread (the
// node's services; worker threads reach them by name): index.ts calls
// `ensureServices()` as part of `import 'bfly'`. Each is a makeServer
// server; one that was stopped or killed is started again when a client
// (log, noteExit, keepAlive...) finds it gone, or by `ensureServices()`.
import { isMainThread } from 'node:worker_threads'
import { whereis } from '../../kernel/names.js'
import { makeServer, type ServerHandlers } from '../server.js'
import { EXIT_MONITOR, exitMonitorHandlers } from './exitmonitor.js'
import { KEEP_ALIVE, keepAliveHandlers } from './keepalive.js'
import { setRevive } from './revive.js'
import { SYSTEM_LOG, systemLogHandlers } from './syslog.js'

const SERVICES = [
  [SYSTEM_LOG, systemLogHandlers],
  [EXIT_MONITOR, exitMonitorHandlers],
  [KEEP_ALIVE, keepAliveHandlers],
] as const

/**
 * Starts whichever of SYSTEM-LOG, EXIT-MONITOR and KEEP-ALIVE is not
 * running (on the main thread only; a no-op on workers). They are
 * processes waiting in receive, so they never keep Node running.
 */
export function ensureServices(): void {
  if (!isMainThread) return
  for (const [name, handlers] of SERVICES)
    if (whereis(name) === undefined) makeServer(handlers as ServerHandlers, { name })
}

setRevive(ensureServices)
