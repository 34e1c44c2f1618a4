// User messages to other nodes leave a thread in batches (src/nodes/outgoing.ts,
// crates/binding/src/cluster_batch.rs). What a sender sees must not change:
// what it sends before a call (or any other frame) arrives before it, a busy
// link still returns promises, and nothing is lost or reordered. The peer is
// its own OS process (fixtures/node.ts).
import test from 'ava'
import { call, type Pid, registerServer, remoteService, send, spawn } from '../index.ts'
import { next, run, tagged } from './helpers.ts'
import { newCookie, type Peer, SERVICES, startPeer, thisNode } from './nodes.ts'

const B = 'batch-b@127.0.0.1'
let peer: Peer

test.before(async () => {
  const cookie = newCookie()
  peer = await startPeer(B, cookie)
  await thisNode('batch-a@127.0.0.1', cookie)
  registerServer(B, peer.addr)
})

test.after.always(() => {
  peer?.proc.kill('SIGCONT')
  return peer?.kill()
})

test('messages queued before a call reach the service before the call, by name and by pid', async (t) => {
  await run(async () => {
    const pid = (await spawn({ module: SERVICES, fn: 'tally', args: ['TALLY'] }, { node: B })) as Pid
    const byName = remoteService(B, { name: 'TALLY' })
    // The name is registered once the tally runs: a call to its pid waits for that.
    t.deepEqual(await call(pid, 'count'), [0, true])
    for (let round = 1; round <= 3; round++) {
      // All in one job: the batch is still queued when the call's frame is sent.
      for (let i = 0; i < 1000; i++) send(byName, (round - 1) * 2000 + i)
      t.deepEqual(await call(byName, 'count'), [(round - 1) * 2000 + 1000, true], `round ${round} by name`)
      for (let i = 1000; i < 2000; i++) send(pid, (round - 1) * 2000 + i)
      t.deepEqual(await call(pid, 'count'), [round * 2000, true], `round ${round} by pid`)
    }
  })
})

test('a flood of small messages to a node that stops reading gets promises from the busy link; all arrive in order', async (t) => {
  const N = 150_000
  await run(async (p) => {
    await spawn({ module: SERVICES, fn: 'bulkSink', args: [p.self, 'SMALL', N, N] }, { node: B })
    t.not(await next(p, tagged('bulk-ready')), undefined)
    const sink = remoteService(B, { name: 'SMALL' })
    peer.proc.kill('SIGSTOP')
    const resume = setTimeout(() => peer.proc.kill('SIGCONT'), 500)
    let waited = 0
    const msg = new Uint8Array(100)
    try {
      for (let i = 0; i < N; i++) {
        msg[0] = i & 255
        msg[1] = (i >> 8) & 255
        msg[2] = (i >> 16) & 255
        const w = send(sink, msg)
        if (w !== undefined) {
          waited++
          await w
        }
      }
    } finally {
      clearTimeout(resume)
      peer.proc.kill('SIGCONT')
    }
    t.deepEqual(await next(p, tagged('bulk'), 20_000), ['bulk', N, true])
    t.true(waited > 0, 'some sends found the link busy and waited')
    t.log(`${waited} of ${N} sends waited for the link`)
  }, 30_000)
})
