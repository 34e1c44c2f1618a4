// What a spawn runs and where: a { module, fn, args } spec (the form that
// travels to other threads and nodes), the spawn options, and how a user's
// module named in one is imported.
import { isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

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
