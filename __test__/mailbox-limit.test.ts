// Bounded mailboxes (issue 9, part 1, local senders): p.limitMailbox.
import test from 'ava'
import { call, exit, MailboxFullError, type Pid, spawn, TIMEOUT } from '../index.ts'
import { deferred, isExitFrom, next, run, SHORT } from './helpers.ts'

/** A process that bounds its mailbox, reports ready, then waits for 'go'
 * (received selectively) and hands everything else to `sink` in order. */
function bounded(limit: number, full: 'wait' | 'error', sink: Pid) {
  const ready = deferred<void>()
  const pid = spawn(async (p) => {
    p.limitMailbox(limit, { full })
    ready.resolve()
    await p.receive((m) => m === 'go')
    for (;;) p.send(sink, await p.receive())
  })
  return { pid, ready: ready.promise }
}

test("full: 'error' refuses the send that finds the mailbox full; nothing is lost", async (t) => {
  await run(async (p) => {
    const b = bounded(3, 'error', p.self)
    await b.ready
    for (let i = 0; i < 3; i++) t.is(p.send(b.pid, i), undefined)
    const e = t.throws(() => p.send(b.pid, 3), { instanceOf: MailboxFullError })
    t.regex(e?.message ?? '', /limit of 3/)
    await t.throwsAsync(call(b.pid, 'x'), { instanceOf: MailboxFullError })
    p.send(b.pid, 'go')
    for (let i = 0; i < 3; i++) t.is(await next(p), i)
    p.send(b.pid, 3)
    t.is(await next(p), 3, 'room again once it received')
    exit(b.pid, 'kill')
  })
})

test("full: 'wait' makes a local sender wait; every message arrives once, in order", async (t) => {
  await run(async (p) => {
    const b = bounded(2, 'wait', p.self)
    await b.ready
    const waits: (Promise<void> | undefined)[] = []
    for (let i = 0; i < 5; i++) waits.push(p.send(b.pid, i))
    t.is(waits.filter((w) => w !== undefined).length, 3, 'three sends found it full')
    let released = 0
    for (const w of waits) w?.then(() => released++)
    await new Promise((r) => setTimeout(r, SHORT))
    t.is(released, 0, 'nobody is let go before the receiver takes anything')
    p.send(b.pid, 'go')
    for (let i = 0; i < 5; i++) t.is(await next(p), i)
    await Promise.all(waits)
    t.is(released, 3)
    exit(b.pid, 'kill')
  })
})

test('an awaiting sender never has more than the limit queued ahead of it', async (t) => {
  await run(async (p) => {
    const seen: number[] = []
    const got = deferred<void>()
    const limit = 4
    const slow = spawn(async (q) => {
      q.limitMailbox(limit)
      for (let i = 0; i < 200; i++) {
        seen.push(q.mailboxSize)
        t.is(await q.receive(), i)
        if (i % 10 === 0) await new Promise((r) => setTimeout(r, 1))
      }
      got.resolve()
    })
    for (let i = 0; i < 200; i++) await p.send(slow, i)
    await got.promise
    t.true(Math.max(...seen) <= limit + 1, `max queued ${Math.max(...seen)}`)
  })
})

test('a selective receive takes a message that waits beyond the limit (no deadlock)', async (t) => {
  await run(async (p) => {
    const hit = deferred<unknown>()
    const ready = deferred<void>()
    const r = spawn(async (q) => {
      q.limitMailbox(2)
      ready.resolve()
      await q.receive((m) => m === 'start')
      hit.resolve(await q.receive((m) => Array.isArray(m) && m[0] === 'hit', { timeout: 5000 }))
    })
    await ready.promise
    p.send(r, 'start')
    p.send(r, 'noise 1')
    p.send(r, 'noise 2')
    const w = p.send(r, ['hit', 1])
    t.deepEqual(await hit.promise, ['hit', 1])
    t.not(w, undefined)
    exit(r, 'kill')
  })
})

test("a flooded process still dies on exit(pid, 'kill') and still sees EXITs; its waiting senders go on", async (t) => {
  await run(async (p) => {
    p.trapExit(true)
    const ready = deferred<void>()
    const flooded = spawn(async (q) => {
      q.limitMailbox(1)
      q.trapExit(true)
      ready.resolve()
      await q.receive((x) => x === 'crash now')
      const link = q.spawnLink(async () => {
        throw new Error('linked crash')
      })
      // The EXIT arrives on the signal lane although user messages fill the mailbox.
      const m = await q.receive((x) => Array.isArray(x) && x[0] === 'EXIT', { timeout: 5000 })
      p.send(p.self, ['saw', m === TIMEOUT ? 'timeout' : ((m as unknown[])[2] as Error).message, String(link)])
      await q.receive((x) => x === 'never')
    })
    await ready.promise
    p.link(flooded)
    p.send(flooded, 'fill')
    const waiting = p.send(flooded, 'over')
    p.send(flooded, 'crash now')
    t.not(waiting, undefined)
    const saw = (await next(p, (m) => Array.isArray(m) && m[0] === 'saw')) as string[]
    t.is(saw[1], 'linked crash')
    exit(flooded, 'kill')
    t.is(((await next(p, isExitFrom(flooded))) as unknown[])[2], 'killed')
    await waiting
    t.pass('the waiting sender was let go when the process died')
  })
})

test('limitMailbox refuses bad limits and policies', async (t) => {
  await run(async (p) => {
    t.throws(() => p.limitMailbox(0), { instanceOf: RangeError })
    t.throws(() => p.limitMailbox(1.5), { instanceOf: RangeError })
    t.throws(() => p.limitMailbox(3, { full: 'drop' as 'wait' }), { instanceOf: TypeError })
    p.limitMailbox(Number.POSITIVE_INFINITY)
    t.pass()
  })
})
