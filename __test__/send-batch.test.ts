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

test.serial('runs to several names and pids, one name across full batches: each in order, none lost', async (t) => {
  await run(async () => {
    const names = ['TALLY-X', 'TALLY-Y']
    const pids: Pid[] = []
    for (const name of names)
      pids.push((await spawn({ module: SERVICES, fn: 'tally', args: [name] }, { node: B })) as Pid)
    for (const pid of pids) t.deepEqual(await call(pid, 'count'), [0, true])
    const [x, y] = names.map((name) => remoteService(B, { name }))
    const sent = [0, 0]
    // A message to the name of the message before it carries no name (src/nodes/outgoing.ts): runs of one name
    // broken by the other name and by a pid of the same service, and one run longer than a batch holds (4,096),
    // so a batch starts inside it.
    const to = (i: number, dest: typeof x | Pid): void => {
      send(dest, sent[i]++)
    }
    for (let i = 0; i < 10; i++) to(0, x)
    for (let i = 0; i < 3; i++) to(1, y)
    to(0, x)
    to(0, pids[0] as Pid)
    for (let i = 0; i < 5; i++) to(0, x)
    for (let i = 0; i < 9000; i++) to(1, y)
    to(0, x)
    // One too large for the batch between two small ones to the other name: it goes directly, and the small one
    // after it is still for its own name.
    send(y, ['padded', sent[1]++, new Uint8Array(16 << 10)])
    to(1, y)
    to(0, x)
    to(1, y)
    t.deepEqual(await call(x, 'count'), [sent[0], true])
    t.deepEqual(await call(y, 'count'), [sent[1], true])
  })
})

test.serial(
  'a getter that links or sends while its message is written into the batch: each once, in order',
  async (t) => {
    await run(async (p) => {
      const pid = (await spawn({ module: SERVICES, fn: 'tally', args: ['TALLY-G'] }, { node: B })) as Pid
      t.deepEqual(await call(pid, 'count'), [0, true])
      const byName = remoteService(B, { name: 'TALLY-G' })
      let sent = 0
      // Messages after the first of a run are written straight into the batch (src/nodes/outgoing.ts
      // `queueEncoded`); a getter inside one runs while that write is under way. Each getter acts once: a
      // message that gives up on the fast way is encoded again.
      for (const dest of [pid, byName]) {
        for (let i = 0; i < 5; i++) send(dest, sent++)
        // A link hands the batch over under the write: what it held goes once, and this message after it.
        let linked = false
        const link = {
          get x(): number {
            if (!linked) {
              linked = true
              p.link(pid)
            }
            return 1
          },
        }
        send(dest, ['padded', sent++, link])
        for (let i = 0; i < 5; i++) send(dest, sent++)
        // A send from the getter goes before the message being written.
        const first = sent++
        let fired = false
        const nested = {
          get x(): number {
            if (!fired) {
              fired = true
              send(dest, first)
            }
            return 1
          },
        }
        send(dest, ['padded', sent++, nested])
        for (let i = 0; i < 5; i++) send(dest, sent++)
      }
      t.deepEqual(await call(pid, 'count'), [sent, true])
      p.unlink(pid)
    })
  },
)

test.serial('a run of messages too large for the batch: each written once, all in order', async (t) => {
  await run(async (p) => {
    const pid = (await spawn({ module: SERVICES, fn: 'tally', args: ['TALLY-L'] }, { node: B })) as Pid
    t.deepEqual(await call(pid, 'count'), [0, true])
    const byName = remoteService(B, { name: 'TALLY-L' })
    // ~15 KiB of small objects: past the batch's 8 KiB, found only while writing it.
    const rows = Array.from({ length: 400 }, (_, i) => ({ id: i, name: `row ${i}`, tags: ['a', 'b'], v: i / 3 }))
    let sent = 0
    for (const dest of [pid, byName]) {
      for (let i = 0; i < 5; i++) send(dest, sent++)
      const reads: number[] = []
      for (let i = 0; i < 4; i++) {
        const counted = {
          get rows(): typeof rows {
            reads[i] = (reads[i] ?? 0) + 1
            return rows
          },
        }
        send(dest, ['padded', sent++, counted])
      }
      // The first was written into the batch until it passed 8 KiB, then again; the others once
      // (src/nodes/outgoing.ts `large`). By name, the direct send of the first hands the batch over, so the
      // others would not take the fast way anyway: that half checks only what arrives.
      t.deepEqual(
        reads.slice(1),
        [1, 1, 1],
        `reads of each large message's getter, to ${dest === pid ? 'the pid' : 'the name'}`,
      )
      for (let i = 0; i < 5; i++) send(dest, sent++)
      // The fast way is back: a link from a getter hands the batch over under that write, which then gives up,
      // and the message is written again the general way.
      let linked = false
      let linkReads = 0
      const link = {
        get x(): number {
          linkReads++
          if (!linked) {
            linked = true
            p.link(pid)
          }
          return 1
        },
      }
      send(dest, ['padded', sent++, link])
      t.is(
        linkReads,
        2,
        `a small message after the run is tried in the batch first, to ${dest === pid ? 'the pid' : 'the name'}`,
      )
      p.unlink(pid)
    }
    t.deepEqual(await call(pid, 'count'), [sent, true])
  })
})

test.serial('after node.stop(), in the same job, a send by name throws NoProcError as a direct one does', (t) => {
  const tally = remoteService(B, { name: 'TALLY' })
  t.is(send(tally, 'queued before the stop'), undefined)
  me.stop()
  t.throws(() => send(tally, 'after the stop'), { instanceOf: NoProcError })
})
