// A busy node link pushes back on its senders (issue 18, "nothing lost"):
// a process that streams by name far more than a link may queue
// (maxQueuedBytes, 64 MiB) to a node that stops reading, and awaits what
// `send` returns, is held while the link is busy instead of losing it.
// The receiver is its own OS process (fixtures/node.ts), stopped with
// SIGSTOP for a while: nothing reads its socket then. Without the
// backpressure, the sender's queue passes its bound and the link is lost
// with what was in it. A receiving thread slower than the link reads it
// only as fast as it drains (crates/binding/src/pace.rs), so it holds its
// senders back the same way.
import test from 'ava'
import { type RemoteService, registerServer, remoteService, send, spawn } from '../index.ts'
import { next, run, tagged } from './helpers.ts'
import { newCookie, type Peer, SERVICES, startPeer, thisNode } from './nodes.ts'

const B = 'busy-b@127.0.0.1'
const SIZE = 64 << 10
/** 125 MiB in all, about twice the link's bound. */
const N = 2000
const PAUSE_MS = 1000
let peer: Peer
let me: Awaited<ReturnType<typeof thisNode>>

test.before(async () => {
  const cookie = newCookie()
  peer = await startPeer(B, cookie)
  me = await thisNode('busy-a@127.0.0.1', cookie)
  registerServer(B, peer.addr)
})

test.after.always(() => {
  peer?.proc.kill('SIGCONT')
  return peer?.kill()
})

/** Sends `n` messages of `size` bytes (u32 little-endian sequence numbers first) to `sink` while B is stopped
 * for PAUSE_MS, awaiting what `send` returns, while `go()`: how many sends returned a promise. */
async function floodStopped(sink: RemoteService, n: number, size: number, go = () => true): Promise<number> {
  peer.proc.kill('SIGSTOP')
  const resume = setTimeout(() => peer.proc.kill('SIGCONT'), PAUSE_MS)
  let waited = 0
  const msg = new Uint8Array(size).fill(0xa5)
  try {
    for (let i = 0; i < n && go(); i++) {
      msg[0] = i & 255
      msg[1] = (i >> 8) & 255
      msg[2] = (i >> 16) & 255
      msg[3] = (i >>> 24) & 255
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
  return waited
}

test('a sender that awaits send is held by a busy link: 125 MiB by name arrive in order, the link never lost', async (t) => {
  const downs: string[] = []
  let lost: (why: string) => void = () => {}
  const linkLost = new Promise<string>((r) => {
    lost = r
  })
  const onDown = (name: string) => {
    downs.push(name)
    lost(`the link to ${name} was lost`)
  }
  me.on('nodedown', onDown)
  try {
    await run(async (p) => {
      await spawn({ module: SERVICES, fn: 'bulkSink', args: [p.self, 'BULK', N, 100] }, { node: B })
      t.not(await next(p, tagged('bulk-ready')), undefined)
      const sink = remoteService(B, { name: 'BULK' })
      // Nothing reads B's end of the link for a while.
      const waited = await floodStopped(sink, N, SIZE, () => downs.length === 0)
      // A lost link ends the wait at once (the sink's report would never come).
      const report = await Promise.race([next(p, tagged('bulk'), 15_000), linkLost])
      t.deepEqual(report, ['bulk', N, true], 'every message arrived, in order, over the one link')
      t.true(waited > 0, 'some sends found the link busy and waited')
      t.log(`${waited} of ${N} sends waited for the link`)
    }, 20_000)
  } finally {
    me.off('nodedown', onDown)
  }
  t.deepEqual(downs, [], 'nor lost after')
})

test('small messages (which cross into Rust in batches) meet the busy link too: 150,000 x 100 B arrive in order', async (t) => {
  const n = 150_000
  await run(async (p) => {
    await spawn({ module: SERVICES, fn: 'bulkSink', args: [p.self, 'SMALL', n, n] }, { node: B })
    t.not(await next(p, tagged('bulk-ready')), undefined)
    const waited = await floodStopped(remoteService(B, { name: 'SMALL' }), n, 100)
    t.deepEqual(await next(p, tagged('bulk'), 20_000), ['bulk', n, true])
    t.true(waited > 0, 'some sends found the link busy and waited')
    t.log(`${waited} of ${n} sends waited for the link`)
  }, 30_000)
})

test('a receiving thread slower than the link holds the sender back: it reads only as fast as it drains', async (t) => {
  const n = 16_000
  const size = 16 << 10
  await run(async (p) => {
    // 256 MiB in all, 50 us of work on each. Without the hold, B's thread read it all into its inbox as it came.
    await spawn({ module: SERVICES, fn: 'bulkSink', args: [p.self, 'SLOW', n, n, 50] }, { node: B })
    t.not(await next(p, tagged('bulk-ready')), undefined)
    const sink = remoteService(B, { name: 'SLOW' })
    const msg = new Uint8Array(size).fill(0xa5)
    for (let i = 0; i < n; i++) {
      new DataView(msg.buffer).setUint32(0, i, true)
      await send(sink, msg)
    }
    t.deepEqual(await next(p, tagged('bulk'), 20_000), ['bulk', n, true])
    const [, grew] = (await next(p, tagged('bulk-rss'))) as [string, number]
    t.log(`B's resident memory grew by at most ${(grew / 2 ** 20).toFixed(1)} MiB`)
    t.true(grew < 96 * 2 ** 20, 'B held a bounded part of the stream, not all of it')
  }, 30_000)
})
