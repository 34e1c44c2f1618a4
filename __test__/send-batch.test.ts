// User messages to other nodes leave a thread in batches (src/nodes/outgoing.ts,
// crates/binding/src/cluster_batch.rs). What a sender sees must not change:
// what it sends before a call (or any other frame) arrives before it, nothing
// lost or reordered (a busy link's promises: busy.test.ts). The peer is its
// own OS process (fixtures/node.ts).
import test from 'ava'
import { call, NoProcError, type Pid, registerServer, remoteService, send, spawn } from '../index.ts'
import { run } from './helpers.ts'
import { newCookie, type Peer, SERVICES, startPeer, thisNode } from './nodes.ts'

const B = 'batch-b@127.0.0.1'
let peer: Peer
let me: Awaited<ReturnType<typeof thisNode>>

test.before(async () => {
  const cookie = newCookie()
  peer = await startPeer(B, cookie)
  me = await thisNode('batch-a@127.0.0.1', cookie)
  registerServer(B, peer.addr)
})

test.after.always(() => peer?.kill())

test.serial('messages queued before a call reach the service before the call, by name and by pid', async (t) => {
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

test.serial('after node.stop(), in the same job, a send by name throws NoProcError as a direct one does', (t) => {
  const tally = remoteService(B, { name: 'TALLY' })
  t.is(send(tally, 'queued before the stop'), undefined)
  me.stop()
  t.throws(() => send(tally, 'after the stop'), { instanceOf: NoProcError })
})
