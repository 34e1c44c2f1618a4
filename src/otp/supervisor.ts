// Supervisors (OTP supervisor, Butterfly's "supervisor intercepts EXIT and
// restarts failing PID"), on the public primitives: a process that traps
// exits, links its children and restarts them by strategy.
import { describe } from '../kernel/errors.js'
import { kindName, kindOf, markKind } from '../kernel/introspect.js'
import { call, exit, type From, reply } from '../kernel/messaging.js'
import { Process } from '../kernel/process.js'
import { type Dest, Pid, TIMEOUT } from '../kernel/values.js'
import { SYS, spawnNamed } from './behaviour.js'
import { type Clock, RestartWindow } from './intensity.js'
import { noteExit } from './services/exitmonitor.js'
import { log } from './services/syslog.js'

/** Which children a child's exit restarts: only it (`one_for_one`), all
 * (`one_for_all`), or it and those started after it (`rest_for_one`). */
export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one'

/** `permanent`: always restarted. `transient`: restarted unless it exits
 * with 'normal' or 'shutdown'. `temporary`: never restarted (and forgotten). */
export type RestartType = 'permanent' | 'transient' | 'temporary'

/** One child of a supervisor: how to start it, when to restart it, how to stop it. Checked by `supervisor`
 * before anything starts (a TypeError names the bad field). */
export interface ChildSpec {
  /** Unique among the supervisor's children. */
  id: string
  /** Starts the child and returns its pid, synchronously (a promise is refused): the first
   * time inside `supervisor()` itself, in start order, and on a restart in the supervisor process.
   * `sup` is the supervisor's Process, which links to the pid (use `sup.spawnLink` or
   * `makeServer(h, { link: sup })` to link in the same step). A name registered here is the
   * child's stable identity: it is registered when `supervisor()` returns, and the restarted
   * child registers it again. */
  start: (sup: Process) => Pid
  /** Default 'permanent'. */
  restart?: RestartType
  /** How long the child gets to end after exit(child, 'shutdown') before it
   * is killed, in ms (default 5000); 'brutal_kill' kills at once. */
  shutdown?: number | 'brutal_kill'
}

/** A supervisor's strategy, restart intensity and children (see `supervisor` for what happens on each exit).
 * Checked before anything starts: a bad field is a TypeError. */
export interface SupervisorSpec {
  /** Default 'one_for_one'. */
  strategy?: Strategy
  /** Restarts allowed within `period` ms (default 1): one more stops the supervisor. */
  intensity?: number
  /** Default 5000 ms. */
  period?: number
  /** Started in order; stopped in reverse order. */
  children: ChildSpec[]
  /** Registers the supervisor under this name. */
  name?: string
  /** The spawning process: the supervisor is linked to it in one step. */
  link?: Process
  /** The clock of the intensity window (tests pass a fake one). */
  now?: Clock
}

/** One row of `whichChildren`. */
export interface ChildInfo {
  /** The child's `ChildSpec.id`. */
  id: string
  /** null when the child is not running (a transient child that ended normally). */
  pid: Pid | null
  /** Its restart type (the spec's, 'permanent' by default). */
  restart: RestartType
}

interface Child {
  spec: ChildSpec
  restart: RestartType
  pid: Pid | null
}

const STRATEGIES: readonly Strategy[] = ['one_for_one', 'one_for_all', 'rest_for_one']
const RESTARTS: readonly RestartType[] = ['permanent', 'transient', 'temporary']

function checkSpec(spec: SupervisorSpec): Child[] {
  if (spec === null || typeof spec !== 'object') throw new TypeError('supervisor: expected { strategy, children, ... }')
  const { strategy = 'one_for_one', children, link } = spec
  if (!STRATEGIES.includes(strategy))
    throw new TypeError(`supervisor: strategy must be one of ${STRATEGIES.join(', ')}, got ${describe(strategy)}`)
  if (!Array.isArray(children)) throw new TypeError('supervisor: children must be an array of { id, start, restart }')
  if (link !== undefined && !(link instanceof Process))
    throw new TypeError('supervisor: link must be the spawning Process (the p a process body receives)')
  const ids = new Set<string>()
  return children.map((c, i) => {
    const where = `supervisor: children[${i}]`
    if (c === null || typeof c !== 'object') throw new TypeError(`${where} must be { id, start, restart }`)
    if (typeof c.id !== 'string' || c.id === '') throw new TypeError(`${where}.id must be a non-empty string`)
    if (ids.has(c.id)) throw new TypeError(`${where}.id '${c.id}' is used twice`)
    ids.add(c.id)
    if (typeof c.start !== 'function') throw new TypeError(`${where}.start must be a function (sup) => Pid`)
    const restart = c.restart ?? 'permanent'
    if (!RESTARTS.includes(restart))
      throw new TypeError(`${where}.restart must be one of ${RESTARTS.join(', ')}, got ${describe(restart)}`)
    const sd = c.shutdown
    if (sd !== undefined && sd !== 'brutal_kill' && !(typeof sd === 'number' && sd >= 0))
      throw new TypeError(`${where}.shutdown must be a number of ms >= 0 or 'brutal_kill'`)
    return { spec: c, restart, pid: null }
  })
}

/** Whether a child that exited with `reason` is restarted. */
function restarts(type: RestartType, reason: unknown): boolean {
  if (type === 'permanent') return true
  if (type === 'temporary') return false
  return reason !== 'normal' && reason !== 'shutdown'
}

const isExitOf =
  (pid: Pid) =>
  (m: unknown): boolean =>
    Array.isArray(m) && m[0] === 'EXIT' && pid.equals(m[1])

/** A child's `start` threw (or returned no Pid): `supervisor()` throws this,
 * or `keepAlive` rejects with it, after stopping what was started. */
export class StartError extends Error {
  /** Always `'StartError'`. */
  override name = 'StartError'
  /**
   * @param child The child's id (supervisor) or the service's name (keepAlive).
   * @param what What it is, for the message: `'supervisor: child'` or `'keepAlive: service'`.
   * @param cause What its start threw.
   */
  constructor(
    readonly child: string,
    what: string,
    cause: unknown,
  ) {
    super(`${what} '${child}' failed to start: ${describe(cause)}`, { cause })
  }
}

/** The supervisor's state and its operations, run inside its process. */
class Sup {
  constructor(
    readonly p: Process,
    readonly kids: Child[],
    readonly strategy: Strategy,
    readonly window: RestartWindow,
  ) {}

  /** Runs the child's start (synchronously: it must return the Pid) and links it. */
  startChild(k: Child): void {
    const pid: unknown = k.spec.start(this.p)
    if (pid !== null && typeof pid === 'object' && typeof (pid as PromiseLike<Pid>).then === 'function')
      throw new TypeError(
        `start() returned a promise; it must return the child's Pid at once (spawn a process for the asynchronous part)`,
      )
    if (!(pid instanceof Pid)) throw new TypeError(`start() returned ${describe(pid)}, not a Pid`)
    this.p.link(pid)
    k.pid = pid
  }

  /** Stops the children started so far at once, last started first: their
   * bodies have not run yet, so 'shutdown' ends them (one that already
   * traps exits, or lives elsewhere, is killed as well). */
  abandon(): void {
    for (let i = this.kids.length - 1; i >= 0; i--) {
      const pid = this.kids[i].pid
      if (pid === null) continue
      this.kids[i].pid = null
      this.p.exit(pid, 'shutdown')
      if (Pid.proc(pid) !== undefined || !Pid.isLocal(pid)) this.p.exit(pid, 'kill')
    }
  }

  /** exit(child, 'shutdown'), then 'kill' after its shutdown time; waits for its EXIT. */
  async stopChild(k: Child): Promise<void> {
    const pid = k.pid
    if (pid === null) return
    k.pid = null
    const sd = k.spec.shutdown ?? 5000
    this.p.exit(pid, sd === 'brutal_kill' ? 'kill' : 'shutdown')
    let m = await this.p.receive(isExitOf(pid), sd === 'brutal_kill' ? undefined : { timeout: sd })
    if (m === TIMEOUT) {
      this.p.exit(pid, 'kill')
      m = await this.p.receive(isExitOf(pid))
    }
    noteExit(pid, (m as unknown[])[2], { supervisor: this.p.self, child: k.spec.id })
  }

  /** Stops every running child, last started first. */
  async stopAll(from = 0): Promise<void> {
    for (let i = this.kids.length - 1; i >= from; i--) await this.stopChild(this.kids[i])
  }

  /** Restarts after kids[i] died, by strategy; retries failed starts while
   * the intensity allows. False when the intensity is exceeded. */
  async restart(i: number): Promise<boolean> {
    const group: Child[] = []
    if (this.strategy === 'one_for_one') group.push(this.kids[i])
    else {
      const from = this.strategy === 'one_for_all' ? 0 : i
      const kid = this.kids[i]
      // Running siblings come back, except temporary ones, which are stopped and forgotten (as in OTP).
      for (let j = from; j < this.kids.length; j++) {
        const k = this.kids[j]
        if (j === i || (k.pid !== null && k.restart !== 'temporary')) group.push(k)
      }
      for (let j = this.kids.length - 1; j >= from; j--) if (j !== i) await this.stopChild(this.kids[j])
      for (let j = this.kids.length - 1; j >= from; j--)
        if (this.kids[j] !== kid && this.kids[j].restart === 'temporary') this.kids.splice(j, 1)
    }
    for (const k of group) {
      for (;;) {
        try {
          this.startChild(k)
          break
        } catch (e) {
          log('error', `supervisor ${this.p.self}: child '${k.spec.id}' failed to restart`, e)
          if (!this.window.allow()) return false
        }
      }
    }
    return true
  }

  /** A child exited: record it, then restart by type and strategy. */
  async childExit(i: number, reason: unknown): Promise<boolean> {
    const k = this.kids[i]
    const pid = k.pid as Pid
    k.pid = null
    noteExit(pid, reason, { supervisor: this.p.self, child: k.spec.id })
    if (!restarts(k.restart, reason)) {
      if (k.restart === 'temporary') this.kids.splice(i, 1)
      return true
    }
    if (!this.window.allow()) return false
    return this.restart(i)
  }

  info(): ChildInfo[] {
    return this.kids.map((k) => ({ id: k.spec.id, pid: k.pid, restart: k.restart }))
  }
}

/** The supervisor process body; `sup` is its state, made and filled with
 * the started children by `supervisor()` before the body runs. */
function supervise(sup: { s: Sup | null }): (p: Process) => Promise<void> {
  return async (p) => {
    const s = sup.s as Sup
    const { kids, window } = s
    for (;;) {
      const m = await p.receive()
      if (!Array.isArray(m)) continue
      if (m[0] === 'EXIT') {
        const [, from, reason] = m as [string, Pid, unknown]
        const i = kids.findIndex((k) => k.pid?.equals(from))
        if (i >= 0) {
          if (!(await s.childExit(i, reason))) {
            log(
              'error',
              `supervisor ${p.self}: more than ${window.max} restarts in ${window.withinMs} ms; shutting down`,
            )
            await s.stopAll()
            throw 'shutdown'
          }
        } else if (reason !== 'normal') {
          // A linked non-child (its parent, or exit(sup, r)) ended: so does the tree.
          await s.stopAll()
          throw reason
        }
      } else if (m[0] === '$call' && m.length === 3) {
        const which = Array.isArray(m[2]) && m[2][0] === SYS && m[2][1] === 'which_children'
        reply(m[1] as From, which ? s.info() : new TypeError(`supervisor ${p.self}: unknown request ${describe(m[2])}`))
      }
    }
  }
}

/**
 * Starts a supervisor (OTP supervisor) and its children, and returns its pid.
 *
 * Start: the supervisor traps exits, and each child's `start(sup)` runs in
 * order inside this call (as OTP's start_link starts every child before it
 * returns), its pid linked; so a name a child registers can be called as
 * soon as `supervisor()` returns. A start that throws, returns a promise or
 * returns no Pid stops the children already started (at once, last first:
 * their bodies have not run yet) and the supervisor, unlinked from
 * `spec.link` first, and `supervisor()` throws a {@link StartError} naming
 * the child, with what its start threw as `cause`. Nothing is left running.
 *
 * A child exits (its EXIT arrives): the exit goes to the EXIT-MONITOR. If
 * its restart type says so (`permanent` always; `transient` unless the
 * reason is 'normal' or 'shutdown'; `temporary` never, and it is dropped
 * from the children), the restart counts against the intensity, then:
 * `one_for_one` starts that child again; `one_for_all` stops every other
 * running child (reverse start order) and starts them all again in order;
 * `rest_for_one` does that for the children started after it (temporary
 * siblings are stopped and forgotten, not restarted). A restart
 * that fails to start counts as another restart and is retried.
 *
 * More than `intensity` restarts within `period` ms: every child is stopped
 * in reverse start order, the reason is logged to SYSTEM-LOG, and the
 * supervisor exits with reason 'shutdown' (so a transient parent entry does
 * not restart it; a permanent one does).
 *
 * An EXIT from a linked process that is not a child (its parent, or
 * `exit(sup, reason)`): reason 'normal' is ignored; any other stops every
 * child in reverse start order and ends the supervisor with that reason.
 * Stopping a child is `exit(child, 'shutdown')`, then `exit(child, 'kill')`
 * after its `shutdown` ms (default 5000; 'brutal_kill' kills at once);
 * the supervisor waits for each child's EXIT before the next.
 *
 * A call `whichChildren(sup)` is answered with the children in start order;
 * any other call with a TypeError value; other messages are ignored.
 * Nest trees by starting a child with `(sup) => supervisor({ ..., link: sup })`.
 * A child that registers a name (e.g. `makeServer(h, { link: sup, name })`)
 * is reachable by that name again as soon as the supervisor has handled
 * its exit: the restart registers the name anew.
 *
 * @throws a TypeError for a bad spec (strategy, child ids, start, restart, shutdown, name, link), a RangeError
 * for a bad `intensity` or `period`, {@link NameTakenError} when `spec.name` is taken, and {@link StartError}
 * when a child's start fails; nothing is left running then. A restart that fails later is logged and
 * counted against the intensity instead.
 * @example
 * ```ts
 * const sup = supervisor({
 *   strategy: 'one_for_one',
 *   intensity: 3, // at most 3 restarts in any 5 s, or the tree shuts down
 *   period: 5000,
 *   children: [{ id: 'worker', start: (sup) => makeServer(counter, { link: sup, name: 'WORKER', args: 0 }) }],
 * })
 * await call('WORKER', 1) // the child is running (and registered) as soon as supervisor() returns
 * await whichChildren(sup) // [{ id: 'worker', pid: Pid<...>, restart: 'permanent' }]
 * ```
 */
export function supervisor(spec: SupervisorSpec): Pid {
  const kids = checkSpec(spec)
  const window = new RestartWindow(spec.intensity ?? 1, spec.period ?? 5000, spec.now)
  if (spec.name !== undefined && (typeof spec.name !== 'string' || spec.name === ''))
    throw new TypeError('supervisor: name must be a non-empty string')
  const state: { s: Sup | null } = { s: null }
  const pid = markKind(spawnNamed(supervise(state), spec.name, spec.link), 'supervisor')
  const p = Pid.proc(pid) as Process
  p.trapExit(true)
  const s = new Sup(p, kids, spec.strategy ?? 'one_for_one', window)
  state.s = s
  for (const k of kids) {
    try {
      s.startChild(k)
    } catch (e) {
      s.abandon()
      // Nothing is left: the parent is not told (it gets the error instead).
      spec.link?.unlink(pid)
      exit(pid, 'kill')
      throw new StartError(k.spec.id, 'supervisor: child', e)
    }
  }
  return pid
}

/** The supervisor's children in start order, with their current pids.
 * @throws (rejects) a TypeError naming what `sup` is when it is not a supervisor (a server, a plain process,
 * or anything that answers something else), and as `call`: {@link TimeoutError}, {@link NoProcError},
 * {@link NoSuchServiceError}. */
export function whichChildren(sup: Dest, opts?: { timeout?: number }): Promise<ChildInfo[]> {
  const kind = kindOf(sup)
  if (kind !== undefined && kind !== 'supervisor')
    return Promise.reject(new TypeError(`whichChildren: ${String(sup)} is ${kindName(kind)}, not a supervisor`))
  return call<unknown>(sup, [SYS, 'which_children'], opts).then((r) => {
    if (Array.isArray(r) && r.every(isChildInfo)) return r
    const what =
      Array.isArray(r) && r[0] === SYS && r[1] === 'error'
        ? kindName('server')
        : `a process that answered ${describe(r)}`
    throw new TypeError(`whichChildren: ${String(sup)} is ${what}, not a supervisor`)
  })
}

function isChildInfo(c: unknown): c is ChildInfo {
  return c !== null && typeof c === 'object' && typeof (c as ChildInfo).id === 'string' && 'restart' in c
}
