// The `bfly` command, run as the real thing: every test starts bin/bfly.mjs
// as a child process, against real nodes started by `bfly node` in their
// own OS processes. Nothing is mocked.
import { type ChildProcess, execFile, execFileSync, spawn as spawnChild } from 'node:child_process'
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import test from 'ava'
import { complete } from '../src/cli/shell.ts'
import { startGuarded } from './guard.ts'

const BIN = fileURLToPath(new URL('../bin/bfly.mjs', import.meta.url))
const SERVICES = fileURLToPath(new URL('./fixtures/cli-services.ts', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'bfly-cli-'))

interface Ran {
  code: number
  stdout: string
  stderr: string
}

/** Runs `bfly ...args` to its end, with `input` on its stdin. */
function bfly(args: string[], input?: string): Promise<Ran> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, BFLY_HISTORY: join(dir, 'history') }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1
        resolve({ code, stdout, stderr })
      },
    )
    child.stdin?.end(input ?? '')
  })
}

interface Running {
  name: string
  addr: string
  proc: ChildProcess
  logDir: string
  ended: Promise<number | null>
}

const started = new Set<ChildProcess>()
// The shared node runs until every test is done (its pipes would keep this process alive).
test.after.always(() => {
  for (const p of started) p.kill('SIGKILL')
})

/** `bfly node` in its own process; resolves once it prints where it listens. */
function bflyNode(name: string, cookieFile: string): Promise<Running> {
  const logDir = join(dir, `log-${name}`)
  const args = ['node', '--name', name, '--listen', '127.0.0.1:0', '--cookie-file', cookieFile]
  const { proc, stderr } = startGuarded([BIN, ...args, '--services', SERVICES, '--log-dir', logDir])
  started.add(proc)
  const ended = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)))
  return new Promise((resolve, reject) => {
    ended.then((code) => reject(new Error(`bfly node exited (${code}) before listening: ${stderr()}`)))
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const m = /^bfly node (\S+) listening on (\S+)$/.exec(line)
      if (m !== null) resolve({ name: m[1], addr: m[2], proc, logDir, ended })
    })
  })
}

async function newCookieFile(name: string): Promise<string> {
  const file = join(dir, name)
  const r = await bfly(['cookie', '--out', file])
  if (r.code !== 0) throw new Error(`bfly cookie failed: ${r.stderr}`)
  return file
}

const cookieFile = newCookieFile('cookie')
const node = cookieFile.then((f) => bflyNode('cli-a@127.0.0.1', f))
/** The running node as the remote commands name it, and the cookie option. */
async function at(): Promise<string[]> {
  const n = await node
  return [`${n.name}@${n.addr}`, '--cookie-file', await cookieFile]
}

test('bfly cookie prints 32 random bytes in hex; --out writes a 0600 file and refuses to overwrite it', async (t) => {
  const [a, b] = await Promise.all([bfly(['cookie']), bfly(['cookie'])])
  t.is(a.code, 0)
  t.regex(a.stdout, /^[0-9a-f]{64}\n$/)
  t.not(a.stdout, b.stdout)
  const file = await cookieFile
  t.is(statSync(file).mode & 0o777, 0o600)
  t.regex(readFileSync(file, 'utf8'), /^[0-9a-f]{64}\n$/)
  const again = await bfly(['cookie', '--out', file])
  t.is(again.code, 2)
  t.is(again.stderr, `bfly cookie: ${file} exists; pass --force to replace it\n`)
  const forced = join(dir, 'forced')
  writeFileSync(forced, 'old', { mode: 0o644 })
  t.is((await bfly(['cookie', '--out', forced, '--force'])).code, 0)
  t.is(statSync(forced).mode & 0o777, 0o600)
  t.regex(readFileSync(forced, 'utf8'), /^[0-9a-f]{64}\n$/)
})

test('--help works for bfly and each subcommand', async (t) => {
  const names = ['cookie', 'node', 'ps', 'call', 'send', 'kill', 'shell', 'observer']
  const top = await bfly(['--help'])
  t.is(top.code, 0)
  for (const n of names) t.true(top.stdout.includes(`  ${n} `), n)
  const helps = await Promise.all(names.map((n) => bfly([n, '--help'])))
  helps.forEach((h, i) => {
    t.is(h.code, 0, names[i])
    t.true(h.stdout.startsWith(`Usage: bfly ${names[i]}`), names[i])
    t.true(h.stdout.includes('--help'), names[i])
  })
})

test('a bad invocation is one line on stderr and exit code 2', async (t) => {
  const [unknown, option, missing, listen] = await Promise.all([
    bfly(['frobnicate']),
    bfly(['cookie', '--bogus']),
    bfly(['call', 'x@127.0.0.1:1', 'ECHO']),
    cookieFile.then((f) => bfly(['node', '--name', 'x', '--listen', 'nowhere', '--cookie-file', f])),
  ])
  for (const r of [unknown, option, missing, listen]) {
    t.is(r.code, 2)
    t.is(r.stderr.split('\n').length, 2, r.stderr)
  }
  t.is(unknown.stderr, "bfly: unknown command 'frobnicate' (see bfly --help)\n")
  t.regex(option.stderr, /^bfly cookie: Unknown option '--bogus'/)
  t.regex(missing.stderr, /^bfly call: expected 3 arguments, got 2/)
  t.regex(listen.stderr, /^bfly node: cannot start node x on nowhere: .*host:port/)
})

test('bfly node prints where it listens; call, send and ps reach it', async (t) => {
  const n = await node
  t.regex(n.addr, /^127\.0\.0\.1:\d+$/)
  const target = await at()
  const echoed = await bfly(['call', ...target, 'ECHO', '{"a":[1,2]}', '--json'])
  t.is(echoed.stderr, '')
  t.is(echoed.stdout, '{"a":[1,2]}\n')
  const plain = await bfly(['call', ...target, 'ECHO', 'hello world'])
  t.is(plain.stdout, "'hello world'\n")
  const sent = await bfly(['send', ...target, 'SINK', '["note", 7]'])
  t.is(sent.code, 0, sent.stderr)
  t.is((await bfly(['call', ...target, 'SINK', 'list', '--json'])).stdout, '[["note",7]]\n')
  const noService = await bfly(['send', ...target, 'NOPE', '1'])
  t.is(noService.code, 1)
  t.is(noService.stderr, `bfly send: no service 'NOPE' is registered on ${n.name}\n`)
  const ps = await bfly(['ps', ...target])
  t.is(ps.code, 0, ps.stderr)
  t.regex(ps.stdout, new RegExp(`^node ${n.name} at ${n.addr}: \\d+ processes, \\d+ registered`))
  for (const name of ['SYSTEM-LOG', 'EXIT-MONITOR', 'KEEP-ALIVE', 'NODE-INFO', 'SHELL', 'ECHO', 'SINK'])
    t.true(ps.stdout.includes(name), name)
})

test('failures say what is wrong, in one line, with exit code 1 (a failure) or 2 (a usage error)', async (t) => {
  const n = await node
  const target = await at()
  const port = n.addr.split(':')[1]
  const [nope, negative, badJson, badJsonSend, range, inUse] = await Promise.all([
    bfly(['call', ...target, 'NOPE', '1']),
    bfly(['call', ...target, 'ECHO', '1', '--timeout', '-5']),
    bfly(['call', ...target, 'ECHO', '{bad json']),
    bfly(['send', ...target, 'SINK', '["unclosed"']),
    cookieFile.then((f) => bfly(['node', '--name', 'x@127.0.0.1', '--listen', '127.0.0.1:99999', '--cookie-file', f])),
    cookieFile.then((f) =>
      bfly(['node', '--name', 'y@127.0.0.1', '--listen', `127.0.0.1:${port}`, '--cookie-file', f]),
    ),
  ])
  t.is(nope.stderr, `bfly call: no service 'NOPE' is registered on ${n.name}\n`)
  t.is(nope.code, 1)
  t.is(negative.stderr, "bfly call: --timeout must be a positive number of milliseconds, got '-5'\n")
  t.is(negative.code, 2)
  for (const [r, cmd] of [
    [badJson, 'call'],
    [badJsonSend, 'send'],
  ] as const) {
    t.regex(
      r.stderr,
      new RegExp(`^bfly ${cmd}: MSG starts like JSON but is not valid JSON \\(.+\\); fix it, or send text`),
    )
    t.is(r.stderr.split('\n').length, 2, r.stderr)
    t.is(r.code, 2)
  }
  t.is(
    range.stderr,
    "bfly node: cannot start node x@127.0.0.1 on 127.0.0.1:99999: startNode: the port must be from 0 to 65535, got 99999 in '127.0.0.1:99999'\n",
  )
  t.is(range.code, 2)
  t.is(
    inUse.stderr,
    `bfly node: cannot start node y@127.0.0.1 on 127.0.0.1:${port}: cannot listen on 127.0.0.1:${port}: the address is in use (another process listens on that port)\n`,
  )
  t.is(inUse.code, 1)
  // Nothing was sent in place of the bad JSON.
  t.false((await bfly(['call', ...target, 'SINK', 'list', '--json'])).stdout.includes('unclosed'))
})

test('bfly kill kills a process ps lists; killing it again fails with one line', async (t) => {
  const target = await at()
  const info = JSON.parse((await bfly(['ps', ...target, '--json'])).stdout) as {
    processes: { pid: string; names: string[] }[]
  }
  const victim = info.processes.find((p) => p.names.includes('VICTIM'))
  if (victim === undefined) return t.fail('ps --json does not list VICTIM')
  const killed = await bfly(['kill', ...target, victim.pid])
  t.is(killed.stderr, '')
  t.is(killed.stdout, `${victim.pid} exited: 'killed'\n`)
  const after = JSON.parse((await bfly(['ps', ...target, '--json'])).stdout) as typeof info
  t.false(after.processes.some((p) => p.names.includes('VICTIM')))
  const again = await bfly(['kill', ...target, victim.pid])
  t.is(again.code, 1)
  t.is(again.stderr, `bfly kill: no process ${victim.pid} is alive\n`)
})

test('a wrong cookie gives one clear error line and a non-zero exit', async (t) => {
  const [name] = await at()
  const wrong = await newCookieFile('wrong-cookie')
  const r = await bfly(['ps', name, '--cookie-file', wrong, '--timeout', '3000'])
  t.is(r.code, 1)
  t.is(r.stderr.split('\n').length, 2, r.stderr)
  t.regex(r.stderr, /^bfly ps: .*unreachable/)
  t.notRegex(r.stderr, /\n\s+at /)
  const loose = join(dir, 'loose-cookie')
  writeFileSync(loose, `${'ab'.repeat(32)}\n`, { mode: 0o644 })
  const refused = await bfly(['ps', name, '--cookie-file', loose])
  t.is(refused.code, 2)
  t.regex(refused.stderr, /readable by others/)
})

test('a cookie file is checked for type, mode and size before it is read (never /dev/zero or a FIFO)', async (t) => {
  const fifo = join(dir, 'cookie-fifo')
  execFileSync('mkfifo', ['-m', '600', fifo])
  const big = join(dir, 'big-cookie')
  writeFileSync(big, Buffer.alloc(10 << 20, 0x61), { mode: 0o600 })
  const long = join(dir, 'long-cookie')
  writeFileSync(long, `${'ab'.repeat(32)}\n${' '.repeat(100)}x`, { mode: 0o600 })
  const cases: [string, RegExp][] = [
    [fifo, /is not a regular file/],
    ['/dev/zero', /is not a regular file/],
    [dir, /is not a regular file/],
    [big, /is 10485760 bytes; it must hold 64 hex characters/],
    [long, /must hold 64 hex characters/],
    [join(dir, 'missing'), /cannot read the cookie file .*ENOENT/],
  ]
  for (const [file, message] of cases) {
    const r = await bfly(['ps', 'a@127.0.0.1:1', '--cookie-file', file])
    t.is(r.code, 2, `${file}: ${r.stderr}`)
    t.regex(r.stderr, message, file)
  }
})

test('bfly shell evaluates in the node: arithmetic, API calls, top-level await, errors', async (t) => {
  const target = await at()
  const input = [
    '1 + 1',
    "registered().includes('VICTIM') || registered().includes('SINK')",
    "await call('ECHO', 'over the link')",
    'node.name',
    "const x = 40; console.log('printed', x + 2)",
    'x',
    'nope()',
    '[10,',
    '20].length',
    '',
  ].join('\n')
  const r = await bfly(['shell', ...target], input)
  t.is(r.code, 1, 'piped input with a failed line (nope()) exits 1')
  t.is(r.stderr, '')
  const out = r.stdout
  t.true(out.includes('2\n'))
  t.true(out.includes('true\n'))
  t.true(out.includes("'over the link'\n"))
  t.true(out.includes(`'${(await node).name}'\n`))
  t.true(out.includes('printed 42\n'))
  t.true(out.includes('40\n'))
  t.true(out.includes('Uncaught ReferenceError: nope is not defined\n    at shell:1:1\n'))
  t.true(out.includes('... 2\n'), 'a line continued on the next is evaluated whole')
})

test('a shell line that never ends is stopped by the node at its deadline; the shell and the next shells go on', async (t) => {
  const target = await at()
  const hung = await bfly(
    ['shell', ...target, '--timeout', '1500'],
    ['let x = 1', 'await new Promise(() => {})', 'x = 2', 'while (true) {}', 'x + 40', ''].join('\n'),
  )
  t.is(hung.code, 1, 'a line failed')
  const out = hung.stdout
  t.is(out.match(/Uncaught TimeoutError: the line did not finish within 1500 ms; it was stopped/g)?.length, 1, out)
  t.true(out.includes('Uncaught Error: Script execution timed out after 1500ms'), 'a busy loop is stopped too')
  t.true(out.includes('42\n'), 'the lines after them ran, in order')
  t.true(out.indexOf('TimeoutError') < out.indexOf('42\n'))
  // Before: every later shell of the node timed out. Now the SHELL service is free.
  const after = await bfly(['shell', ...target], '6 * 7\n')
  t.is(after.code, 0, after.stderr)
  t.true(after.stdout.includes('42\n'))
})

test('Ctrl-C (SIGINT) stops the line running on the node; the next line runs', async (t) => {
  const target = await at()
  const child = spawnChild(process.execPath, [BIN, 'shell', ...target], {
    env: { ...process.env, BFLY_HISTORY: join(dir, 'history') },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  const prompt = new Promise<void>((resolve) =>
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('> ')) resolve()
    }),
  )
  const ended = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  child.stdin?.end('await new Promise(() => {})\n3 * 3\n')
  await prompt
  // The first line goes out as soon as the prompt shows; give it time to be running on the node.
  await new Promise((r) => setTimeout(r, 1500))
  child.kill('SIGINT')
  t.is(await ended, 1, 'the interrupted line counts as failed')
  t.regex(out, /Interrupted\n/)
  t.regex(out, /9\n/)
  t.true(out.indexOf('Interrupted') < out.indexOf('9\n'))
})

test('the shell completes API names', (t) => {
  t.deepEqual(complete('await spawn')[0], ['spawn'])
  t.deepEqual(complete('x = registerSe'), [['registerServer', 'registerService'], 'registerSe'])
  t.true(complete('')[0].includes('startNode'))
})

test('SIGTERM stops bfly node cleanly: exit code 0, the log flushed', async (t) => {
  const n = await bflyNode('cli-b@127.0.0.1', await cookieFile)
  n.proc.kill('SIGTERM')
  t.is(await n.ended, 0)
  const log = readFileSync(join(n.logDir, 'bfly.log'), 'utf8')
  t.true(log.includes(`node ${n.name} stopping on SIGTERM`))
})
