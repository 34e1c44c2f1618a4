// What `bfly node` lets others do (issue 14, finding 7): --locked runs no
// one else's code (no SHELL, spawn and loadCode refused, no server upgraded
// to a module of a peer's choosing), --allow narrows the capabilities,
// --no-shell leaves out SHELL and only that, and code installed by loadCode
// lives in a folder only the node's user can open. Also: a peer's cast to
// SYSTEM-LOG cannot move the node's log file. Real `bfly node` processes.
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import test from 'ava'
import {
  call,
  cast,
  loadCode,
  RefusedError,
  registerServer,
  remoteService,
  spawn,
  UpgradeError,
  upgrade,
} from '../index.ts'
import { alive, type Guarded, startGuarded } from './guard.ts'
import { eventually } from './helpers.ts'
import { newCookie, SERVICES, thisNode } from './nodes.ts'

const BIN = fileURLToPath(new URL('../bin/bfly.mjs', import.meta.url))
const CLI_SERVICES = fileURLToPath(new URL('./fixtures/cli-services.ts', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'bfly-cli-policy-'))
const cookie = newCookie()
const cookieFile = join(dir, 'cookie')
writeFileSync(cookieFile, cookie, { mode: 0o600 })

interface CliNode {
  name: string
  g: Guarded
  logDir: string
}

let nodes = 0
/** `bfly node` with `flags`, registered here under its name. */
function bflyNode(flags: string[]): Promise<CliNode> {
  const name = `pol-${++nodes}-${process.pid}@127.0.0.1`
  const logDir = join(dir, `log-${nodes}`)
  const g = startGuarded([
    BIN,
    'node',
    '--name',
    name,
    '--listen',
    '127.0.0.1:0',
    '--cookie-file',
    cookieFile,
    '--services',
    CLI_SERVICES,
    '--log-dir',
    logDir,
    ...flags,
  ])
  return new Promise((resolve, reject) => {
    g.proc.once('exit', (code) => reject(new Error(`bfly node ${flags.join(' ')} exited (${code}): ${g.stderr()}`)))
    createInterface({ input: g.proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const m = /^bfly node (\S+) listening on (\S+)$/.exec(line)
      if (m === null) return
      registerServer(m[1], m[2])
      resolve({ name: `${m[1]}@${m[2]}`, g, logDir })
    })
  })
}
/** The node's name as this node knows it (without the address). */
const bare = (n: CliNode) => n.name.slice(0, n.name.lastIndexOf('@'))

/** Runs `bfly ...args` to its end with `input` on stdin. */
function bfly(args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, BFLY_HISTORY: join(dir, 'history') }, timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr }),
    )
    child.stdin?.end(input)
  })
}

const SOURCE = 'export const v2 = { handle: (_r, n) => ({ answer: "v2", state: n }) }'
const dataModule = (file: string) =>
  `data:text/javascript,import{writeFileSync}from'node:fs';writeFileSync(${JSON.stringify(file)},'ran');export const v2={}`

test.before(async () => {
  await thisNode(`pol-${process.pid}@127.0.0.1`, cookie)
})

test('bfly node --locked refuses loadCode, spawn, the shell and upgrades to a peer’s module', async (t) => {
  const n = await bflyNode(['--locked'])
  const name = bare(n)
  try {
    await t.throwsAsync(loadCode(name, { name: 'm', source: SOURCE }), { instanceOf: RefusedError })
    await t.throwsAsync(spawn({ module: SERVICES, fn: 'echo', args: [] }, { node: name }), {
      instanceOf: RefusedError,
    })
    const shell = await bfly(['shell', n.name, '--cookie-file', cookieFile], 'processCount()\n')
    t.not(shell.code, 0, 'bfly shell finds no SHELL')
    t.regex(shell.stderr, /SHELL/)
    const ran = join(dir, 'upgraded.ran')
    const e = await t.throwsAsync(
      upgrade(remoteService(name, { name: 'OBSERVER' }), { module: dataModule(ran), export: 'v2' }),
      { instanceOf: UpgradeError },
    )
    t.is((e?.cause as Error | undefined)?.name, 'RefusedError')
    t.false(existsSync(ran), 'the data: module was not imported')
    alive(t, n.g, 'the refused requests')
    t.is(await call(remoteService(name, { name: 'ECHO' }), 'still here', { timeout: 20_000 }), 'still here')
  } finally {
    n.g.proc.kill('SIGKILL')
  }
})

test('bfly node --allow exit,link refuses loadCode and spawn', async (t) => {
  const n = await bflyNode(['--allow', 'exit,link', '--modules', `${dirname(SERVICES)}/`])
  try {
    await t.throwsAsync(loadCode(bare(n), { name: 'm', source: SOURCE }), { instanceOf: RefusedError })
    await t.throwsAsync(spawn({ module: SERVICES, fn: 'echo', args: [] }, { node: bare(n) }), {
      instanceOf: RefusedError,
      message: /spawn/,
    })
  } finally {
    n.g.proc.kill('SIGKILL')
  }
})

test('bfly node --allow spawn --modules DIR/ lets peers spawn what is under DIR, and nothing else', async (t) => {
  const n = await bflyNode(['--allow', 'spawn', '--modules', `${dirname(SERVICES)}/`])
  try {
    const pid = await spawn({ module: SERVICES, fn: 'echo', args: [] }, { node: bare(n) })
    t.is(await call(pid, 'spawned', { timeout: 20_000 }), 'spawned')
    await t.throwsAsync(spawn({ module: BIN, fn: 'main', args: [] }, { node: bare(n) }), { instanceOf: RefusedError })
  } finally {
    n.g.proc.kill('SIGKILL')
  }
})

test('bfly node --no-shell leaves out SHELL only: loadCode works, into a folder only its user can open', async (t) => {
  const n = await bflyNode(['--no-shell'])
  try {
    const shell = await bfly(['shell', n.name, '--cookie-file', cookieFile], 'processCount()\n')
    t.not(shell.code, 0)
    const loaded = await loadCode(bare(n), { name: 'm', source: SOURCE })
    const file = fileURLToPath(loaded.url)
    t.is(statSync(file).mode & 0o077, 0, `${file} is not readable by group or others`)
    t.is(statSync(dirname(file)).mode & 0o077, 0, `${dirname(file)} is closed to group and others`)
    t.is(statSync(dirname(dirname(file))).mode & 0o777, 0o700, `the code folder ${dirname(dirname(file))} is 0700`)
    // Installed code may be named by an upgrade from a peer.
    await upgrade(remoteService(bare(n), { name: 'SINK' }), { module: loaded.url, export: 'v2' })
    t.is(await call(remoteService(bare(n), { name: 'SINK' }), 'x', { timeout: 20_000 }), 'v2')
  } finally {
    n.g.proc.kill('SIGKILL')
  }
})

test('bad policy flags are usage errors (exit 2)', async (t) => {
  const base = ['node', '--name', 'x@127.0.0.1', '--listen', '127.0.0.1:0', '--cookie-file', cookieFile]
  for (const flags of [
    ['--locked', '--allow', 'spawn'],
    ['--locked', '--allow', 'exit,code'],
    ['--allow', 'root'],
  ]) {
    const r = await bfly([...base, ...flags])
    t.is(r.code, 2, `${flags.join(' ')}: ${r.stderr}`)
    t.regex(r.stderr, /--allow|--locked/)
  }
})

test("a peer's cast to SYSTEM-LOG cannot move the node's log file", async (t) => {
  const n = await bflyNode(['--locked'])
  const elsewhere = join(dir, 'elsewhere')
  try {
    const syslog = remoteService(bare(n), { name: 'SYSTEM-LOG' })
    cast(syslog, ['config', { dir: elsewhere, file: 'moved.log' }])
    cast(syslog, ['info', Date.now(), ['written by a peer']])
    await call(syslog, 'flush', { timeout: 20_000 })
    t.false(existsSync(join(elsewhere, 'moved.log')), 'no file where the peer said')
    // A line that is not a list of arguments is dropped; SYSTEM-LOG lives on.
    cast(syslog, ['info', Date.now(), 'not a list'])
    await call(syslog, 'flush', { timeout: 20_000 })
    t.true(
      await eventually(() => {
        try {
          return readFileSync(join(n.logDir, 'bfly.log'), 'utf8').includes('written by a peer')
        } catch {
          return false
        }
      }),
      'the line went to the node’s own log',
    )
    alive(t, n.g, 'the casts')
  } finally {
    n.g.proc.kill('SIGKILL')
  }
})
