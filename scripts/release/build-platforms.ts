// `npm run build:platforms [-- KEY...]`: the release step. Cross-builds the
// addon for every platform in targets.ts on this machine (cargo-zigbuild:
// zig is the linker and the C runtime for each target, so no per-target
// GCC or SDK is needed), checks each binary (check-binary.ts), and writes
// npm/<key>/ (package.json, README.md, bfly.<key>.node). Also writes the
// root package.json's optionalDependencies, so the two never disagree.
// Release profile: LTO, one codegen unit, stripped (Cargo.toml).
// Not part of `npm test`: about a minute per target on 2 cores.
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkBinary, llvmTool } from './check-binary.ts'
import {
  BINDING_CRATE,
  BINDING_LIB,
  binaryName,
  linkedFile,
  packageName,
  TARGETS,
  type Target,
  triple,
} from './targets.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const TARGET_DIR = process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target')

interface RootManifest {
  name: string
  version: string
  description: string
  license: string
  repository: unknown
  homepage: string
  engines: Record<string, string>
  optionalDependencies?: Record<string, string>
}

const readRoot = (): RootManifest => JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as RootManifest
const writeJson = (file: string, value: unknown) => writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`)

function have(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0
}

/** Rust targets, cargo-zigbuild with zig (PyPI), and llvm-tools for the checks. */
function ensureTools(targets: Target[]) {
  execFileSync('rustup', ['target', 'add', ...targets.map(triple)], { stdio: 'inherit' })
  if (!have('cargo-zigbuild', ['--version']) || !have('python3', ['-m', 'ziglang', 'version'])) {
    console.log('build-platforms: installing cargo-zigbuild and ziglang from PyPI')
    execFileSync('python3', ['-m', 'pip', 'install', '--quiet', 'cargo-zigbuild', 'ziglang'], { stdio: 'inherit' })
  }
  llvmTool('llvm-nm')
}

/** The environment one target's build needs beyond cargo-zigbuild's own. */
function targetEnv(t: Target): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  const upper = triple(t).toUpperCase().replaceAll('-', '_')
  // A musl cdylib must link the C library dynamically (Rust's musl default is static).
  if (t.libc === 'musl') env[`CARGO_TARGET_${upper}_RUSTFLAGS`] = '-C target-feature=-crt-static'
  if (t.format === 'pe') {
    // napi-build links windows-gnu addons against libnode.dll, which a
    // MinGW-built Node has; the MSVC node.exe users run has not. With
    // napi-sys's dyn-symbols (crates/*/Cargo.toml) nothing is imported from
    // it, so an empty archive by that name satisfies the link step.
    const dir = join(TARGET_DIR, 'no-libnode')
    mkdirSync(dir, { recursive: true })
    execFileSync(llvmTool('llvm-ar'), ['rc', join(dir, 'libnode.a')])
    writeFileSync(join(dir, 'libnode.dll'), '')
    env.LIBNODE_PATH = dir
  }
  return env
}

function packageJson(t: Target, root: RootManifest) {
  return {
    name: packageName(t.key),
    version: root.version,
    description: `The ${t.key} native addon of bfly (installed by bfly through optionalDependencies)`,
    license: root.license,
    repository: root.repository,
    homepage: root.homepage,
    os: [t.os],
    cpu: [t.cpu],
    ...(t.libc ? { libc: [t.libc] } : {}),
    main: binaryName(t.key),
    files: [binaryName(t.key)],
    engines: root.engines,
  }
}

function readme(t: Target): string {
  return `# \`${packageName(t.key)}\`

The prebuilt native addon of [bfly](https://www.npmjs.com/package/bfly) for
${t.key} (Rust target \`${triple(t)}\`). Do not install it yourself: \`npm install bfly\`
pulls the one that fits through \`optionalDependencies\`.
`
}

function build(t: Target): { size: number; seconds: number; problems: string[] } {
  const t0 = Date.now()
  console.log(`\nbuild-platforms: ${t.key} (${t.rust})`)
  const r = spawnSync('cargo', ['zigbuild', '--release', '-p', BINDING_CRATE, '--target', t.rust], {
    cwd: ROOT,
    env: targetEnv(t),
    stdio: 'inherit',
  })
  if (r.status !== 0) return { size: 0, seconds: (Date.now() - t0) / 1000, problems: ['cargo zigbuild failed'] }
  const built = join(TARGET_DIR, triple(t), 'release', linkedFile(t, BINDING_LIB))
  const dir = join(ROOT, 'npm', t.key)
  mkdirSync(dir, { recursive: true })
  const out = join(dir, binaryName(t.key))
  copyFileSync(built, out)
  return { size: statSync(out).size, seconds: (Date.now() - t0) / 1000, problems: checkBinary(t, out) }
}

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'))
const unknown = wanted.filter((k) => !TARGETS.some((t) => t.key === k))
if (unknown.length > 0) {
  console.error(`build-platforms: unknown target ${unknown.join(', ')}; known: ${TARGETS.map((t) => t.key).join(', ')}`)
  process.exit(2)
}
const selected = wanted.length > 0 ? TARGETS.filter((t) => wanted.includes(t.key)) : TARGETS

// The manifests first: they depend only on the table and the version.
const root = readRoot()
for (const t of TARGETS) {
  const dir = join(ROOT, 'npm', t.key)
  mkdirSync(dir, { recursive: true })
  writeJson(join(dir, 'package.json'), packageJson(t, root))
  writeFileSync(join(dir, 'README.md'), readme(t))
}
root.optionalDependencies = Object.fromEntries(TARGETS.map((t) => [packageName(t.key), root.version]))
writeJson(join(ROOT, 'package.json'), root)

ensureTools(selected)
const results = selected.map((t) => ({ t, ...build(t) }))
console.log('\nbuild-platforms: target, size, build time, check')
for (const { t, size, seconds, problems } of results)
  console.log(
    `  ${t.key.padEnd(17)} ${(size / 1024 / 1024).toFixed(2).padStart(5)} MB  ${seconds.toFixed(0).padStart(4)} s  ${problems.length === 0 ? 'ok' : problems.join('; ')}`,
  )
process.exit(results.every((r) => r.problems.length === 0) ? 0 : 1)
