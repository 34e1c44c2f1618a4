// Which modules a request from outside this thread may load: a peer's
// remote spawn, and a server upgrade that came from another node or
// thread. A module such a request names is code this node would run, so
// only what the node lists (startNode({ modules })) and code installed by
// loadCode (which needs the 'code' capability) may be named; a `data:` or
// `http:` URL, a package or a file elsewhere is refused (issue 14,
// finding 6: with only 'spawn' allowed, a data: module ran).
//
// Names are compared after resolution, as `import()` would resolve them
// (paths against the current directory, packages from bfly's own folder,
// symbolic links followed), and the resolved URL is what is then imported,
// so the module checked is the module loaded.
import { realpathSync, statSync } from 'node:fs'
import { isAbsolute, resolve, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { specifier } from '../kernel/spec.js'
import { NONODE, nodeName } from '../kernel/values.js'
import { installedDir } from './code.js'

/** One entry of the list: a folder or a file (real paths), or another URL as written. */
type Entry = { folder: string } | { file: string } | { url: string }

/** The checked list of what requests from outside may load (set by startNode). */
let allowed: readonly Entry[] = []

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]+:/

/** `p` with its symbolic links followed, or as it is when it does not exist (yet). */
function real(p: string): string {
  try {
    return realpathSync(p)
  } catch {
    return p
  }
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

const inside = (p: string, folder: string): boolean =>
  p === folder || p.startsWith(folder.endsWith(sep) ? folder : folder + sep)

/** The entries of a `modules` option; a TypeError naming the bad one. */
export function checkModules(modules: unknown, what: string): Entry[] {
  if (modules === undefined) return []
  if (!Array.isArray(modules))
    throw new TypeError(`${what}: modules must be a list of module names, files or folders (strings)`)
  return modules.map((m: unknown): Entry => {
    if (typeof m !== 'string' || m === '')
      throw new TypeError(`${what}: modules must hold non-empty strings, got ${JSON.stringify(m) ?? String(m)}`)
    if (m.startsWith('./') || m.startsWith('../') || isAbsolute(m) || m.startsWith('file:')) {
      let path: string
      try {
        path = m.startsWith('file:') ? fileURLToPath(m) : resolve(m)
      } catch (e) {
        throw new TypeError(`${what}: modules: '${m}' is not a file URL (${(e as Error).message})`)
      }
      return m.endsWith('/') || isDirectory(path) ? { folder: real(path) } : { file: real(path) }
    }
    if (SCHEME.test(m)) return { url: m }
    // A package: the file it resolves to.
    let url: string
    try {
      url = import.meta.resolve(m)
    } catch (e) {
      throw new TypeError(`${what}: modules: cannot find the package '${m}' (${(e as Error).message})`)
    }
    return url.startsWith('file:') ? { file: real(fileURLToPath(url)) } : { url }
  })
}

/** Makes `entries` (from checkModules) the list (startNode; [] when the node stops). */
export function setModules(entries: readonly Entry[]): void {
  allowed = entries
}

/** Why `module` was refused, for the requester's RefusedError and the node's log. */
export class ModuleRefused {
  constructor(readonly message: string) {}
}

/** The URL to import for `module`, named by a request from outside this
 * thread (`what`: 'spawn' or 'upgrade'), or why it is refused. Outside a
 * node nothing can come from another node: every module is admitted. */
export function admit(module: string, what: string): string | ModuleRefused {
  const spec = specifier(module)
  if (nodeName === NONODE) return spec
  let url: string | null
  try {
    url = import.meta.resolve(spec)
  } catch {
    // A file that does not exist may still be in an allowed folder: its import fails as it would have.
    url = spec.startsWith('file:') ? spec : null
  }
  if (url?.startsWith('file:')) {
    let path: string | null = null
    try {
      path = real(fileURLToPath(url))
    } catch {}
    const code = installedDir()
    if (
      path !== null &&
      ((code !== null && inside(path, real(code))) ||
        allowed.some((e) => ('folder' in e ? inside(path, e.folder) : 'file' in e && e.file === path)))
    )
      return pathToFileURL(path).href
  } else if (url !== null && allowed.some((e) => 'url' in e && e.url === url)) return url
  return new ModuleRefused(
    `${what}: '${module}' is not among the modules this node (${nodeName}) lets others load; ` +
      'list it or its folder in startNode({ modules }) (bfly node --modules)',
  )
}
