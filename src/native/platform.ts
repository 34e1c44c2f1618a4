// Which prebuilt addon fits this process: the key `<platform>-<arch>`, plus
// `-gnu` or `-musl` on Linux, names both the platform package
// (`bfly-<key>`) and its file (`bfly.<key>.node`). The list of keys that
// have a package is scripts/release/targets.ts.
import { closeSync, existsSync, openSync, readSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Which C library this Node is linked against, on Linux.
 *
 * The executable's own ELF interpreter says it for the running process
 * (`/lib/ld-musl-*` or `/lib*\/ld-linux-*`), whatever the distribution's
 * files say: napi-rs reads `/usr/bin/ldd` first, which names the system's
 * libc, not Node's (a musl Node on a glibc system, as in the musl smoke).
 * When the interpreter does not tell (a static or unusual executable), the
 * process report does, as napi-rs's second test: a glibc build of Node
 * reports `glibcVersionRuntime` (a few ms, so it is only the fallback). */
export function libc(): 'gnu' | 'musl' {
  const head = Buffer.alloc(4096)
  let n = 0
  try {
    const fd = openSync(process.execPath, 'r')
    try {
      n = readSync(fd, head, 0, head.length, 0)
    } finally {
      closeSync(fd)
    }
  } catch {
    // unreadable executable: fall through to the report
  }
  const text = head.toString('latin1', 0, n)
  if (text.includes('/ld-musl-')) return 'musl'
  if (text.includes('/ld-linux-')) return 'gnu'
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined
  return report?.header?.glibcVersionRuntime ? 'gnu' : 'musl'
}

/** This process's platform key, e.g. `linux-x64-gnu`, `darwin-arm64`, `win32-x64`. */
export function platformKey(): string {
  const base = `${process.platform}-${process.arch}`
  return process.platform === 'linux' ? `${base}-${libc()}` : base
}

/** The package's root: the first folder above this module with a
 * package.json (two up from src/native/, three from dist/src/native/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const up = dirname(dir)
    if (up === dir) throw new Error('bfly: no package.json above src/native/')
    dir = up
    if (existsSync(join(dir, 'package.json'))) return dir
  }
}

/** Where a build from source puts the addon for `key`, which the loader tries first. */
export const localAddon = (key: string): string => join(packageRoot(), 'bindings', `bfly.${key}.node`)
