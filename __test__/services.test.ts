// The system services: EXIT-MONITOR, KEEP-ALIVE, SYSTEM-LOG.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import test from 'ava'
import {
  call,
  configureLog,
  exit,
  exitLog,
  flushLog,
  forgetKeepAlive,
  keepAlive,
  keepAliveStatus,
  log,
  logPrint,
  makeServer,
  type Pid,
  processInfo,
  RestartWindow,
  registerService,
  StartError,
  spawn,
  watchExits,
  whereis,
} from '../index.ts'
import { eventually, run, uniqueName } from './helpers.ts'

const made: string[] = []
/** A fresh temp directory, removed after the tests. */
function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix))
  made.push(d)
  return d
}
test.after.always(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true })
})

const logDir = tempDir('bfly-services-test-')
configureLog({ dir: logDir })

/** Every JSON line of every file in `dir`. */
function lines(dir: string): Record<string, unknown>[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

test('the three services run from the start, registered by name', (t) => {
  for (const name of ['EXIT-MONITOR', 'KEEP-ALIVE', 'SYSTEM-LOG']) t.truthy(whereis(name), name)
})

test.serial('a service that was killed is started again by its next client', async (t) => {
  for (const name of ['SYSTEM-LOG', 'EXIT-MONITOR']) {
    const old = whereis(name) as Pid
    await run(async (p) => {
      const ref = p.monitor(old)
      p.exit(old, 'kill')
      await p.receive((m) => Array.isArray(m) && m[0] === 'DOWN' && ref.equals(m[1]))
    })
    t.is(whereis(name), undefined)
  }
  const tag = uniqueName('revived')
  log('info', tag)
  await flushLog()
  t.true(
    lines(logDir).some((l) => l.msg === tag),
    'the new SYSTEM-LOG wrote the line to the same file',
  )
  const victim = spawn(async (p) => {
    await p.receive()
  })
  await watchExits(victim)
  exit(victim, 'gone')
  t.true(await eventually(() => whereis('EXIT-MONITOR') !== undefined))
  let recs = await exitLog({ pid: victim })
  for (let i = 0; recs.length === 0 && i < 50; i++) {
    await new Promise((r) => setTimeout(r, 10))
    recs = await exitLog({ pid: victim })
  }
  t.is(recs[0]?.reason, 'gone')
})

test('RestartWindow: the default heuristic allows 5 failures a minute and refuses the 6th (fake clock)', (t) => {
  let now = 0
  const w = new RestartWindow(5, 60_000, () => now)
  for (let i = 0; i < 5; i++) {
    now += 10_000
    t.true(w.allow(), `failure ${i + 1}`)
  }
  now += 9_999
  t.false(w.allow(), '6 failures within one minute')
  const spread = new RestartWindow(5, 60_000, () => now)
  for (let i = 0; i < 20; i++) {
    now += 12_001
    t.true(spread.allow(), 'never more than 5 in any minute')
  }
  t.throws(() => new RestartWindow(-1, 10), { instanceOf: RangeError })
})

test('EXIT-MONITOR records watched exits with pid, reason and time; queries filter', async (t) => {
  const before = Date.now()
  const a = spawn(async (p) => {
    await p.receive()
    throw new Error('watched crash')
  })
  await watchExits(a)
  exit(a, 'custom-reason')
  let recs = await exitLog({ pid: a })
  for (let i = 0; recs.length === 0 && i < 50; i++) {
    await new Promise((r) => setTimeout(r, 10))
    recs = await exitLog({ pid: a })
  }
  t.is(recs.length, 1)
  t.true(recs[0].pid.equals(a))
  t.is(recs[0].reason, 'custom-reason')
  t.true(recs[0].time >= before)
  t.true((await exitLog({ since: Date.now() + 60_000 })).length === 0)
  t.true((await exitLog({ limit: 1 })).length <= 1)
})

/** A service that answers 'ping' and crashes on 'crash'. */
const fragile = (name: string, starts: Pid[]) => () => {
  const pid = makeServer({
    handle: (req, s) => {
      if (req === 'crash') throw new Error(`${name} crashed`)
      return { answer: 'pong', state: s }
    },
  })
  starts.push(pid)
  return pid
}

async function crashKept(name: string): Promise<void> {
  const pid = whereis(name)
  if (pid === undefined) throw new Error(`${name} is not registered`)
  await run(async (p) => {
    const r = p.monitor(pid)
    await p.call(pid, 'crash').catch(() => {})
    await p.receive((m) => Array.isArray(m) && m[0] === 'DOWN' && r.equals(m[1]))
  })
  await keepAliveStatus(name) // answered after KEEP-ALIVE has handled the EXIT
}

test.serial(
  'keepAlive restarts and re-registers a crashed service; the default heuristic gives up on the 6th failure in a minute (fake clock)',
  async (t) => {
    const name = uniqueName('kept')
    const starts: Pid[] = []
    let now = 1_000_000
    const first = await keepAlive(name, fragile(name, starts), { now: () => now })
    t.true(whereis(name)?.equals(first))
    for (let i = 1; i <= 5; i++) {
      now += 5_000
      await crashKept(name)
      await eventually(() => starts.length === i + 1)
      const st = await keepAliveStatus(name)
      t.is(st?.failures, i)
      t.true(whereis(name)?.equals(starts[i]), `restart ${i} is registered under the name`)
    }
    now += 5_000
    await crashKept(name)
    t.is(await keepAliveStatus(name), null, 'given up')
    t.is(starts.length, 6)
    t.is(whereis(name), undefined)
    await flushLog()
    const why = lines(logDir).find((l) => String(l.msg).includes(`'${name}' failed more than 5 times within 60000 ms`))
    t.truthy(why, 'KEEP-ALIVE logged why it stopped')
    t.is(why?.level, 50)
  },
)

test('keepAlive with failures spread over more than a minute keeps restarting (fake clock)', async (t) => {
  const name = uniqueName('kept-slow')
  const starts: Pid[] = []
  let now = 0
  await keepAlive(name, fragile(name, starts), { now: () => now })
  for (let i = 1; i <= 8; i++) {
    now += 15_000
    await crashKept(name)
  }
  t.is(starts.length, 9)
  t.truthy(await keepAliveStatus(name))
  t.true(await forgetKeepAlive(name))
  t.is(await keepAliveStatus(name), null)
  t.truthy(whereis(name), 'forgetting leaves the service running')
})

test('keepAlive refuses bad arguments and a start that does not return a pid', async (t) => {
  await t.throwsAsync(
    keepAlive('', () => spawn(() => {})),
    { instanceOf: TypeError },
  )
  await t.throwsAsync(keepAlive('x', 1 as never), { instanceOf: TypeError })
  await t.throwsAsync(
    keepAlive('x', () => spawn(() => {}), { maxRestarts: -2 }),
    { instanceOf: RangeError },
  )
  await t.throwsAsync(
    keepAlive(uniqueName('np'), () => 42 as never),
    {
      instanceOf: StartError,
      message: /^keepAlive: service 'np-.*' failed to start: TypeError: start\(\) returned 42, not a Pid$/,
    },
  )
})

test('keepAlive: a start that throws rejects with a StartError naming the service; nothing is left running', async (t) => {
  const name = uniqueName('ka-fails')
  const cause = new Error('no database')
  const e = await t.throwsAsync(
    keepAlive(name, () => {
      throw cause
    }),
    { instanceOf: StartError },
  )
  t.is(e?.child, name)
  t.is(e?.cause, cause)
  t.is(e?.message, `keepAlive: service '${name}' failed to start: Error: no database`)
  t.is(await keepAliveStatus(name), null, 'not kept')
  t.is(whereis(name), undefined)
  // A started pid that cannot take the name (another process holds it) is stopped, not left running.
  const holder = spawn(async (p) => void (await p.receive()))
  registerService(name, holder)
  let started: Pid | undefined
  const taken = await t.throwsAsync(
    keepAlive(name, () => {
      started = spawn(async (p) => void (await p.receive()))
      return started
    }),
    { instanceOf: StartError },
  )
  t.regex(taken?.message ?? '', /the name is registered to <.*>, not to the started/)
  const info = started === undefined ? undefined : processInfo(started)
  t.is(info, undefined, 'the started process was stopped')
  exit(holder, 'kill')
})

test('keepAlive: a promise from start is refused; the service is registered when keepAlive resolves', async (t) => {
  const name = uniqueName('ka-async')
  await t.throwsAsync(
    keepAlive(name, () => Promise.resolve(spawn(() => {})) as never),
    { instanceOf: StartError, message: /start\(\) returned a promise/ },
  )
  const pid = await keepAlive(name, () => makeServer({ handle: (r: unknown, s) => ({ answer: r, state: s }) }))
  t.true(whereis(name)?.equals(pid))
  t.is(await call(name, 'at once'), 'at once')
  await forgetKeepAlive(name)
  exit(pid, 'kill')
})

test.serial('log rotation: many lines over small files, every line intact and present once', async (t) => {
  const dir = tempDir('bfly-rotate-test-')
  configureLog({ dir, size: '8K', maxFiles: 1000 })
  const N = 2000
  for (let i = 0; i < N; i++) log('info', 'line', i, { pad: 'x'.repeat(i % 50) })
  await flushLog()
  const files = readdirSync(dir)
  t.true(files.length > 2, `rotated into ${files.length} files`)
  const got = lines(dir).filter((l) => String(l.msg).startsWith('line '))
  const seen = new Set(got.map((l) => Number(String(l.msg).split(' ')[1])))
  t.is(got.length, N)
  t.is(seen.size, N)
  t.true(got.every((l) => l.level === 30 && typeof l.time === 'number' && l.node !== undefined))
  configureLog({ dir: logDir, size: '10M' })
})

test.serial('log rotation by time: an interval rotates the file, keeping every line', async (t) => {
  const dir = tempDir('bfly-rotate-time-test-')
  configureLog({ dir, interval: '1s' })
  log('info', 'before rotation')
  await flushLog()
  const rotated = () => readdirSync(dir).filter((f) => f.endsWith('.log')).length > 1
  t.true(await eventually(rotated, 10_000), 'a rotated file appeared')
  log('info', 'after rotation')
  await flushLog()
  t.deepEqual(
    lines(dir)
      .map((l) => l.msg)
      .sort(),
    ['after rotation', 'before rotation'],
  )
  configureLog({ dir: logDir, interval: '1d' })
})

test.serial('log from a worker thread reaches the main thread SYSTEM-LOG; workers start no services', async (t) => {
  const worker = new Worker(new URL('./fixtures/tsx-worker.mjs', import.meta.url), {
    workerData: { entry: new URL('./fixtures/thread-log.ts', import.meta.url).href },
  })
  try {
    t.is(await new Promise((res) => worker.once('message', res)), 1, 'one SYSTEM-LOG in the node')
    const found = async () => {
      await flushLog()
      return lines(logDir).some((l) => l.msg === 'from a worker thread { n: 1 }')
    }
    let ok = await found()
    for (let i = 0; !ok && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 20))
      ok = await found()
    }
    t.true(ok)
  } finally {
    await worker.terminate()
  }
})

test.serial('log writes errors with their stack; a bad level is a TypeError', async (t) => {
  const tag = uniqueName('err')
  log('error', tag, new RangeError('out of range'))
  await flushLog()
  const l = lines(logDir).find((x) => String(x.msg).startsWith(tag)) as { msg: string; err: { stack: string } }
  t.is(l.msg, `${tag} RangeError: out of range`)
  t.regex(l.err.stack, /RangeError: out of range/)
  t.throws(() => log('loud' as never, 'x'), { instanceOf: TypeError })
  t.throws(() => configureLog({ size: 3 as never }), { instanceOf: TypeError })
})

test.serial('background printing is off unless switched on, and can be switched off again', async (t) => {
  const printed: string[] = []
  const write = process.stderr.write
  process.stderr.write = ((chunk: string) => {
    printed.push(String(chunk))
    return true
  }) as typeof process.stderr.write
  try {
    const tag = uniqueName('print')
    log('info', `${tag} silent`)
    await flushLog()
    t.false(logPrint(true))
    log('info', `${tag} shown`)
    await flushLog()
    t.true(logPrint(false))
    log('info', `${tag} silent again`)
    await flushLog()
    const mine = printed.filter((p) => p.includes(tag))
    t.is(mine.length, 1)
    t.regex(mine[0], /INFO.*shown/)
  } finally {
    process.stderr.write = write
  }
})

test('the services never keep Node running: a program that uses them exits by itself', (t) => {
  const dir = tempDir('bfly-exit-test-')
  const program = `
    import { keepAlive, log, makeServer, supervisor, whereis } from './index.ts'
    log('info', 'hello from a child')
    await keepAlive('svc', () => makeServer({ handle: (r, s) => ({ answer: r, state: s }) }))
    supervisor({ children: [{ id: 'a', start: (sup) => makeServer({}, { link: sup }) }] })
    console.log(whereis('EXIT-MONITOR') !== undefined)
  `
  const r = spawnSync(process.execPath, ['--import=tsx', '--input-type=module', '-e', program], {
    cwd: process.cwd(),
    env: { ...process.env, BFLY_LOG_DIR: dir },
    encoding: 'utf8',
    timeout: 30_000,
  })
  t.is(r.status, 0, r.stderr)
  t.is(r.stdout.trim(), 'true')
  t.is(r.stderr, '', 'nothing printed unless asked')
})
