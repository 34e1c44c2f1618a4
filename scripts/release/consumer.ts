// The consumer suite: bfly as a user gets it. A fresh project installs the
// tarballs of `npm run pack` with npm's defaults plus --ignore-scripts (no
// install script may be needed) and with no `cargo` on PATH; platform
// packages reach it the way the registry would give them, through bfly's
// optionalDependencies (each name overridden to its local tarball; npm then
// picks by os/cpu/libc). Then a runtime (this Node, or another platform's
// Node under qemu or wine) runs __test__/consumer/: ESM import, CommonJS
// require, both in one process, a local call, a pool thread, two nodes,
// .ts modules with and without tsx, and the installed `bfly` command
// (cookie, node --services .mjs/.ts, ps, call, observer). Used by
// __test__/consumer.test.ts (this machine) and platforms-smoke.ts (the rest).
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process'
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const FIXTURES = join(ROOT, '__test__', 'consumer')

/** A JS runtime to run the suite under, and the platform npm installs for. */
export interface Runtime {
  name: string
  /** The command that runs a script: [node] or [qemu/wine wrapper..., node]. */
  node: string[]
  env?: NodeJS.ProcessEnv
  /** npm's --os/--cpu/--libc for the install (this machine's when absent). */
  npmPlatform?: { os: string; cpu: string; libc?: string }
  /** How long one step may take (qemu and wine are slow). */
  timeoutMs?: number
}

export interface CheckResult {
  name: string
  ok: boolean
  detail: unknown
  ms?: number
}

/** PATH without any directory that holds `cargo` or `rustc`. */
export function pathWithoutRust(path = process.env.PATH ?? ''): string {
  return path
    .split(delimiter)
    .filter((d) => d !== '' && !existsSync(join(d, 'cargo')) && !existsSync(join(d, 'rustc')))
    .join(delimiter)
}

/** The environment every step runs in: no Rust toolchain reachable. */
function userEnv(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra, PATH: pathWithoutRust() }
  for (const k of ['CARGO_HOME', 'RUSTUP_HOME', 'CARGO_TARGET_DIR', 'NODE_OPTIONS', 'TSX_TSCONFIG_PATH'])
    if (extra?.[k] === undefined) delete env[k]
  return env
}

/** Makes the project in `dir` from the tarballs in `packDir`; returns the install's duration in ms. */
export function makeProject(
  dir: string,
  packDir: string,
  runtime: Runtime,
  opts: { cache?: string; omitOptional?: boolean } = {},
): number {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  cpSync(FIXTURES, dir, { recursive: true })
  const tarballs = readdirSync(packDir).filter((f) => f.endsWith('.tgz'))
  const main = tarballs.find((f) => /^bfly-\d/.test(f))
  if (main === undefined) throw new Error(`no bfly tarball in ${packDir}`)
  const platforms = tarballs.filter((f) => f !== main)
  const file = (f: string) => `file:${join(packDir, f)}`
  const manifest = {
    name: 'bfly-consumer',
    version: '1.0.0',
    private: true,
    type: 'module',
    dependencies: { bfly: file(main), tsx: '^4.20.0', '@types/node': '^20.19.0' },
    overrides: Object.fromEntries(platforms.map((f) => [f.replace(/-\d+\.\d+\.\d+.*\.tgz$/, ''), file(f)])),
  }
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  const args = ['install', '--ignore-scripts', '--no-audit', '--no-fund']
  if (opts.omitOptional) args.push('--omit=optional')
  if (opts.cache) args.push('--cache', opts.cache)
  else args.push('--prefer-offline')
  const p = runtime.npmPlatform
  if (p) args.push('--os', p.os, '--cpu', p.cpu, ...(p.libc ? ['--libc', p.libc] : []))
  const t0 = Date.now()
  execFileSync('npm', args, { cwd: dir, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
  return Date.now() - t0
}

interface Ran {
  code: number | null
  out: string
}

/** Runs `args` under the runtime in `dir`, output to a file (wine's Node cannot write to a pipe). */
function run(dir: string, rt: Runtime, args: string[], env?: NodeJS.ProcessEnv): Ran {
  const log = join(dir, `run-${Date.now()}-${Math.random().toString(36).slice(2)}.log`)
  const fd = openSync(log, 'w')
  try {
    const r = spawnSync(rt.node[0], [...rt.node.slice(1), ...args], {
      cwd: dir,
      env: userEnv({ ...rt.env, ...env }),
      stdio: ['ignore', fd, fd],
      timeout: rt.timeoutMs ?? 60_000,
    })
    return { code: r.status, out: readFileSync(log, 'utf8') }
  } finally {
    closeSync(fd)
  }
}

/** Runs a checks script that writes its JSON to OUT (its last argument). */
function runJson(dir: string, rt: Runtime, args: string[], env?: NodeJS.ProcessEnv): { ran: Ran; json: unknown } {
  const out = join(dir, `out-${Date.now()}.json`)
  const ran = run(dir, rt, [...args, out], env)
  let json: unknown = null
  try {
    json = JSON.parse(readFileSync(out, 'utf8'))
  } catch {
    // no output: the caller reports the run's log
  }
  return { ran, json }
}

/** A long-running `bfly ...args` under the runtime; resolves once its output matches `ready`. */
async function startBfly(
  dir: string,
  rt: Runtime,
  args: string[],
  ready: RegExp,
  env?: NodeJS.ProcessEnv,
): Promise<{ match: RegExpExecArray; proc: ChildProcess }> {
  const log = join(dir, `bfly-${args[0]}-${Date.now()}.log`)
  const fd = openSync(log, 'w')
  const bin = join('node_modules', 'bfly', 'bin', 'bfly.mjs')
  const proc = spawn(rt.node[0], [...rt.node.slice(1), bin, ...args], {
    cwd: dir,
    env: userEnv({ ...rt.env, ...env }),
    stdio: ['ignore', fd, fd],
  })
  closeSync(fd)
  let exited = false
  proc.once('exit', () => {
    exited = true
  })
  const until = Date.now() + (rt.timeoutMs ?? 60_000)
  while (Date.now() < until) {
    const m = ready.exec(readFileSync(log, 'utf8'))
    if (m) return { match: m, proc }
    if (exited) break
    await new Promise((r) => setTimeout(r, 100))
  }
  proc.kill('SIGKILL')
  throw new Error(`bfly ${args.join(' ')} did not start: ${readFileSync(log, 'utf8').trim()}`)
}

/** `bfly node NAME --services MODULE`; resolves with its address. */
async function startBflyNode(dir: string, rt: Runtime, name: string, services: string, env?: NodeJS.ProcessEnv) {
  const args = ['node', '--name', name, '--listen', '127.0.0.1:0', '--cookie-file', 'cookie', '--services', services]
  const { match, proc } = await startBfly(dir, rt, args, /listening on (\S+)/, env)
  return { addr: match[1], proc }
}

/** Every check of the suite, run in the project `dir` under `rt`. */
export async function runSuite(dir: string, rt: Runtime): Promise<CheckResult[]> {
  const results: CheckResult[] = []
  const add = (name: string, ok: boolean, detail: unknown, ms?: number) => results.push({ name, ok, detail, ms })
  const timed = async (name: string, f: () => Promise<unknown> | unknown) => {
    const t0 = Date.now()
    try {
      add(name, true, await f(), Date.now() - t0)
    } catch (e) {
      add(name, false, e instanceof Error ? e.message : String(e), Date.now() - t0)
    }
  }

  await timed("README's quick start: the ES module and the CommonJS program", () => {
    const blocks = readmeBlocks(dir)
    writeFileSync(join(dir, 'readme-esm.mjs'), blocks.js[0])
    writeFileSync(join(dir, 'readme-cjs.cjs'), blocks.js[1])
    const esm = run(dir, rt, ['readme-esm.mjs'])
    const cjs = run(dir, rt, ['readme-cjs.cjs'])
    if (esm.code !== 0 || esm.out.trim() !== 'Hello') throw new Error(`ESM: exit ${esm.code}: ${esm.out.trim()}`)
    if (cjs.code !== 0 || cjs.out.trim() !== 'Hello') throw new Error(`CJS: exit ${cjs.code}: ${cjs.out.trim()}`)
    return 'both print Hello'
  })

  const main = runJson(dir, rt, ['checks.mjs', 'main'])
  if (Array.isArray(main.json)) results.push(...(main.json as CheckResult[]))
  else add('ESM checks (checks.mjs main)', false, main.ran.out.trim())
  const runtime = results.find((r) => r.name === 'runtime')?.detail as { nativeTs?: boolean } | undefined
  const nativeTs = runtime?.nativeTs === true

  await timed('CommonJS require', () => {
    const { ran, json } = runJson(dir, rt, ['cjs.cjs'])
    if (JSON.stringify(json) !== JSON.stringify(['main', 'from cjs'])) throw new Error(ran.out.trim() || String(json))
    return json
  })
  await timed('import and require in one process share one runtime', () => {
    const { ran, json } = runJson(dir, rt, ['both.mjs'])
    const want = { sameSpawn: true, samePid: true, pidIsPid: true, sameTable: true }
    if (JSON.stringify(json) !== JSON.stringify(want)) throw new Error(ran.out.trim() || JSON.stringify(json))
    return json
  })
  const ts = runJson(dir, rt, ['--import', 'tsx', 'checks.mjs', 'ts'])
  if (Array.isArray(ts.json)) results.push(...(ts.json as CheckResult[]))
  else add('.ts checks under tsx (checks.mjs ts)', false, ts.ran.out.trim())

  const bin = join('node_modules', 'bfly', 'bin', 'bfly.mjs')
  await timed('bfly cookie', () => {
    rmSync(join(dir, 'cookie'), { force: true })
    const r = run(dir, rt, [bin, 'cookie', '--out', 'cookie'])
    const cookie = existsSync(join(dir, 'cookie')) ? readFileSync(join(dir, 'cookie'), 'utf8') : ''
    if (r.code !== 0 || !/^[0-9a-f]{64}\n$/.test(cookie)) throw new Error(`exit ${r.code}: ${r.out.trim()}`)
    return 'a 64-hex-digit cookie file'
  })
  await timed('bfly node --services ./services.mjs, then ps, call and bfly observer', async () => {
    const n = await startBflyNode(dir, rt, 'mjs@127.0.0.1', './services.mjs')
    try {
      const target = [`mjs@127.0.0.1@${n.addr}`, '--cookie-file', 'cookie']
      const ps = run(dir, rt, [bin, 'ps', ...target])
      if (ps.code !== 0 || !ps.out.includes('ECHO')) throw new Error(`ps: exit ${ps.code}: ${ps.out.trim()}`)
      const called = run(dir, rt, [bin, 'call', ...target, 'ECHO', '"hi"', '--json'])
      if (called.out.trim() !== '["main","hi"]') throw new Error(`call: exit ${called.code}: ${called.out.trim()}`)
      // The observer, served by the runtime under test and fetched from outside it, as a browser would.
      const obs = await startBfly(dir, rt, ['observer', ...target], /at (http:\/\/127\.0\.0\.1:(\d+)\/\S+)/)
      try {
        const page = await fetch(obs.match[1])
        const html = await page.text()
        const denied = await fetch(`http://127.0.0.1:${obs.match[2]}/`)
        if (page.status !== 200 || !html.includes('<html') || denied.status !== 401)
          throw new Error(`observer: page ${page.status}, without the token ${denied.status}`)
      } finally {
        obs.proc.kill()
      }
      return { ps: 'lists ECHO', call: called.out.trim(), observer: 'page 200, 401 without the token' }
    } finally {
      n.proc.kill()
    }
  })
  // (A Node that strips types runs services.ts with no loader: the tsx case below covers it.)
  if (!nativeTs)
    await timed('bfly node --services ./services.ts without a TypeScript loader says how to run it', () => {
      const args = [bin, 'node', '--name', 'ts@127.0.0.1', '--listen', '127.0.0.1:0', '--cookie-file', 'cookie']
      const r = run(dir, rt, [...args, '--services', './services.ts'])
      if (r.code === 0 || !/tsx/.test(r.out)) throw new Error(`exit ${r.code}: ${r.out.trim()}`)
      return r.out.trim().split('\n')[0]
    })
  await timed('bfly node --services ./services.ts under tsx (NODE_OPTIONS=--import=tsx), then call', async () => {
    const n = await startBflyNode(dir, rt, 'ts@127.0.0.1', './services.ts', { NODE_OPTIONS: '--import=tsx' })
    try {
      const target = [`ts@127.0.0.1@${n.addr}`, '--cookie-file', 'cookie']
      const called = run(dir, rt, [bin, 'call', ...target, 'ECHO', '"hi"', '--json'])
      if (called.out.trim() !== '["ts main","hi"]') throw new Error(`call: exit ${called.code}: ${called.out.trim()}`)
      return called.out.trim()
    } finally {
      n.proc.kill()
    }
  })
  return results
}

/** The code blocks of the installed package's README quick start, by language. */
function readmeBlocks(dir: string): { js: string[]; ts: string[] } {
  const readme = readFileSync(join(dir, 'node_modules', 'bfly', 'README.md'), 'utf8')
  const start = readme.indexOf('## Quick start')
  const quick = readme.slice(start, readme.indexOf('\n## ', start + 1))
  const blocks = { js: [] as string[], ts: [] as string[] }
  for (const m of quick.matchAll(/```(js|ts)\n([\s\S]*?)```/g)) blocks[m[1] as 'js' | 'ts'].push(m[2])
  if (blocks.js.length !== 2 || blocks.ts.length !== 1)
    throw new Error('README quick start: expected 2 js blocks and 1 ts block')
  return blocks
}

/** `tsc --noEmit` of the strict TypeScript consumer (types.ts, and the
 * README's TypeScript quick start), with this checkout's compiler. */
export function typecheck(dir: string): CheckResult {
  writeFileSync(join(dir, 'readme-ts.ts'), `${readmeBlocks(dir).ts[0]}export {}\n`)
  const tsc = join(ROOT, 'node_modules', '.bin', 'tsc')
  const r = spawnSync(tsc, ['--noEmit', '-p', join(dir, 'tsconfig.json')], { cwd: dir, encoding: 'utf8' })
  const out = `${r.stdout}${r.stderr}`.trim()
  return { name: 'tsc --noEmit, strict, skipLibCheck: false', ok: r.status === 0, detail: out || 'no errors' }
}
