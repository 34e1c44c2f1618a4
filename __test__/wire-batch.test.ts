// Batch frames between nodes (SL1 type 4, PROTOCOL.md "Batch frames"): a
// burst of small messages leaves a node in few sealed frames once both
// sides said FEAT_BATCH in the Hello exchange. Against a node that batches
// and one started as a node from before batches (BFLY_WIRE_BATCH=0, which
// refuses batch frames, so a sender that ignored the feature bit would
// lose that link): bursts arrive whole and in order both ways (the order
// of batched sends and signals on one link is crates/net/tests/batch.rs's
// to check). A cookie holder's
// malformed batch closes its link like any malformed frame; the node and
// its processes live.
import test from 'ava'
import { call, encode, Pid, Ref, registerServer, remoteService, send, spawn } from '../index.ts'
import { alive } from './guard.ts'
import { next, run, tagged } from './helpers.ts'
import { newCookie, type Peer, SERVICES, startPeer, thisNode } from './nodes.ts'
import { batchPayload, fakePeer, frames } from './sl1.ts'

const cookie = newCookie()
let batching: Peer
let plain: Peer

test.before(async () => {
  await thisNode(`wb-${process.pid}@127.0.0.1`, cookie)
  batching = await startPeer(`wb-batching-${process.pid}@127.0.0.1`, cookie)
  // The child reads the switch as it starts its node.
  process.env.BFLY_WIRE_BATCH = '0'
  try {
    plain = await startPeer(`wb-plain-${process.pid}@127.0.0.1`, cookie)
  } finally {
    delete process.env.BFLY_WIRE_BATCH
  }
  registerServer(batching.name, batching.addr)
  registerServer(plain.name, plain.addr)
})

test.after.always(async () => {
  await batching?.kill()
  await plain?.kill()
})

const spec = (fn: string, ...args: unknown[]) => ({ module: SERVICES, fn, args })
const N = 6000

for (const which of ['batching', 'plain'] as const) {
  const peer = () => (which === 'batching' ? batching : plain)

  test.serial(`a burst to a ${which} node arrives whole and in order`, async (t) => {
    await run(async (p) => {
      const counter = await spawn(spec('counter', p.self, N), { node: peer().name })
      for (let i = 0; i < N; i++) send(counter, i)
      t.deepEqual(await next(p, tagged('counted'), 20_000), ['counted', N, true])
    })
  })

  test.serial(`a burst from a ${which} node arrives whole and in order`, async (t) => {
    await run(async (p) => {
      const sent = call(remoteService(peer().name, { name: 'CTL' }), ['flood', p.self, N], { timeout: 20_000 })
      for (let i = 0; i < N; i++) t.is(await next(p, undefined, 20_000), i)
      // Past the credit window (4,096 by default) sends wait for grants, in order.
      const { now, waited, full } = (await sent) as { now: number; waited: number; full: number }
      t.deepEqual([now + waited, full], [N, 0])
      t.true(waited > 0, 'the flood passed the window')
    })
  })
}

/** A `$call` to ECHO as a SendName frame from fake node `name`. */
const echoCall = (name: string, req: string) =>
  frames.sendName('ECHO', encode(['$call', [new Pid(name, 1), new Ref(name, 1)], req]))

test.serial('a batch frame from a cookie holder is read as its messages, in order', async (t) => {
  const name = `wb-fake-${process.pid}-ok@127.0.0.1`
  const fake = await fakePeer(batching.addr, Buffer.from(cookie, 'hex'), name)
  try {
    fake.sendFrame(4, batchPayload([echoCall(name, 'first'), echoCall(name, 'second')]))
    const replies: string[] = []
    while (replies.length < 2) {
      const f = await fake.next()
      if (f === null) return t.fail('the node closed a well-formed batch')
      // A Reply frame (9): [to: u64], then [ref, value]; the value ends it.
      if (f[0] === 9)
        replies.push(
          f
            .subarray(-6)
            .toString()
            .replace(/^[^a-z]*/, ''),
        )
    }
    t.deepEqual(replies, ['first', 'second'])
  } finally {
    fake.close()
  }
})

const deep = (n: number) => Buffer.concat([Buffer.alloc(n, 0x91), Buffer.of(0xc0)])

const MALFORMED: [string, (name: string) => Buffer][] = [
  ['count 0', (n) => batchPayload([echoCall(n, 'x')], 0)],
  ['a count above its entries', (n) => batchPayload([echoCall(n, 'x')], 2)],
  ['a count below its entries (trailing bytes)', (n) => batchPayload([echoCall(n, 'x'), echoCall(n, 'y')], 1)],
  ['a trailing byte', (n) => Buffer.concat([batchPayload([echoCall(n, 'x')]), Buffer.of(0)])],
  ['a truncated entry', (n) => batchPayload([echoCall(n, 'x')]).subarray(0, -1)],
  ['an empty entry', (n) => batchPayload([echoCall(n, 'x'), Buffer.alloc(0)])],
  ['a count over the limit (4096)', (n) => batchPayload(Array.from({ length: 4097 }, () => echoCall(n, 'x')))],
  ['an entry whose term is 1,000 levels deep', () => batchPayload([frames.reply(1, deep(1000))])],
]

for (const [what, payload] of MALFORMED)
  test.serial(`a batch frame with ${what} closes its link; the node lives and answers`, async (t) => {
    const name = `wb-fake-${process.pid}-${MALFORMED.findIndex(([w]) => w === what)}@127.0.0.1`
    const fake = await fakePeer(batching.addr, Buffer.from(cookie, 'hex'), name)
    try {
      fake.sendFrame(4, payload(name))
      for (;;) {
        const f = await fake.next()
        if (f === null) break
        // Nothing of a refused batch runs: no answer to its call comes.
        t.not(f[0], 9, 'a message of a malformed batch was delivered')
      }
      t.true(fake.closed)
      alive(t, batching.guarded, what)
      t.is(await call(remoteService(batching.name, { name: 'ECHO' }), what, { timeout: 20_000 }), what)
    } finally {
      fake.close()
    }
  })
