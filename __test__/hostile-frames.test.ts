// A cookie holder that sends what no node would (issue 14): a fake peer
// (sl1.ts, an SL1 client written from PROTOCOL.md) authenticates to a
// real node process started with `allow: []` and sends it Reply frames
// whose payload is not `[ref, value]` (finding 2), and messages to the
// node agent's pid dressed as the requests the allow-list refuses. After
// each the node process is alive, still answers calls, and did nothing
// it was not allowed to.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test, { type ExecutionContext } from 'ava'
import { call, encode, Pid, Ref, registerServer, remoteService } from '../index.ts'
import { alive } from './guard.ts'
import { newCookie, type Peer, SERVICES, startPeer, thisNode } from './nodes.ts'
import { clientHandshake, type FakePeer, fakePeer, frames, sealFrame } from './sl1.ts'

const cookie = newCookie()
const cookieBytes = Buffer.from(cookie, 'hex')
let victim: Peer
let echoId: number
let fakes = 0

const ctl = (...cmd: unknown[]) => call(remoteService(victim.name, { name: 'CTL' }), cmd, { timeout: 20_000 })

test.before(async () => {
  await thisNode(`hf-${process.pid}@127.0.0.1`, cookie)
  victim = await startPeer(`hf-victim-${process.pid}@127.0.0.1`, cookie, { allow: [] })
  registerServer(victim.name, victim.addr)
  echoId = ((await ctl('whereis', 'ECHO')) as Pid).id
})

test.after.always(async () => {
  await victim?.kill()
})

/** A fake peer with a name of its own (a link per attack). */
async function fake(): Promise<{ peer: FakePeer; name: string }> {
  const name = `fake-${process.pid}-${++fakes}@127.0.0.1`
  return { peer: await fakePeer(victim.addr, cookieBytes, name), name }
}

/** Sends a call to ECHO down `peer`'s link and waits for the Reply frame
 * (or the link's end): everything sent before it has been handled. */
async function synced(peer: FakePeer, name: string): Promise<void> {
  peer.send(frames.sendName('ECHO', encode(['$call', [new Pid(name, 1), new Ref(name, 1)], 'sync'])))
  for (;;) {
    const f = await peer.next()
    if (f === null || f[0] === 9) return
  }
}

/** The victim is alive and answers a call over a link of its own. */
async function answering(t: ExecutionContext, after: string): Promise<void> {
  alive(t, victim.guarded, after)
  t.is(await call(remoteService(victim.name, { name: 'ECHO' }), after, { timeout: 20_000 }), after, after)
}

test.serial('the fake peer speaks SL1 exactly as PROTOCOL.md specifies (its test vector)', (t) => {
  const doc = readFileSync(new URL('../docs/PROTOCOL.md', import.meta.url), 'utf8')
  const block = /```sl1-vector\n([\s\S]*?)```/.exec(doc)?.[1] ?? ''
  const v: Record<string, string> = {}
  let key = ''
  for (const line of block.split('\n')) {
    const m = /^(\w+): (.*)$/.exec(line)
    if (m !== null) {
      key = m[1]
      v[key] = m[2].trim()
    } else if (line.trim() !== '') v[key] += line.trim()
  }
  const hs = clientHandshake(Buffer.from(Array.from({ length: 32 }, (_, i) => i)), Buffer.from(v.m1, 'hex'), {
    secret: Buffer.alloc(32, 0x44),
    challenge: Buffer.alloc(32, 0x55),
    instance: Buffer.alloc(16, 0x66),
  })
  t.is(hs.m2.toString('hex'), v.m2)
  const keys = hs.finish(Buffer.from(v.m3, 'hex'))
  t.is(keys.m4.toString('hex'), v.m4)
  t.is(sealFrame(keys.send, 0, Buffer.from('hello')).toString('hex'), v.c2s_frame0)
})

const deep = (n: number) => Buffer.concat([Buffer.alloc(n, 0x91), Buffer.of(0xc0)])

const REPLIES: [string, Buffer][] = [
  ['the byte c1 (never used in MessagePack)', Buffer.of(0xc1)],
  ['nil', Buffer.of(0xc0)],
  ['a 100,000-deep array', deep(100_000)],
  ['a truncated array', Buffer.of(0x93, 0x01, 0x02)],
  ['a number', Buffer.of(0x2a)],
  ['[1, 2] (no ref)', Buffer.of(0x92, 0x01, 0x02)],
  ['[ref] (no value)', Buffer.from(encode([new Ref('x@h', 1)]))],
  ['[ref, value] with trailing bytes', Buffer.concat([Buffer.from(encode([new Ref('x@h', 1), 1])), Buffer.of(0xc1)])],
]

for (const [what, payload] of REPLIES)
  test.serial(`a Reply frame whose payload is ${what} leaves the node (allow: []) alive and answering`, async (t) => {
    const { peer, name } = await fake()
    try {
      peer.send(frames.reply(echoId, payload))
      await synced(peer, name)
      await answering(t, `a Reply of ${what}`)
    } finally {
      peer.close()
    }
  })

test.serial("a message sent to the node agent's pid is not a request: allow: [] still refuses spawn", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bfly-agent-'))
  const marker = join(dir, 'ran')
  const mod = `data:text/javascript,import{writeFileSync}from'node:fs';export function go(){writeFileSync(${JSON.stringify(marker)},'x')}`
  const { peer, name } = await fake()
  try {
    // The agent's pid is a small id; a forger tries them all, on both lanes a Send can take.
    for (let id = 0; id < 64; id++) {
      peer.send(frames.send(id, encode(['ask', 'spawn', name, 0, 1, 0, [mod, 'go', []]])))
      peer.send(frames.send(id, encode(['ask', 'spawn', name, 0, 2, 0, [SERVICES, 'echo', []]])))
      peer.send(frames.send(id, encode(['notice', name, 'spawn', `forged notice ${id}`])))
      peer.send(frames.send(id, encode(['nodedown', victim.name, 'forged'])))
    }
    await synced(peer, name)
    await answering(t, 'forged agent requests')
    t.false(existsSync(marker), 'the data: module did not run')
    const log = (await ctl('log')) as string[]
    t.false(
      log.some((l) => l.includes('forged')),
      `no forged event in node.log: ${log.join(' | ')}`,
    )
  } finally {
    peer.close()
  }
})
