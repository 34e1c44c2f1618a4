// Names, local part (API.md, Names and nodes: registerService, unregisterService, whereis).
import test from 'ava'
import {
  call,
  exit,
  NameTakenError,
  NoSuchServiceError,
  type Pid,
  processCount,
  registerService,
  reply,
  send,
  spawn,
  unregisterService,
  whereis,
} from '../index.ts'
import { deferred, isDown, next, reasonOf, run, tagged, uniqueName, within } from './helpers.ts'

/** A process that forwards every message it receives to `to` as ['fwd', m]. */
function forwarder(to: Pid): Pid {
  return spawn(async (f) => {
    for (;;) {
      const m = await f.receive()
      if (Array.isArray(m) && m[0] === '$call') reply(m[1], ['answer', m[2]])
      else f.send(to, ['fwd', m])
    }
  })
}

test('registerService binds a name whereis finds; unregisterService frees it', (t) => {
  const name = uniqueName('svc')
  const pid = spawn(async (c) => {
    await c.receive()
  })
  t.is(whereis(name), undefined)
  registerService(name, pid)
  const found = whereis(name)
  t.true(found?.equals(pid) === true, `whereis gave ${String(found)}, expected ${pid}`)
  unregisterService(name)
  t.is(whereis(name), undefined)
  exit(pid, 'kill')
})

test('send and call by registered name reach the process', async (t) => {
  const name = uniqueName('svc')
  const got = await run(async (p) => {
    const pid = forwarder(p.self)
    registerService(name, pid)
    send(name, 'by name')
    p.send(name, 'by name from p')
    const a = await next(p, tagged('fwd'))
    const b = await next(p, tagged('fwd'))
    const answer = await call(name, 'q')
    const answerInside = await p.call(name, 'q2')
    exit(pid, 'kill')
    return [a, b, answer, answerInside]
  })
  t.deepEqual(got, [
    ['fwd', 'by name'],
    ['fwd', 'by name from p'],
    ['answer', 'q'],
    ['answer', 'q2'],
  ])
})

test('send to an unregistered name throws NoSuchServiceError naming the service (global send and p.send)', async (t) => {
  const name = uniqueName('nobody')
  const outside = t.throws(() => send(name, 'x'), { instanceOf: NoSuchServiceError })
  t.true(outside?.message.includes(name), `message should name the service: ${outside?.message}`)
  const inside = await run((p) => {
    try {
      p.send(name, 'x')
      return 'sent'
    } catch (err) {
      return err
    }
  })
  t.true(inside instanceof NoSuchServiceError, `p.send threw ${String(inside)}`)
})

test('after unregisterService, send to the name throws NoSuchServiceError', (t) => {
  const name = uniqueName('svc')
  const pid = spawn(async (c) => {
    await c.receive()
  })
  registerService(name, pid)
  t.notThrows(() => send(name, 'first'))
  unregisterService(name)
  t.throws(() => send(name, 'second'), { instanceOf: NoSuchServiceError })
  exit(pid, 'kill')
})

test('a registered name is freed when its process dies', async (t) => {
  const name = uniqueName('svc')
  const got = await run(async (p) => {
    const pid = spawn(async (c) => {
      await c.receive()
      throw new Error('dies')
    })
    registerService(name, pid)
    const before = whereis(name)?.equals(pid) === true
    const ref = p.monitor(pid)
    send(name, 'go')
    await next(p, isDown(ref))
    return [before, whereis(name)]
  })
  t.deepEqual(got, [true, undefined])
  t.throws(() => send(name, 'x'), { instanceOf: NoSuchServiceError })
})

test('a registered name is freed when its process is killed, and can be registered again', async (t) => {
  const name = uniqueName('svc')
  const got = await run(async (p) => {
    const first = spawn(async (c) => {
      await c.receive()
    })
    registerService(name, first)
    const ref = p.monitor(first)
    exit(first, 'kill')
    const reason = await reasonOf(p, ref)
    const freed = whereis(name)
    const second = forwarder(p.self)
    registerService(name, second)
    send(name, 'to second')
    const m = await next(p, tagged('fwd'))
    const now = whereis(name)?.equals(second) === true
    exit(second, 'kill')
    return [reason, freed, m, now]
  })
  t.deepEqual(got, ['killed', undefined, ['fwd', 'to second'], true])
})

test('a process can register itself and be found by name from outside', async (t) => {
  const name = uniqueName('self')
  const registered = deferred<Pid>()
  const pid = spawn(async (c) => {
    registerService(name, c.self)
    registered.resolve(c.self)
    const m = await c.receive()
    if (Array.isArray(m) && m[0] === '$call') reply(m[1], 'me')
  })
  await within(registered.promise, 'the process to register')
  t.true(whereis(name)?.equals(pid) === true)
  t.is(await call(name, 'who'), 'me')
})

test('spawn with opts.name registers in the same step; a taken name creates nothing', async (t) => {
  const name = uniqueName('born-named')
  await run(async (p) => {
    const a = spawn(
      async (q) => {
        await q.receive()
      },
      { name },
    )
    t.is(whereis(name), a, 'registered before spawn returned')
    const before = processCount()
    let ran = false
    const err = t.throws(
      () =>
        p.spawnLink(
          () => {
            ran = true
          },
          { name },
        ),
      { instanceOf: NameTakenError },
    )
    t.regex(err?.message ?? '', new RegExp(`'${name}' is already registered to ${a}`))
    t.is(processCount(), before, 'the refused spawn left no process')
    await new Promise((r) => setTimeout(r, 10))
    t.false(ran, 'its body never ran')
    t.throws(() => spawn(() => {}, { name: '' }), { instanceOf: TypeError })
    t.throws(() => spawn({ module: 'm', fn: 'f' }, { name, thread: 'pool' } as never), { instanceOf: TypeError })
    exit(a, 'kill')
    const b = p.spawnLink(
      async (q) => {
        await q.receive()
      },
      { name },
    )
    t.is(whereis(name), b, 'the name was free again after the exit')
    p.unlink(b)
    exit(b, 'kill')
  })
})
