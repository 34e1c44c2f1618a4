// spawn: start a process here, on a pool thread or on another node.
import { native } from '../native/index.js'
import { type ProcessFn, spawnVia } from './process.js'
import type { SpawnOptions, SpawnSpec } from './spec.js'
import type { Pid } from './values.js'

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

/** How many processes are alive in this OS process (all threads). */
export function processCount(): number {
  return native.procCount()
}
