// Values (API.md, Values: Pid, Ref, messages passed by reference locally).
import test from 'ava'
import { Pid, Ref, spawn, TIMEOUT } from '../index.ts'
import { deferred, next, run, sameRef, within } from './helpers.ts'

test('a Pid has node (string), id (number), toString() as <node.id>, and equals', async (t) => {
  const [a, b, self] = await run((p) => {
    const a = spawn(() => undefined)
    const b = spawn(() => undefined)
    return [a, b, p.self]
  })
  t.true(a instanceof Pid)
  t.is(typeof a.node, 'string')
  t.is(typeof a.id, 'number')
  t.is(a.toString(), `<${a.node}.${a.id}>`)
  t.true(a.equals(a))
  t.false(a.equals(b))
  t.not(a.toString(), b.toString())
  t.false(a.equals(self))
})

test('p.self equals the pid spawn returned', async (t) => {
  const self = deferred<Pid>()
  const pid = spawn((p) => {
    self.resolve(p.self)
  })
  const seen = await within(self.promise, 'the process to start')
  t.true(seen.equals(pid))
  t.true(pid.equals(seen))
})

test('monitors give distinct Refs', async (t) => {
  const [a, b] = await run((p) => {
    const target = spawn(async (c) => {
      await c.receive()
    })
    const refs = [p.monitor(target), p.monitor(target)]
    p.send(target, 'go')
    return refs
  })
  t.true(a instanceof Ref)
  t.true(b instanceof Ref)
  t.false(a !== undefined && b !== undefined && sameRef(a, b))
})

test('locally a message is passed by reference (the same object arrives)', async (t) => {
  const msg = { payload: [1, 2, 3], fn: () => 'functions are fine locally' }
  const got = await run(async (p) => {
    spawn((s) => {
      s.send(p.self, msg)
    })
    return next(p)
  })
  t.is(got, msg)
})

test('a pid sent in a message equals the original', async (t) => {
  const got = await run(async (p) => {
    const other = spawn(() => undefined)
    p.send(p.self, ['pid', other])
    const m = await next(p)
    return [other, Array.isArray(m) ? m[1] : undefined]
  })
  const [original, received] = got
  t.true(original instanceof Pid && original.equals(received))
})

test('TIMEOUT is a symbol', (t) => {
  t.is(typeof TIMEOUT, 'symbol')
})
