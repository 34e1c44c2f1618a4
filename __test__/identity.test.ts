// Identity keys across real node processes (issue 14, finding 8; docs/
// PROTOCOL.md 2.8): nodes that pin each other's static keys link as usual
// and report the key each proved; a cookie holder that says a pinned name
// without that key (or with another) is refused, whether or not the real
// node is linked, so the name's permissions follow the key. The holder of
// the key itself (a restarted node) replaces the old link.
import test from 'ava'
import { call, newIdentity, registerServer, remoteService } from '../index.ts'
import { newCookie, type Peer, type RawEvent, rawPeer, startPeer, thisNode } from './nodes.ts'

const cookie = newCookie()
const [ka, kb] = [newIdentity(), newIdentity()]
const A = 'ida@127.0.0.1'
const B = 'idb@127.0.0.1'
let a: Peer
let b: Peer

const ctl = (node: string, ...cmd: unknown[]) => call(remoteService(node, { name: 'CTL' }), cmd, { timeout: 20_000 })
type PeerRow = { name: string; state: string; key: string | null }
const peersOf = async (node: string) => (await ctl(node, 'peers')) as PeerRow[]
const refusal = (ev: RawEvent[]) => ev.find((e): e is { refused: string } => 'refused' in e)?.refused ?? ''

test.before(async () => {
  await thisNode('idt@127.0.0.1', cookie)
  ;[a, b] = await Promise.all([
    // A pins B's key and grants 'spawn' to B alone.
    startPeer(A, cookie, {
      identity: { key: ka.secret, peers: { [B]: kb.publicKey } },
      allow: { [B]: ['spawn'], '*': [] },
    }),
    startPeer(B, cookie, { identity: { key: kb.secret, peers: { [A]: ka.publicKey } } }),
  ])
  registerServer(A, a.addr)
  registerServer(B, b.addr)
  await ctl(B, 'registerServer', A, a.addr)
  await ctl(B, 'alias', 'A-ECHO', A, 'ECHO')
})

test.after.always(async () => {
  await Promise.all([a?.kill(), b?.kill()])
})

test.serial('pinned nodes link and each reports the key the other proved', async (t) => {
  t.is(await ctl(B, 'call', 'A-ECHO', 'hi', 5000), 'hi')
  const seenByA = (await peersOf(A)).find((p) => p.name === B)
  const seenByB = (await peersOf(B)).find((p) => p.name === A)
  t.is(seenByA?.state, 'up')
  t.is(seenByA?.key, kb.publicKey)
  t.is(seenByB?.key, ka.publicKey)
  // The test node has no key and is not pinned: admitted by the cookie, no key reported.
  t.is((await peersOf(A)).find((p) => p.name === 'idt@127.0.0.1')?.key, null)
})

test.serial("a cookie holder saying a pinned name without its key is refused, and B's link stays", async (t) => {
  const none = await rawPeer({ addr: a.addr, cookie, name: B, waitMs: 300 })
  t.regex(refusal(none), /did not prove the identity key pinned for it/)
  const other = await rawPeer({ addr: a.addr, cookie, name: B, identity: newIdentity().secret, waitMs: 300 })
  t.regex(refusal(other), /proved a key other than the one pinned for it/)
  t.is((await peersOf(A)).find((p) => p.name === B)?.state, 'up')
  t.is(await ctl(B, 'call', 'A-ECHO', 'still', 5000), 'still')
  const log = (await ctl(A, 'log')) as string[]
  t.true(
    log.some((l) => l.startsWith(`rejected ${B} '${B}' did not prove the identity key`)),
    log.join('\n'),
  )
})

test.serial("with B gone, its name still needs its key; the key's holder replaces a live link", async (t) => {
  // The key's holder (B restarted, say) is let in over B's live link.
  const holder = await rawPeer({ addr: a.addr, cookie, name: B, identity: kb.secret, waitMs: 300 })
  t.deepEqual(holder[0], { ack: { ok: true, name: A } })
  await b.kill()
  const impostor = await rawPeer({ addr: a.addr, cookie, name: B, waitMs: 300 })
  t.regex(refusal(impostor), /did not prove the identity key pinned for it/)
})

test.serial('onlyPinned refuses every name that is not pinned', async (t) => {
  const closed = await startPeer('idc@127.0.0.1', cookie, {
    identity: { key: newIdentity().secret, peers: { [A]: ka.publicKey }, onlyPinned: true },
  })
  try {
    const stranger = await rawPeer({ addr: closed.addr, cookie, name: 'stranger@127.0.0.1', waitMs: 300 })
    t.regex(refusal(stranger), /is not one of this node's pinned peers/)
    const pinned = await rawPeer({ addr: closed.addr, cookie, name: A, identity: ka.secret, waitMs: 300 })
    t.deepEqual(pinned[0], { ack: { ok: true, name: 'idc@127.0.0.1' } })
  } finally {
    await closed.kill()
  }
})
