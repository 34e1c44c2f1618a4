// The consumer suite's checks that run inside the runtime under test (this
// machine's Node, an arm64 Node under qemu, a musl Node, a Windows Node
// under wine), in a fresh project that installed bfly from its tarballs.
// Results go to a file, not stdout (a Windows Node under wine cannot write
// to a pipe). Driven by scripts/release/consumer.ts.
//   checks.mjs main OUT         ESM checks: local call, pool thread, two nodes, .ts without a loader
//   checks.mjs ts OUT           under `--import tsx`: .ts spawn specs, here and on a pool thread
//   checks.mjs peer COOKIE OUT  a node serving ECHO; writes its address to OUT
import { spawn as spawnChild } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const t0 = performance.now()
const bfly = await import('bfly')
const loadMs = performance.now() - t0
const { call, configurePool, registerServer, registerService, remoteService, spawn, startNode, stopPool } = bfly
const [mode, ...args] = process.argv.slice(2)
const results = []

async function check(name, fn) {
  const start = performance.now()
  try {
    const detail = await Promise.race([
      fn(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timed out after 60 s')), 60_000).unref()),
    ])
    results.push({ name, ok: true, detail, ms: Math.round(performance.now() - start) })
  } catch (e) {
    results.push({ name, ok: false, detail: e instanceof Error ? (e.stack ?? e.message) : String(e) })
  }
}

function expectEqual(got, want) {
  if (JSON.stringify(got) !== JSON.stringify(want))
    throw new Error(`got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`)
  return got
}

/** Resolves with the file's content once it is non-empty. */
async function waitForFile(file, ms = 45_000) {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (existsSync(file)) {
      const s = readFileSync(file, 'utf8').trim()
      if (s !== '') return s
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`nothing in ${file} after ${ms} ms`)
}

/** The exit reason of a process spawned from `spec`, which is expected to die. */
function deathOf(spec, opts) {
  return new Promise((resolve) => {
    const watcher = spawn(async (p) => {
      const pid = spawn(spec, opts)
      p.monitor(pid)
      const down = await p.receive((m) => Array.isArray(m) && m[0] === 'DOWN')
      resolve(down[3])
    })
    void watcher
  })
}

const body = (fn = 'echo', ext = 'mjs') => ({ module: `./body.${ext}`, fn })

if (mode === 'peer') {
  const [cookie, out] = args
  const node = await startNode({ name: 'peer@127.0.0.1', listen: '127.0.0.1:0', cookie })
  registerService('ECHO', spawn(body()))
  writeFileSync(out, node.address)
} else if (mode === 'main') {
  results.push({ name: 'import bfly (ESM)', ok: typeof spawn === 'function', detail: `${loadMs.toFixed(1)} ms` })
  // Node 22.18 and later strip types themselves: .ts modules then load with no loader.
  const nativeTs = Boolean(process.features.typescript)
  results.push({ name: 'runtime', ok: true, detail: { node: process.version, nativeTs } })
  await check('local call', async () => {
    registerService('LOCAL', spawn(body()))
    return expectEqual(await call('LOCAL', 'hi'), ['main', 'hi'])
  })
  await check('process on a pool thread', async () => {
    configurePool({ size: 1 })
    const pid = spawn(body(), { thread: 'pool' })
    const got = expectEqual(await call(pid, 'hi', { timeout: 60_000 }), ['pool', 'hi'])
    stopPool()
    return got
  })
  await check('two-node call', async () => {
    const cookie = randomBytes(32).toString('hex')
    const file = fileURLToPath(new URL(`./peer-${process.pid}.addr`, import.meta.url))
    const peer = spawnChild(process.execPath, [fileURLToPath(import.meta.url), 'peer', cookie, file], {
      stdio: 'ignore',
    })
    try {
      const addr = await waitForFile(file)
      const me = await startNode({ name: 'consumer@127.0.0.1', listen: '127.0.0.1:0', cookie })
      registerServer('peer@127.0.0.1', addr)
      const got = await call(remoteService('peer@127.0.0.1', { name: 'ECHO' }), 'over the link', { timeout: 60_000 })
      me.stop()
      return expectEqual(got, ['main', 'over the link'])
    } finally {
      peer.kill()
    }
  })
  if (nativeTs)
    await check('.ts spawn spec without a loader, on a Node that strips types', async () => {
      registerService('NATIVE-TS', spawn(body('echo', 'ts')))
      return expectEqual(await call('NATIVE-TS', 'hi'), ['ts main', 'hi'])
    })
  else
    await check('.ts spawn spec without a TypeScript loader fails saying how to run it', async () => {
      const reason = String(await deathOf(body('echo', 'ts')))
      if (!/tsx/.test(reason) || !/body\.ts/.test(reason)) throw new Error(`unhelpful reason: ${reason}`)
      return reason.split('\n')[0]
    })
} else if (mode === 'ts') {
  await check('.ts spawn spec under tsx', async () => {
    registerService('TS', spawn(body('echo', 'ts')))
    return expectEqual(await call('TS', 'hi'), ['ts main', 'hi'])
  })
  await check('.ts spawn spec on a pool thread under tsx', async () => {
    configurePool({ size: 1 })
    const got = expectEqual(await call(spawn(body('echo', 'ts'), { thread: 'pool' }), 'hi', { timeout: 60_000 }), [
      'ts pool',
      'hi',
    ])
    stopPool()
    return got
  })
} else {
  throw new Error(`checks.mjs: unknown mode ${mode}`)
}

if (mode !== 'peer') {
  writeFileSync(args[0], JSON.stringify(results))
  process.exit(0)
}
