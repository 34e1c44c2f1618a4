// bfly: Butterfly for Node.js. The public surface (see API.md).
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
export { Process } from './src/kernel/process.js'
export { type ProcessFn, processCount, type SpawnOptions, type SpawnSpec, spawn } from './src/kernel/spawn.js'
export { type Dest, Pid, Ref, TIMEOUT, type Timeout } from './src/kernel/values.js'
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
export { type LoadedCode, loadCode, RemoteService, remoteService } from './src/nodes/remote.js'
export type { Observer, ObserverOptions } from './src/observer/options.js'
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
