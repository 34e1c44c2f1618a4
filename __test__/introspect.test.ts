// processes() / processInfo(): what a process looks like from outside,
// read without disturbing it (OTP's process_info).
import test from 'ava'
import {
  makeServer,
  Pid,
  processes,
  processInfo,
  registerService,
  send,
  spawn,
  supervisor,
  TIMEOUT,
  whichChildren,
} from '../index.ts'
import { eventually, run, uniqueName } from './helpers.ts'

const idle = () =>
  spawn(async (p) => {
    await p.receive(() => false)
  })

test('a fresh process: no messages, waiting in receive, its names, and what it queues', async (t) => {
  const name = uniqueName('INFO')
  const pid = idle()
  registerService(name, pid)
  t.true(await eventually(() => processInfo(pid)?.status === 'waiting'))
  const before = processInfo(pid)
  t.truthy(before)
  t.deepEqual(before?.names, [name])
  t.is(before?.mailbox, 0)
  t.is(before?.handled, 0)
  t.is(before?.kind, 'process')
  t.false(before?.trapExit)
  for (let i = 0; i < 5; i++) send(pid, { big: 'x'.repeat(10_000), i })
  const after = processInfo(pid)
  t.is(after?.mailbox, 5, 'queued user messages (none matches its receive)')
  t.true((after?.memory ?? 0) > (before?.memory ?? 0) + 5 * 10_000, 'memory counts the queued messages')
  t.true(processes().some((p) => p.pid.equals(pid)))
})

test('handled counts messages taken by receive, both when queued and when awaited', async (t) => {
  const pid = spawn(async (p) => {
    for (;;) if ((await p.receive()) === 'stop') return
  })
  send(pid, 'a')
  send(pid, 'b')
  t.true(await eventually(() => processInfo(pid)?.handled === 2))
  await new Promise((r) => setTimeout(r, 10))
  send(pid, 'c')
  t.true(await eventually(() => processInfo(pid)?.handled === 3))
  send(pid, 'stop')
  t.true(await eventually(() => processInfo(pid) === undefined), 'undefined once it has exited')
})

test('links, monitors both ways and trapExit are reported', async (t) => {
  await run(async (p) => {
    p.trapExit(true)
    const a = p.spawnLink(async (q) => {
      await q.receive(() => false)
    })
    const b = idle()
    const ref = p.monitor(b)
    const me = processInfo(p.self)
    t.true(me?.trapExit)
    t.is(me?.status, 'running', 'it is running now: this very code')
    t.deepEqual(me?.links.map(String), [String(a)])
    t.deepEqual(me?.monitors.map(String), [String(b)])
    t.deepEqual(processInfo(b)?.monitoredBy.map(String), [String(p.self)])
    t.deepEqual(processInfo(a)?.links.map(String), [String(p.self)])
    p.demonitor(ref)
    t.deepEqual(processInfo(b)?.monitoredBy, [])
    p.exit(a, 'kill')
    p.exit(b, 'kill')
    t.not(await p.receive((m) => Array.isArray(m) && m[0] === 'EXIT', { timeout: 5000 }), TIMEOUT)
    t.is(processInfo(p.self)?.signals, 0)
  })
})

test('kind tells supervisors and servers apart, so a tool can ask only supervisors whichChildren', async (t) => {
  const server = makeServer({ handle: (_r, s) => ({ answer: 1, state: s }) })
  const sup = supervisor({ children: [{ id: 'w', start: (s) => s.spawnLink(async (q) => q.receive(() => false)) }] })
  t.is(processInfo(server)?.kind, 'server')
  t.is(processInfo(sup)?.kind, 'supervisor')
  const [child] = await whichChildren(sup)
  t.is(processInfo(child.pid as Pid)?.kind, 'process')
})

test('bad input: a TypeError naming the problem', (t) => {
  t.throws(() => processInfo('<a.1>' as unknown as Pid), { instanceOf: TypeError, message: /expected a Pid/ })
  t.throws(() => processInfo(new Pid('elsewhere@host', 3)), { instanceOf: TypeError, message: /lives on node/ })
  t.is(processInfo(new Pid('nonode@nohost', 2 ** 40)), undefined, 'a pid never alive')
})
