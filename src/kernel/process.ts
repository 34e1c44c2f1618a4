// The Process handle a body receives, and a process's start: spawning on
// this thread (or, through the routes, on a pool thread or another node),
// running its body, and its end (signals.ts takes it from there).
import {
  native,
  procDemonitor,
  procLink,
  procMonitor,
  procSpawnLink,
  procSpawnNamed,
  procUnlink,
} from '../native/index.js'
import { NameTakenError, NoProcError, ProcessExit } from './errors.js'
import { callFrom, send } from './messaging.js'
import { whereis } from './names.js'
import { Receiver } from './receiver.js'
import { nodes, threads } from './route.js'
import { signals } from './signals.js'
import { importModule, type SpawnOptions, type SpawnSpec, specOf } from './spec.js'
import { addLocal, startThread } from './thread.js'
import { checkPid, type Dest, makeRef, nodeName, Pid, Ref } from './values.js'

/** A process body. It ends with reason 'normal' when it returns. */
export type ProcessFn = (p: Process) => unknown

/** The handle a process body receives: its pid and its operations. */
export class Process extends Receiver {
  /** Links this process and `pid` both ways. A dead `pid` sends this
   * process an exit signal with reason 'noproc'. Linking to self does nothing. */
  link(pid: Pid): void {
    this._alive()
    checkPid(pid, 'link')
    if (pid.id === this.self.id && pid.node === this.self.node) return
    const remote = !Pid.isLocal(pid)
    if (remote ? !nodes.link(this, pid) : !procLink(this.self.id, pid.id)) {
      signals.exitSignal(this, pid, remote ? 'noconnection' : 'noproc', false)
      this._alive()
    }
  }

  /** Removes the link with `pid`, if any. */
  unlink(pid: Pid): void {
    this._alive()
    checkPid(pid, 'unlink')
    if (!Pid.isLocal(pid)) nodes.unlink(this, pid)
    else procUnlink(this.self.id, pid.id)
  }

  /** Spawns `fn` as a new process linked to this one, in one step. With
   * `opts.node` or `opts.thread: 'pool'`, spawns the spec there; the link
   * exists before the pid arrives and before the body runs. */
  spawnLink(fn: ProcessFn | SpawnSpec, opts?: { name: string }): Pid
  spawnLink(spec: SpawnSpec, opts: { thread: 'pool' }): Pid
  spawnLink(spec: SpawnSpec, opts: { node: string }): Promise<Pid>
  spawnLink(fn: ProcessFn | SpawnSpec, opts?: SpawnOptions): Pid | Promise<Pid> {
    this._alive()
    return spawnVia(this, fn, opts, 'spawnLink')
  }

  /** Sets whether exit signals arrive as ['EXIT', pid, reason] messages
   * instead of killing this process. Returns the previous setting. */
  trapExit(on: boolean): boolean {
    this._alive()
    const was = this._trap
    this._trap = on === true
    return was
  }

  /** Monitors `pid`: one ['DOWN', ref, pid, reason] when it exits
   * ('noproc' at once if it is already gone). */
  monitor(pid: Pid): Ref {
    this._alive()
    checkPid(pid, 'monitor')
    const remote = !Pid.isLocal(pid)
    const r = remote ? nodes.monitor(this, pid) : procMonitor(this.self.id, pid.id)
    if (r instanceof Ref) return r
    if (r !== undefined && r !== 0) return new Ref(nodeName, r)
    const ref = makeRef()
    this._deliverSignal(['DOWN', ref, pid, remote ? 'noconnection' : 'noproc'])
    return ref
  }

  /** Stops monitor `ref`. With `{ flush: true }` also removes its DOWN
   * message if one is already queued. Returns whether it was still active. */
  demonitor(ref: Ref, opts?: { flush?: boolean }): boolean {
    this._alive()
    if (!(ref instanceof Ref)) throw new TypeError('demonitor(ref): ref must be the Ref that monitor() returned')
    const active = procDemonitor(this.self.id, ref.id)
    if (opts?.flush) this._mb?.dropSignals((m) => Array.isArray(m) && m[0] === 'DOWN' && ref.equals(m[1]))
    return active
  }

  /** `send` from this process; throws ProcessExit once it has exited. */
  send(dest: Dest, msg: unknown): Promise<void> | undefined {
    this._alive()
    return send(dest, msg)
  }

  /** `call` from this process. If the process is killed while waiting,
   * the promise rejects with ProcessExit. */
  call<T = unknown>(dest: Dest, request: unknown, opts?: { timeout?: number }): Promise<T> {
    if (this._dead) return Promise.reject(new ProcessExit(this._reason))
    return callFrom<T>(this, dest, request, opts)
  }

  /** Sends an exit signal to `pid` from this process (see `exit`). */
  exit(pid: Pid, reason: unknown): void {
    this._alive()
    signals.sendExit(this.self, pid, reason)
  }
}

/** The body to run for `fn`; throws a TypeError naming what is wrong. */
export function bodyOf(fn: unknown, what: string): ProcessFn {
  if (typeof fn === 'function') return fn as ProcessFn
  if (fn !== null && typeof fn === 'object') {
    const { module, fn: name, args = [] } = fn as Partial<SpawnSpec>
    if (typeof module !== 'string' || typeof name !== 'string' || !Array.isArray(args))
      throw new TypeError(
        `${what}: expected a function (p: Process) => unknown or a spec { module: string, fn: string, args?: unknown[] }`,
      )
    return async (p) => {
      const mod = await importModule(module)
      const f = mod[name]
      if (typeof f !== 'function') throw new TypeError(`${what}: '${module}' has no exported function '${name}'`)
      return f(p, ...args)
    }
  }
  throw new TypeError(
    `${what}(fn): fn must be a function (p: Process) => unknown or a { module, fn, args } spec, got ${fn === null ? 'null' : typeof fn}`,
  )
}

// Processes spawned in one synchronous stretch start together from one
// microtask (queueMicrotask costs an async resource each in Node).
let starting: Process[] = []
let startingFns: ProcessFn[] = []

function startAll(): void {
  const ps = starting
  const fns = startingFns
  starting = []
  startingFns = []
  for (let i = 0; i < ps.length; i++) run(ps[i], fns[i])
}

/** Creates the Process for a fresh table id of this thread and starts `fn` in a microtask. */
export function start(id: number, fn: ProcessFn): Pid {
  const p = new Process(id)
  addLocal(p)
  if (starting.length === 0) Promise.resolve().then(startAll)
  starting.push(p)
  startingFns.push(fn)
  return p.self
}

function run(p: Process, fn: ProcessFn): void {
  if (p._dead) return
  let r: unknown
  try {
    r = fn(p)
  } catch (e) {
    signals.terminate(p, e)
    return
  }
  if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function') {
    ;(r as PromiseLike<unknown>).then(
      () => signals.terminate(p, 'normal'),
      (e: unknown) => signals.terminate(p, e),
    )
  } else {
    signals.terminate(p, 'normal')
  }
}

/** `spawn` (no `parent`) or `parent.spawnLink` (the link made in the same
 * step as the process). */
export function spawnVia(
  parent: Process | null,
  fn: ProcessFn | SpawnSpec,
  opts: SpawnOptions | undefined,
  what: string,
): Pid | Promise<Pid> {
  if (opts?.name !== undefined && (opts.node !== undefined || opts.thread !== undefined))
    throw new TypeError(`${what}: opts.name applies to a local spawn; register the process where it runs`)
  if (opts?.node !== undefined) {
    try {
      return nodes.spawn(specOf(fn, what), opts.node, parent, parent !== null)
    } catch (e) {
      if (parent !== null) throw e
      return Promise.reject(e)
    }
  }
  if (opts?.thread !== undefined) {
    if (opts.thread !== 'pool')
      throw new TypeError(`${what}: opts.thread must be 'pool', got ${JSON.stringify(opts.thread)}`)
    return threads.spawn(specOf(fn, what, 'a pool thread'), parent, what)
  }
  const body = bodyOf(fn, what)
  // The process is this thread's: register the thread first (once).
  startThread()
  if (opts?.name !== undefined) return spawnRegistered(parent, body, opts.name, what)
  if (parent === null) return start(native.procSpawn(), body)
  return start(procSpawnLink(parent.self.id), body)
}

const { NoProc: NO_PROC, Alias: ALIAS } = native.NameCode

/** Spawns `body` registered as `name` (linked to `parent` when given) in
 * one step of the process table: refused, it creates nothing. */
function spawnRegistered(parent: Process | null, body: ProcessFn, name: string, what: string): Pid {
  if (typeof name !== 'string' || name.length === 0)
    throw new TypeError(`${what}: opts.name must be a non-empty string`)
  const r = procSpawnNamed(parent === null ? 0 : parent.self.id, name)
  if (r > 0) return start(r, body)
  if (r === NO_PROC) throw new NoProcError(`${what}: the spawning process ${parent?.self} is not alive`)
  const holder = r === ALIAS ? 'a remote service' : String(whereis(name) ?? 'another process')
  throw new NameTakenError(`${what}: '${name}' is already registered to ${holder}`)
}
