// `bfly build-native`: the native addon from source, for a platform with no
// prebuilt package (and a checkout's `npm install`). Installed, it builds
// in a temporary cargo target folder that it removes afterwards, so all
// that stays is bindings/bfly.<key>.node (a target folder is ~200 MB); in a
// checkout it builds in target/, the contributors' incremental cache.
// `--if-needed` (bfly's install script) does nothing when an addon loads.
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { localAddon, packageRoot, platformKey } from '../native/platform.js'
import type { Values } from './args.js'

const CRATE = 'bfly-binding'

/** The file cargo links the binding crate into, per platform. */
function linked(dir: string): string {
  if (process.platform === 'win32') return join(dir, 'bfly_binding.dll')
  return join(dir, process.platform === 'darwin' ? 'libbfly_binding.dylib' : 'libbfly_binding.so')
}

/** Whether an addon loads now: in a checkout its own build, installed the loader's choice. */
async function loads(checkout: boolean, key: string): Promise<boolean> {
  try {
    if (checkout) createRequire(import.meta.url)(localAddon(key))
    else await import('../native/index.js')
    return true
  } catch {
    return false
  }
}

/** Runs the build; resolves with the exit code. */
export async function buildNative(values: Values): Promise<number> {
  const root = packageRoot()
  const key = platformKey()
  const checkout = existsSync(join(root, 'src', 'native', 'addon.ts'))
  if (values['if-needed'] && (await loads(checkout, key))) {
    console.log(`bfly: a native addon for ${key} loads; nothing to build`)
    return 0
  }
  if (spawnSync('cargo', ['--version'], { stdio: 'ignore' }).error !== undefined)
    throw new Error(
      `no native addon loads on ${key}, and cargo is not on PATH to build one: install Rust (https://rustup.rs), then run \`npx bfly build-native\``,
    )
  const temporary = !checkout && process.env.CARGO_TARGET_DIR === undefined
  const targetDir =
    process.env.CARGO_TARGET_DIR ?? (checkout ? join(root, 'target') : mkdtempSync(join(tmpdir(), 'bfly-build-')))
  const env: NodeJS.ProcessEnv = { ...process.env, CARGO_TARGET_DIR: targetDir }
  // Rust links musl statically by default, which a shared library cannot be.
  if (key.endsWith('-musl')) env.RUSTFLAGS = `${env.RUSTFLAGS ?? ''} -C target-feature=-crt-static`.trim()
  const t0 = Date.now()
  try {
    console.log(
      `bfly: building the native addon for ${key} from source (cargo build --release; a few minutes on a small machine)`,
    )
    const args = ['build', '--release', '-p', CRATE, ...(checkout ? [] : ['--locked'])]
    const r = spawnSync('cargo', args, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] })
    if (r.status !== 0) throw new Error(`cargo build failed (exit ${r.status ?? r.signal}); see its output above`)
    const out = localAddon(key)
    mkdirSync(dirname(out), { recursive: true })
    copyFileSync(linked(join(targetDir, 'release')), out)
    createRequire(import.meta.url)(out)
    const mb = (statSync(out).size / 1024 / 1024).toFixed(1)
    console.log(`bfly: built ${relative(root, out)} (${mb} MB) in ${Math.round((Date.now() - t0) / 1000)} s`)
    return 0
  } finally {
    if (temporary) rmSync(targetDir, { recursive: true, force: true })
  }
}
