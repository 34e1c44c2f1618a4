// Credit on the link (issue 9, part 1): a remote sender that floods a
// process whose mailbox is bounded and which takes nothing is slowed, per
// destination process, without stalling anything else on the link. The
// receiver is a separate OS process (fixtures/node.ts); this test process
// is the sending node, with a small window so the numbers stay small.
import test from 'ava'
import { call, exit, type Pid, type Process, registerServer, remoteService, send } from '../index.ts'
import { eventually, isExitFrom, next, run, tagged } from './helpers.ts'
import { newCookie, type Peer, SERVICES, startPeer, thisNode } from './nodes.ts'

const B = 'credit-b@127.0.0.1'
const C = 'credit-c@127.0.0.1'
const WINDOW = 16
const LIMIT = 10
const N = 200
let peer: Peer
let refuser: Peer

test.before(async () => {
  const cookie = newCookie()
  ;[peer, refuser] = await Promise.all([
    startPeer(B, cookie),
    startPeer(C, cookie, { creditWindow: WINDOW, remoteFull: 'error' }),
  ])
  await thisNode('credit-a@127.0.0.1', cookie, { creditWindow: WINDOW })
  registerServer(B, peer.addr)
  registerServer(C, refuser.addr)
  await call(remoteService(C, { name: 'CTL' }), ['registerServer', B, peer.addr])
})

test.after.always(() => Promise.all([peer?.kill(), refuser?.kill()]))

/** Sends 0..N-1 to `to`; counts the sends that returned promises and how
 * many of those have settled. */
function flood(to: Pid): { promised: number; settled: () => number; all: Promise<unknown> } {
  let settled = 0
  const waits: Promise<void>[] = []
  for (let i = 0; i < N; i++) {
    const r = send(to, i)
    if (r !== undefined)
      waits.push(
        r.then(() => {
          settled++
        }),
      )
  }
  return { promised: waits.length, settled: () => settled, all: Promise.all(waits) }
}

/** A gate on B (services.ts) linked to `p`, and its probe's size call. */
async function openGate(p: Process, limit: number): Promise<{ gate: Pid; size: () => Promise<number> }> {
  const gate = await p.spawnLink({ module: SERVICES, fn: 'gate', args: [p.self, limit, N] }, { node: B })
  const [, , probe] = (await next(p, tagged('gate'))) as [string, Pid, Pid]
  return { gate, size: () => call(probe, 'size') as Promise<number> }
}

test('a flooded bounded mailbox slows only its sender; all arrive once, in order; kill still kills', async (t) => {
  await run(async (p) => {
    p.trapExit(true)
    const { gate, size } = await openGate(p, LIMIT)
    // The first WINDOW sends go at once; the rest wait for credit.
    const f = flood(gate)
    t.is(f.promised, N - WINDOW)
    // The mailbox takes LIMIT (their credit comes back: LIMIT held sends go
    // and settle) and holds what else comes aside, with its credit.
    t.true(await eventually(() => f.settled() === LIMIT), `settled ${f.settled()}`)
    // The probe, another process behind the same link, answers all along
    // (calls to it are Send frames in its own window).
    let seen = await size()
    while (seen < LIMIT + WINDOW) seen = await size()
    t.is(seen, LIMIT + WINDOW, 'the receiving node holds at most the window beyond the limit')
    // Round trips later nothing more has moved: the promises stay pending.
    for (let i = 0; i < 5; i++) t.is(await size(), LIMIT + WINDOW)
    t.is(f.settled(), LIMIT)

    // Opened (an exit signal, which never waits for credit), the gate takes
    // all N, in order, exactly once; every promise settles.
    exit(gate, 'open')
    t.deepEqual(await next(p, tagged('counted'), 30_000), ['counted', N, true])
    await f.all
    t.is(f.settled(), N - WINDOW)
    t.is(await size(), 0)

    // Flooded again, `exit(pid, 'kill')` from this node kills it, this
    // linked process gets the EXIT, and the waiting sends settle.
    const g = flood(gate)
    t.true(await eventually(() => g.settled() === LIMIT))
    exit(gate, 'kill')
    t.deepEqual(await next(p, isExitFrom(gate)), ['EXIT', gate, 'killed'])
    await g.all
    t.is(g.settled(), N - WINDOW)
  }, 60_000)
})

test("a sender node with remoteFull: 'error' gets MailboxFullError past the window instead of a promise", async (t) => {
  await run(async (p) => {
    p.trapExit(true)
    const { gate } = await openGate(p, LIMIT)
    const out = await call(remoteService(C, { name: 'CTL' }), ['flood', gate, N])
    // C's link to B comes up while it floods, so credit the mailbox took
    // may come back during the loop: a window, plus at most LIMIT.
    const { now, waited, full } = out as { now: number; waited: number; full: number }
    t.true(now >= WINDOW && now <= WINDOW + LIMIT, `sent at once: ${now}`)
    t.is(waited, 0)
    t.is(full, N - now)
    exit(gate, 'kill')
    await next(p, isExitFrom(gate))
  })
})
