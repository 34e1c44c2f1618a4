// makeServer, cast, stopServer and upgrade (API.md "Servers, supervisors and system services").
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import test from 'ava'
import {
  BadReturnError,
  call,
  cast,
  decode,
  type From,
  makeServer,
  NameTakenError,
  NoProcError,
  NotPortableError,
  type Pid,
  processCount,
  reply,
  type ServerHandlers,
  send,
  spawn,
  stopServer,
  TimeoutError,
  UpgradeError,
  upgrade,
  whereis,
} from '../index.ts'
import { installCode } from '../src/nodes/code.ts'
import { deferred, isDown, isExitFrom, next, reasonOf, run, SHORT, uniqueName } from './helpers.ts'

// installCode writes under BFLY_CODE_DIR: a temp directory of this test run.
const codeDir = mkdtempSync(join(tmpdir(), 'bfly-code-test-'))
process.env.BFLY_CODE_DIR = codeDir
test.after.always(() => rmSync(codeDir, { recursive: true, force: true }))

const counter: ServerHandlers<number, number, number, number> = {
  init: (start) => start,
  handle: (n, s) => ({ answer: s + n, state: s + n }),
  cast: (n, s) => ({ state: s + (n as number) }),
}

test('init gives the state; handle answers and keeps the new state; a name reaches it', async (t) => {
  const name = uniqueName('counter')
  const pid = makeServer(counter, { args: 10, name })
  t.true(whereis(name)?.equals(pid))
  t.is(await call(name, 1), 11)
  t.is(await call(pid, 5), 16)
})

test('the seed echo server: no init, handle answers the message', async (t) => {
  const pid = makeServer({ handle: (msg, state) => ({ answer: msg, state }) })
  t.is(await call(pid, 'Hello'), 'Hello')
})

test('cast is handled in order with calls; info gets plain messages', async (t) => {
  const seen: unknown[] = []
  const pid = makeServer({
    init: () => 0,
    handle: (_r, s: number) => ({ answer: s, state: s }),
    cast: (n, s: number) => ({ state: s + (n as number) }),
    info: (m, s: number) => {
      seen.push(m)
      return { state: s }
    },
  })
  cast(pid, 2)
  send(pid, 'hello')
  cast(pid, 3)
  t.is(await call(pid, 'get'), 5)
  t.deepEqual(seen, ['hello'])
  t.throws(() => cast(pid, undefined), { instanceOf: TypeError })
})

test('an omitted answer defers the reply: reply(from, v) later answers the caller', async (t) => {
  const pid = makeServer({
    init: (): From[] => [],
    handle: (req, waiting: From[], from) =>
      req === 'release' ? { answer: waiting.length, state: [] } : { state: [...waiting, from] },
    info: (m, waiting: From[]) => {
      for (const f of waiting) reply(f, `released ${String(m)}`)
      return { state: [] }
    },
  })
  const a = call(pid, 'wait')
  const b = call(pid, 'wait')
  send(pid, 'go')
  t.deepEqual(await Promise.all([a, b]), ['released go', 'released go'])
})

test('a handler that throws ends the server with that error; terminate runs; callers and links see it', async (t) => {
  const terminated = deferred<unknown>()
  const err = await run(async (p) => {
    p.trapExit(true)
    const pid = makeServer(
      {
        handle: () => {
          throw new RangeError('bad request')
        },
        terminate: (reason) => terminated.resolve(reason),
      },
      { link: p },
    )
    const e = await call(pid, 'x').catch((e: unknown) => e)
    const exitMsg = (await next(p, isExitFrom(pid))) as unknown[]
    return { e, reason: exitMsg[2] }
  })
  t.true(err.e instanceof NoProcError)
  t.regex((err.e as Error).message, /RangeError: bad request/)
  t.true(err.reason instanceof RangeError)
  t.is(await terminated.promise, err.reason)
})

test('a handler that never returns: call rejects with TimeoutError; the late reply is dropped', async (t) => {
  const stuck = makeServer({ handle: () => new Promise<never>(() => {}) })
  await t.throwsAsync(call(stuck, 'x', { timeout: 20 }), { instanceOf: TimeoutError })

  // A deferred reply that comes after the caller gave up never lands in its mailbox.
  const late = makeServer({
    init: (): From | null => null,
    handle: (req, s: From | null, from) => (req === 'later' ? { state: from } : { answer: 'ok', state: s }),
    cast: (_m, s: From | null) => {
      if (s !== null) reply(s, 'too late')
      return { state: null }
    },
  })
  const left = await run(async (p) => {
    await t.throwsAsync(p.call(late, 'later', { timeout: 20 }), { instanceOf: TimeoutError })
    cast(late, 'now')
    t.is(await p.call(late, 'ping'), 'ok', 'the server goes on')
    return p.receive(undefined, { timeout: SHORT })
  })
  t.is(typeof left, 'symbol', 'no stray reply arrived')
})

test('a malformed return ends the server with a BadReturnError naming the handler', async (t) => {
  for (const [which, send] of [
    ['handle', (pid: ReturnType<typeof makeServer>) => call(pid, 1).catch(() => {})],
    ['cast', (pid: ReturnType<typeof makeServer>) => cast(pid, 1)],
    ['info', (pid: ReturnType<typeof makeServer>) => spawn((p) => p.send(pid, 1))],
  ] as const) {
    const reason = await run(async (p) => {
      const pid = makeServer({ [which]: () => ({ answer: 1 }) } as ServerHandlers)
      const ref = p.monitor(pid)
      send(pid)
      return reasonOf(p, ref)
    })
    t.true(reason instanceof BadReturnError, which)
    t.is((reason as BadReturnError).handler, which)
    t.regex((reason as Error).message, new RegExp(`'${which}' returned \\{"answer":1\\}`))
  }
})

test('a call without a handle handler ends the server with a TypeError saying so', async (t) => {
  const pid = makeServer({ cast: (_m, s) => ({ state: s }) })
  const e = await call(pid, 1).catch((e: unknown) => e)
  t.true(e instanceof NoProcError)
  t.regex((e as Error).message, /no handle\(request, state, from\)/)
})

test('bad handlers, options and taken names are refused before anything starts', (t) => {
  const before = processCount()
  t.throws(() => makeServer(null as unknown as ServerHandlers), { instanceOf: TypeError })
  t.throws(() => makeServer({ handle: 42 } as unknown as ServerHandlers), {
    message: /handlers.handle must be a function/,
  })
  t.throws(() => makeServer(counter, { name: '' }), { instanceOf: TypeError })
  t.throws(() => makeServer(counter, { link: true } as never), { message: /spawning Process/ })
  const name = uniqueName('taken')
  makeServer(counter, { name, args: 0 })
  t.throws(() => makeServer(counter, { name }), { instanceOf: NameTakenError })
  t.is(processCount(), before + 1)
})

test('stop from a handler or stopServer runs terminate and exits with the reason', async (t) => {
  const reasons = await run(async (p) => {
    const ended: unknown[] = []
    const h: ServerHandlers<null> = {
      handle: (r, s) => ({ answer: 'bye', state: s, stop: r }),
      terminate: (reason) => ended.push(reason),
    }
    const a = makeServer(h)
    const ra = p.monitor(a)
    t.is(await call(a, 'done'), 'bye')
    const b = makeServer(h)
    const rb = p.monitor(b)
    await stopServer(b)
    return [await reasonOf(p, ra), await reasonOf(p, rb), ended]
  })
  t.deepEqual(reasons, ['done', 'normal', ['done', 'normal']])
})

test('with trapExit, the link parent exiting ends the server through terminate', async (t) => {
  const ended = deferred<unknown>()
  let server: ReturnType<typeof makeServer> | undefined
  const parent = spawn(async (p) => {
    server = makeServer({ terminate: (r) => ended.resolve(r) }, { link: p, trapExit: true })
    await p.receive()
    throw new Error('parent died')
  })
  await new Promise((r) => setImmediate(r))
  send(parent, 'die')
  const r = await ended.promise
  t.regex(String(r), /parent died/)
  t.truthy(server)
})

test('upgrade under load: 10,000 calls in flight across an upgrade are all answered, in order, state migrated', async (t) => {
  const v1: ServerHandlers<{ count: number }, [number, number]> = {
    init: () => ({ count: 0 }),
    handle: ([c, i], s) => ({ answer: ['v1', c, i, s.count], state: { count: s.count + 1 } }),
  }
  const v2: ServerHandlers<{ total: number; migrated: true }, [number, number]> = {
    codeChange: (old) => ({ total: (old as { count: number }).count, migrated: true }),
    handle: ([c, i], s) => ({ answer: ['v2', c, i, s.total], state: { ...s, total: s.total + 1 } }),
  }
  const pid = makeServer(v1)
  const calls: Promise<unknown>[] = []
  let swapped: Promise<void> | undefined
  for (let k = 0; k < 10_000; k++) {
    if (k === 5_000) swapped = upgrade(pid, v2)
    calls.push(call(pid, [k % 10, Math.floor(k / 10)], { timeout: 30_000 }))
  }
  await swapped
  const answers = (await Promise.all(calls)) as [string, number, number, number][]
  t.is(answers.length, 10_000)
  const lastSeq = new Array(10).fill(-1)
  let inOrder = true
  answers.forEach(([version, c, i, n], k) => {
    if (version !== (k < 5_000 ? 'v1' : 'v2') || n !== k || i !== lastSeq[c] + 1) inOrder = false
    lastSeq[c] = i
  })
  t.true(inOrder, 'v1 before the upgrade, v2 after, the count carried over, each caller in order')
})

test('upgrade to a { module, export } spec imports the handlers', async (t) => {
  const pid = makeServer(counter, { args: 1 })
  await upgrade(pid, { module: new URL('./fixtures/server-v2.ts', import.meta.url).href, export: 'doubler' })
  t.deepEqual(await call(pid, 5), ['v2', 10, 1])
})

test('a server on another thread is upgraded by { module, export }; handlers objects cannot travel', async (t) => {
  const worker = new Worker(new URL('./fixtures/tsx-worker.mjs', import.meta.url), {
    workerData: { entry: new URL('./fixtures/thread-server.ts', import.meta.url).href },
  })
  try {
    const pid = decode(await new Promise<Uint8Array>((res) => worker.once('message', res))) as Pid
    t.is(await call(pid, 2), 3)
    await t.throwsAsync(upgrade(pid, counter), { instanceOf: NotPortableError })
    await upgrade(pid, { module: new URL('./fixtures/server-v2.ts', import.meta.url).href, export: 'doubler' })
    t.deepEqual(await call(pid, 5), ['v2', 10, 1])
  } finally {
    await worker.terminate()
  }
})

test('installCode writes versioned files and upgrade switches a server to them', async (t) => {
  const name = uniqueName('mod')
  const source = (tag: string) =>
    `export const handlers = { handle: (r, s) => ({ answer: '${tag}:' + r + ':' + s, state: s }) }\n`
  const one = await installCode({ name, source: source('one') })
  const two = await installCode({ name, source: source('two') })
  t.is(one.version, 1)
  t.is(two.version, 2)
  t.not(one.url, two.url)
  t.is(typeof one.exports.handlers, 'object')
  const pid = makeServer(counter, { args: 7 })
  await upgrade(pid, { module: one.url, export: 'handlers' })
  t.is(await call(pid, 'a'), 'one:a:7')
  await upgrade(pid, { module: two.url, export: 'handlers' })
  t.is(await call(pid, 'b'), 'two:b:7')
  await t.throwsAsync(installCode({ name: '../escape', source: '' }), { instanceOf: TypeError })
  await t.throwsAsync(installCode({ name, source: 42 as unknown as string }), { instanceOf: TypeError })
  await t.throwsAsync(installCode({ name, source: 'export const = ;' }), { instanceOf: SyntaxError })
})

test('a failed upgrade rejects with UpgradeError and leaves the server as it was', async (t) => {
  const pid = makeServer(counter, { args: 3 })
  const bad = {
    codeChange: () => {
      throw new Error('cannot migrate')
    },
  }
  await t.throwsAsync(upgrade(pid, bad), { instanceOf: UpgradeError, message: /cannot migrate/ })
  const missing = { module: new URL('./fixtures/server-v2.ts', import.meta.url).href, export: 'nope' }
  await t.throwsAsync(upgrade(pid, missing), { instanceOf: UpgradeError, message: /no export 'nope'/ })
  await t.throwsAsync(upgrade(pid, { handle: 1 } as never), { instanceOf: TypeError })
  t.is(await call(pid, 1), 4, 'old handlers, old state')
  const raw = spawn(async (p) => {
    const m = (await p.receive()) as ['$call', From, unknown]
    reply(m[1], 'whatever')
  })
  await t.throwsAsync(upgrade(raw, counter), { instanceOf: UpgradeError, message: /not a makeServer server/ })
})

test('a killed server does not run terminate', async (t) => {
  let ran = false
  await run(async (p) => {
    const pid = makeServer({ terminate: () => (ran = true) })
    const ref = p.monitor(pid)
    await new Promise((r) => setImmediate(r))
    p.exit(pid, 'kill')
    t.is(await reasonOf(p, ref), 'killed')
    t.true(isDown(ref)(['DOWN', ref, pid, 'killed']))
  })
  t.false(ran)
})
