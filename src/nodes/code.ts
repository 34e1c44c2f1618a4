// Code installation for hot loading (Butterfly's FRU): a module's source written
// to a versioned file under this node's private code directory, then imported.
// The node agent calls installCode when a peer sends loadCode; upgrade
// then names the returned URL in a { module, export } spec.
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, statSync } from 'node:fs'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { nodeName } from '../kernel/values.js'

/** Module names: a file-name-safe word, so a name can never climb out of the code directory. */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/

/** This thread's code directory, once made. */
let dir: string | null = null

/**
 * Where installed modules go, made on first use, readable by this user
 * only (others must neither read the code nor plant a module where the node
 * loads code from): `$BFLY_CODE_DIR` (created with mode 0700; an existing
 * one must be a directory of this user that group and others cannot
 * access, else this throws), or a new `<tmpdir>/bfly-code-<node>-XXXXXX`
 * (mode 0700, per run).
 */
export function codeDir(): string {
  if (dir !== null) return dir
  const base = process.env.BFLY_CODE_DIR
  if (base === undefined || base === '') {
    dir = mkdtempSync(join(tmpdir(), `bfly-code-${nodeName.replace(/[^A-Za-z0-9_.@-]/g, '_')}-`))
    return dir
  }
  mkdirSync(base, { recursive: true, mode: 0o700 })
  const st = statSync(base)
  if (!st.isDirectory()) throw new Error(`BFLY_CODE_DIR ${base} is not a directory`)
  if (typeof process.getuid === 'function' && st.uid !== process.getuid())
    throw new Error(`BFLY_CODE_DIR ${base} belongs to another user (uid ${st.uid}); use a directory of your own`)
  if ((st.mode & 0o077) !== 0)
    throw new Error(
      `BFLY_CODE_DIR ${base} is open to others (mode ${(st.mode & 0o777).toString(8)}); run chmod 700 ${base}`,
    )
  dir = base
  return dir
}

/** The code directory if this thread has made it (null before the first install). */
export function installedDir(): string | null {
  return dir
}

/** What installCode did. */
export interface Installed {
  /** The file URL to import or to name in `upgrade(dest, { module: url, export })`. */
  url: string
  /** 1 for the first install of `name` in this code directory, then 2, 3... */
  version: number
  /** The module's exports (already imported once, so syntax errors surface here). */
  exports: Record<string, unknown>
}

/**
 * Writes `source` (an ES module in JavaScript) to
 * `<codeDir>/<name>/v<version>-<sha256 prefix>.mjs`, never overwriting an
 * earlier version, and imports it. Throws a TypeError for a bad name or
 * source, and the module's own error when it fails to load (the file then
 * stays on disk, so the version number is not reused).
 */
export async function installCode(code: { name: string; source: string }): Promise<Installed> {
  if (code === null || typeof code !== 'object') throw new TypeError('installCode: expected { name, source }')
  const { name, source } = code
  if (typeof name !== 'string' || !NAME.test(name))
    throw new TypeError(`installCode: name must match ${NAME} (letters, digits, _ . -), got ${JSON.stringify(name)}`)
  if (typeof source !== 'string') throw new TypeError('installCode: source must be a string of JavaScript (ES module)')
  const folder = join(codeDir(), name)
  await mkdir(folder, { recursive: true, mode: 0o700 })
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 12)
  for (;;) {
    const version = nextVersion(await readdir(folder))
    const file = join(folder, `v${version}-${hash}.mjs`)
    try {
      await writeFile(file, source, { flag: 'wx', mode: 0o600 })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue // a concurrent install took this version
      throw e
    }
    const url = pathToFileURL(file).href
    const exports = (await import(url)) as Record<string, unknown>
    return { url, version, exports }
  }
}

function nextVersion(files: string[]): number {
  let max = 0
  for (const f of files) {
    const m = /^v(\d+)-/.exec(f)
    if (m !== null) max = Math.max(max, Number(m[1]))
  }
  return max + 1
}
