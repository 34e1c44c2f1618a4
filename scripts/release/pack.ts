// `npm run pack -- --out DIR`: writes into DIR the main tarball
// (bfly-VERSION.tgz, compiled by its prepack) and one tarball per platform
// package whose binary exists here: npm/<key>/bfly.<key>.node from
// `npm run build:platforms`, or, for this machine's own platform, the
// addon `npm install` built into bindings/ when it is the newer. Fails when a tarball is over
// its budget (main 480 KiB, platform 5 MiB). Prints one line per tarball:
// `<file> <bytes>`.
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { platformKey } from '../../src/native/platform.ts'
import { binaryName, TARGETS } from './targets.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const MAIN_BUDGET = 480 * 1024
export const PLATFORM_BUDGET = 5 * 1024 * 1024

/** `npm pack` of `dir` into `out`; the tarball's file name. */
function npmPack(dir: string, out: string): string {
  const json = execFileSync('npm', ['pack', '--json', '--pack-destination', out], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return (JSON.parse(json) as { filename: string }[])[0].filename
}

/** Where the binary of platform `key` is, if this machine has one: the
 * release build in npm/<key>/, or for this machine's platform the build in
 * bindings/ when that one is newer (the current sources, after `npm run
 * build`; a release build made before a change would test stale code). */
function binaryOf(key: string): string | null {
  const released = join(ROOT, 'npm', key, binaryName(key))
  const local = join(ROOT, 'bindings', binaryName(key))
  const mtime = (f: string) => (existsSync(f) ? statSync(f).mtimeMs : -1)
  if (key === platformKey() && mtime(local) > mtime(released)) return local
  return existsSync(released) ? released : null
}

/** Packs everything into `out`; the tarballs written, main first. */
export function pack(out: string): { file: string; bytes: number; budget: number }[] {
  mkdirSync(out, { recursive: true })
  const written = [{ file: npmPack(ROOT, out), budget: MAIN_BUDGET }]
  for (const t of TARGETS) {
    const binary = binaryOf(t.key)
    if (binary === null) continue
    // A staging copy, so that packing never writes into npm/.
    const stage = mkdtempSync(join(tmpdir(), `bfly-pack-${t.key}-`))
    try {
      for (const f of ['package.json', 'README.md']) copyFileSync(join(ROOT, 'npm', t.key, f), join(stage, f))
      copyFileSync(binary, join(stage, binaryName(t.key)))
      written.push({ file: npmPack(stage, out), budget: PLATFORM_BUDGET })
    } finally {
      rmSync(stage, { recursive: true, force: true })
    }
  }
  return written.map((w) => ({ ...w, bytes: statSync(join(out, w.file)).size }))
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } })
  if (values.out === undefined) {
    console.error('usage: npm run pack -- --out DIR')
    process.exit(2)
  }
  const tarballs = pack(resolve(values.out))
  let over = false
  for (const { file, bytes, budget } of tarballs) {
    console.log(`${file} ${bytes}`)
    if (bytes > budget) {
      console.error(`pack: ${file} is ${bytes} bytes, over its budget of ${budget}`)
      over = true
    }
  }
  process.exit(over ? 1 : 0)
}
