// bfly: Butterfly for Node.js. The public surface (see docs/API.md), and the
// one place the runtime is assembled and started (the end of this file):
// the kernel routes what is not for this thread through the threads and
// nodes layers, startNode starts the observer (loaded only then), and the
// main thread starts the system services. No module under src/ does
// anything native when imported; a thread registers with the native side
// on first use (src/kernel/thread.ts), here through the services' spawns.

import { setObserverStart } from './src/nodes/node.js'
import { installNodes } from './src/nodes/route.js'
import { ensureServices } from './src/otp/services/index.js'
import { installThreads } from './src/threads/route.js'

export { decode, encode } from './src/kernel/codec.js'
export { crashReports } from './src/kernel/crash.js'
export {
  MailboxFullError,
  MatchError,
  NameTakenError,
  NoProcError,
  NoSuchServiceError,
  NotPortableError,
  ProcessExit,
  RefusedError,
  StmError,
  TimeoutError,
} from './src/kernel/errors.js'
export {
  type ProcessInfo,
  type ProcessInfoJson,
  type ProcessKind,
  type ProcessStatus,
  processes,
  processInfo,
} from './src/kernel/introspect.js'
export { call, exit, type From, reply, send } from './src/kernel/messaging.js'
export { registered, registerService, unregisterService, whereis } from './src/kernel/names.js'
export { Process, type ProcessFn } from './src/kernel/process.js'
export { processCount, spawn } from './src/kernel/spawn.js'
export type { SpawnOptions, SpawnSpec } from './src/kernel/spec.js'
export { type Dest, Pid, Ref, RemoteService, TIMEOUT, type Timeout } from './src/kernel/values.js'
export { PatternError } from './src/match/ir.js'
export { type Clause, isMatching, type Matcher, type MatchOptions, match, matchWith } from './src/match/matcher.js'
export { type HandlerArg, type Matched, P, Pattern, type Selected } from './src/match/patterns.js'
export type { DiscoverOptions, Discovery, DiscoveryStatus } from './src/nodes/discover.js'
export { type IdentityKeys, identityPublicKey, newIdentity } from './src/nodes/identity.js'
export {
  type Capability,
  Node,
  type NodeEvent,
  type NodeOptions,
  type PeerInfo,
  registerServer,
  startNode,
} from './src/nodes/node.js'
export type { Observer, ObserverOptions } from './src/nodes/observeroptions.js'
export { type LoadedCode, loadCode, remoteService } from './src/nodes/remote.js'
export type { ExitView, Snapshot, SupervisorView } from './src/observer/snapshot.js'
export { type Clock, RestartWindow } from './src/otp/intensity.js'
export {
  callGroup,
  demonitorGroup,
  type GroupEvent,
  type GroupMonitor,
  join,
  leave,
  localMembers,
  members,
  monitorGroup,
  type PickOptions,
  pickMember,
  type ScopeOption,
  startScope,
  whichGroups,
} from './src/otp/pg.js'
export {
  BadReturnError,
  type CodeSpec,
  cast,
  type HandlerResult,
  makeServer,
  type ServerHandlers,
  type ServerOptions,
  type StateResult,
  stopServer,
  UpgradeError,
  upgrade,
} from './src/otp/server.js'
export { type ExitQuery, type ExitRecord, exitLog, watchExits } from './src/otp/services/exitmonitor.js'
export { ensureServices } from './src/otp/services/index.js'
export { forgetKeepAlive, type KeepAliveOptions, keepAlive, keepAliveStatus } from './src/otp/services/keepalive.js'
export {
  configureLog,
  flushLog,
  type Level,
  type LogConfig,
  log,
  logFile,
  logPrint,
} from './src/otp/services/syslog.js'
export {
  type ChildInfo,
  type ChildSpec,
  type RestartType,
  StartError,
  type Strategy,
  type SupervisorSpec,
  supervisor,
  whichChildren,
} from './src/otp/supervisor.js'
export { type LockOptions, withLocks } from './src/stm/locks.js'
export { atomically, type Tx } from './src/stm/stm.js'
export { TVar } from './src/stm/tvar.js'
export { configurePool, type PoolOptions, poolInfo, stopPool } from './src/threads/pool.js'

// Start-up, in this order: the routes (before anything can be sent), the
// observer's starter, then the system services (main thread only: SYSTEM-LOG,
// EXIT-MONITOR, KEEP-ALIVE run from the start; docs/DECISIONS.md).
installThreads()
installNodes()
setObserverStart(async (node, opts) => (await import('./src/observer/index.js')).startObserver(node, opts))
ensureServices()
