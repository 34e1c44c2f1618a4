// bfly: Butterfly for Node.js. The public surface (see API.md).
export { decode, encode } from './src/codec.js'
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
} from './src/errors.js'
export { type IdentityKeys, identityPublicKey, newIdentity } from './src/identity.js'
export { type Clock, RestartWindow } from './src/intensity.js'
export {
  type ProcessInfo,
  type ProcessInfoJson,
  type ProcessKind,
  type ProcessStatus,
  processes,
  processInfo,
} from './src/introspect.js'
export { type LockOptions, withLocks } from './src/locks.js'
export { PatternError } from './src/match/ir.js'
export { type Clause, isMatching, type Matcher, type MatchOptions, match, matchWith } from './src/match/matcher.js'
export { type HandlerArg, type Matched, P, Pattern, type Selected } from './src/match/patterns.js'
export { call, exit, type From, reply, send } from './src/messaging.js'
export { registered, registerService, unregisterService, whereis } from './src/names.js'
export {
  type Capability,
  Node,
  type NodeEvent,
  type NodeOptions,
  type PeerInfo,
  registerServer,
  startNode,
} from './src/node.js'
export type { Observer, ObserverOptions } from './src/observer/options.js'
export type { ExitView, Snapshot, SupervisorView } from './src/observer/snapshot.js'
export { configurePool, type PoolOptions, poolInfo, stopPool } from './src/pool.js'
export { Process } from './src/process.js'
export { type LoadedCode, loadCode, RemoteService, remoteService } from './src/remote.js'
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
} from './src/server.js'
export { type ExitQuery, type ExitRecord, exitLog, watchExits } from './src/services/exitmonitor.js'
export { ensureServices } from './src/services/index.js'
export { forgetKeepAlive, type KeepAliveOptions, keepAlive, keepAliveStatus } from './src/services/keepalive.js'
export { configureLog, flushLog, type Level, type LogConfig, log, logFile, logPrint } from './src/services/syslog.js'
export { type ProcessFn, processCount, type SpawnOptions, type SpawnSpec, spawn } from './src/spawn.js'
export { atomically, type Tx } from './src/stm.js'
export {
  type ChildInfo,
  type ChildSpec,
  type RestartType,
  type Strategy,
  type SupervisorSpec,
  supervisor,
  whichChildren,
} from './src/supervisor.js'
export { TVar } from './src/tvar.js'
export { type Dest, Pid, Ref, TIMEOUT, type Timeout } from './src/values.js'
