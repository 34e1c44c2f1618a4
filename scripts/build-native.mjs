// Builds the native addon from source unless a loadable binary for this
// platform is already in bindings/. Run by `npm install` (the package's
// install script) and by `npm run build -- --force`.
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const force = process.argv.includes('--force')
const require = createRequire(import.meta.url)

function loads() {
  try {
    require(join(root, 'bindings', 'binding.js'))
    return true
  } catch {
    return false
  }
}

function run(cmd, args) {
  console.log(`bfly: ${cmd} ${args.join(' ')}`)
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' })
  if (r.error) {
    const what = r.error.code === 'ENOENT' ? `${cmd} is not installed` : r.error.message
    console.error(
      `bfly: no prebuilt native addon fits ${process.platform}-${process.arch}, and building it from source failed: ${what}. ` +
        'Install Rust (rustup.rs) and run `npm rebuild bfly`, or use a platform with a prebuilt package (bfly-<platform>).',
    )
    process.exit(1)
  }
  if (r.status !== 0) process.exit(r.status ?? 1)
}

if (!force && loads()) {
  console.log('bfly: native addon present and loadable, not rebuilding')
  process.exit(0)
}
console.log(`bfly: no prebuilt native addon loads on ${process.platform}-${process.arch}; building it from source`)
// Plain cargo keeps the generated loader and types (committed in bindings/)
// untouched; `npm run build:bindings` regenerates those with @napi-rs/cli.
run('cargo', ['build', '--release', '-p', 'bfly-binding'])
const target = process.env.CARGO_TARGET_DIR ?? join(root, 'target')
const lib = join(target, 'release', 'libbfly_binding.so')
if (!existsSync(lib)) {
  console.error(`bfly: expected ${lib} after the build; only x86_64-unknown-linux-gnu is supported for now`)
  process.exit(1)
}
copyFileSync(lib, join(root, 'bindings', 'bfly.linux-x64-gnu.node'))
if (!loads()) {
  console.error('bfly: the freshly built addon does not load; see the error above')
  process.exit(1)
}
console.log('bfly: native addon built')
