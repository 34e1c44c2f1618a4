// Spawning: a function body, or a { module, fn, args } spec (the form that
// also travels to other threads and nodes), started in a microtask.
import { isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { native } from '../native/addon.js'
import { spawnRemote } from '../nodes/remote.js'
import { poolSpawn } from '../threads/pool.js'
import { NameTakenError, NoProcError } from './errors.js'
import { whereis } from './names.js'
import { Process } from './process.js'
import { signals } from './signals.js'
import { A, addLocal } from './thread.js'
import type { Pid } from './values.js'

/** A process body. It ends with reason 'normal' when it returns. */
export type ProcessFn = (p: Process) => unknown

/** A process body named by module and export: runs `module[fn](p, ...args)`.
 * A relative `module` path is resolved against the current directory. */
export interface SpawnSpec {
  /** A module specifier, or a path (`./`, `../` or absolute) resolved against the current directory. */
  module: string
  /** The name of the exported function `(p, ...args) => unknown` to run as the body. */
  fn: string
  /** Passed after `p` (default none); to another thread or node they must be portable. */
  args?: unknown[]
}

/** An import specifier for `m`: relative and absolute paths become file URLs. */
export function specifier(m: string): string {
  if (m.startsWith('./') || m.startsWith('../') || isAbsolute(m)) return pathToFileURL(resolve(m)).href
  return m
}

/** Imports the user's module `m` (a specifier or a path, as `specifier`
 * takes it). A TypeScript file in a process with no TypeScript loader
 * fails with an error that says how to run it.
 * @throws what `import()` throws; a TypeError for a `.ts` file with no loader. */
export async function importModule(m: string): Promise<Record<string, unknown>> {
  try {
    return (await import(specifier(m))) as Record<string, unknown>
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_UNKNOWN_FILE_EXTENSION' || !/\.[cm]?ts$/.test(m)) throw e
    throw new TypeError(
      `cannot import ${m}: this Node has no TypeScript loader. Run the program under tsx ` +
        '(`npm install -D tsx`, then `tsx app.ts` or `node --import tsx app.js`; for the bfly command, ' +
        '`NODE_OPTIONS=--import=tsx npx bfly ...`), or give the compiled .js module',
      { cause: e },
    )
  }
}

/** Where `spawn` and `spawnLink` start the process: on this thread by
 * default, on a remote `node`, or on a worker of the `thread: 'pool'`. */
export interface SpawnOptions {
  /** Start the spec on this node (its agent spawns it; needs `startNode` here and the 'spawn' capability there). */
  node?: string
  /** `'pool'`: start the spec on a worker thread of the pool (`configurePool`). */
  thread?: 'pool'
  /** Registers the new process as `name` in the same step as the spawn
   * (and the link, for spawnLink): if the name is taken nothing is
   * created and NameTakenError is thrown. Local spawns only. */
  name?: string
}

/** `fn` as a spec that can travel to another node or thread; throws a
 * TypeError for a function (closures cannot travel). */
export function specOf(fn: unknown, what: string, where = 'another node'): SpawnSpec {
  if (typeof fn === 'function')
    throw new TypeError(`${what}: a function cannot travel to ${where}; pass { module, fn, args } instead`)
  const { module, fn: name, args = [] } = (fn ?? {}) as Partial<SpawnSpec>
  if (typeof module !== 'string' || typeof name !== 'string' || !Array.isArray(args))
    throw new TypeError(`${what}: expected a spec { module: string, fn: string, args?: unknown[] }`)
  return { module, fn: name, args }
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

/** Creates the Process for a fresh table id and starts `fn` in a microtask. */
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

/** Starts `fn` as a new process and returns its pid at once. With
 * `opts.node`, starts the spec `{ module, fn, args }` on that node and
 * resolves with the pid its agent answers. With `opts.thread: 'pool'`,
 * starts the spec on a pool worker thread (see `configurePool`) and
 * returns its pid at once; what is sent to it meanwhile waits for it. With
 * `opts.name`, registers the new process as that name in the same step
 * (a taken name creates nothing: NameTakenError).
 *
 * The body runs in a microtask, never inside `spawn`. When it returns (or its promise resolves) the process
 * exits with reason 'normal'; when it throws (or rejects), with the thrown value as reason, which its links
 * and monitors receive. A `{ module, fn }` that cannot be imported, or has no such function, ends the
 * process with that TypeError as reason.
 * @throws a TypeError for a body that is neither a function nor a spec, a function with `opts.node` or
 * `opts.thread` (closures cannot travel), or a bad `opts.thread`; {@link NotPortableError} when `args` cannot
 * travel to a pool thread. With `opts.node` these reject instead, as do {@link RefusedError} (the node's
 * `allow` has no 'spawn', or its `modules` do not list the module), {@link NoProcError} (the node is
 * unreachable or this runtime is not a node) and
 * {@link TimeoutError} (no answer within 5 s).
 * @example
 * ```ts
 * const echo = spawn(async (p: Process) => {
 *   for (;;) {
 *     const m = await p.receive()
 *     if (Array.isArray(m) && m[0] === '$call') reply(m[1], m[2])
 *   }
 * })
 * await call(echo, 'Hello') // 'Hello'
 * const worker = spawn({ module: './jobs.ts', fn: 'resize', args: [image] }, { thread: 'pool' })
 * // Node a@host listed it: startNode({ ..., modules: ['/srv/workers/'] })
 * const remote = await spawn({ module: '/srv/workers/jobs.js', fn: 'worker', args: [1] }, { node: 'a@host' })
 * ```
 */
export function spawn(fn: ProcessFn | SpawnSpec, opts?: { name: string }): Pid
export function spawn(spec: SpawnSpec, opts: { thread: 'pool' }): Pid
export function spawn(spec: SpawnSpec, opts: { node: string }): Promise<Pid>
export function spawn(fn: ProcessFn | SpawnSpec, opts?: SpawnOptions): Pid | Promise<Pid> {
  return spawnVia(null, fn, opts, 'spawn')
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
      return spawnRemote(specOf(fn, what), opts.node, parent, parent !== null)
    } catch (e) {
      if (parent !== null) throw e
      return Promise.reject(e)
    }
  }
  if (opts?.thread !== undefined) {
    if (opts.thread !== 'pool')
      throw new TypeError(`${what}: opts.thread must be 'pool', got ${JSON.stringify(opts.thread)}`)
    return poolSpawn(specOf(fn, what, 'a pool thread'), parent, what)
  }
  const body = bodyOf(fn, what)
  if (opts?.name !== undefined) return spawnRegistered(parent, body, opts.name, what)
  if (parent === null) return start(native.procSpawn(), body)
  A[0] = parent.self.id
  return start(native.procSpawnLink(), body)
}

/** Spawns `body` registered as `name` (linked to `parent` when given) in
 * one step of the process table: refused, it creates nothing. */
function spawnRegistered(parent: Process | null, body: ProcessFn, name: string, what: string): Pid {
  if (typeof name !== 'string' || name.length === 0)
    throw new TypeError(`${what}: opts.name must be a non-empty string`)
  A[0] = parent === null ? 0 : parent.self.id
  const r = native.procSpawnNamed(name)
  if (r > 0) return start(r, body)
  if (r === -1) throw new NoProcError(`${what}: the spawning process ${parent?.self} is not alive`)
  const holder = r === -3 ? 'a remote service' : String(whereis(name) ?? 'another process')
  throw new NameTakenError(`${what}: '${name}' is already registered to ${holder}`)
}

/** How many processes are alive in this OS process (all threads). */
export function processCount(): number {
  return native.procCount()
}
