// A cookie holder that sends what no bfly node would (issue 14, findings 2,
// 4, 8 and 10), against a real node process: the hostile peer is
// crates/cluster/examples/rawpeer.rs, its own OS process, speaking SL1 and
// raw distribution frames. A frame whose value does not decode exactly
// closes that link (the node logs why, with the peer's name) and never
// reaches a process; a Hello that claims the name of a node with a live
// link is refused and that link stays; every refused connection is logged
// with its address, the name it claimed and why, rate-limited.
import { createConnection } from 'node:net'
import test from 'ava'
import { call, type Pid, registerServer, remoteService } from '../index.ts'
import { newCookie, type Peer, type RawEvent, rawPeer, startPeer, thisNode } from './nodes.ts'

const cookie = newCookie()
let me: Awaited<ReturnType<typeof thisNode>>
let victim: Peer

const ctl = (node: string, ...cmd: unknown[]) => call(remoteService(node, { name: 'CTL' }), cmd, { timeout: 20_000 })
const log = async () => (await ctl(victim.name, 'log')) as string[]

/** The victim is alive and its ECHO answers (a call over this node's own link). */
async function answers(label: string): Promise<boolean> {
  return victim.proc.exitCode === null && (await call(remoteService(victim.name, { name: 'ECHO' }), label)) === label
}

const end = (ev: RawEvent[]) => ev.find((e): e is { end: 'closed' | 'open' } => 'end' in e)?.end

test.before(async () => {
  me = await thisNode('wh@127.0.0.1', cookie)
  victim = await startPeer('whv@127.0.0.1', cookie, { quiet: false })
  registerServer(victim.name, victim.addr)
  await ctl(victim.name, 'count')
})

test.after.always(async () => {
  await victim?.kill()
})

/** A u64 little-endian id in hex. */
const id = (n: number) => Buffer.from(new BigUint64Array([BigInt(n)]).buffer).toString('hex')

test.serial(
  'finding 2: a Reply whose value does not decode closes its link; the node and its processes live',
  async (t) => {
    const bad = { c1: 'c1', nil: 'c0', '100,000-deep array': '91*100000.c0' }
    for (const [what, value] of Object.entries(bad)) {
      const ev = await rawPeer({
        addr: victim.addr,
        cookie,
        name: 'evil-reply@127.0.0.1',
        frames: [`09.${id(1)}.${value}`],
      })
      t.deepEqual(ev[0], { ack: { ok: true, name: victim.name } }, what)
      t.is(end(ev), 'closed', `the link carrying a Reply of ${what} is closed`)
      t.true(await answers(what), `the node answers after a Reply of ${what}`)
    }
    const lines = (await log()).filter((l) => l.startsWith('nodedown evil-reply@127.0.0.1'))
    t.log(lines)
    t.true(lines.some((l) => l.includes("malformed frame from 'evil-reply@127.0.0.1': the reserved byte c1")))
    t.true(lines.some((l) => l.includes('a reply that is not [ref, value]')))
    t.true(lines.some((l) => l.includes('value nested deeper than 512 levels')))
    t.regex(victim.guarded.stderr(), /link to 'evil-reply@127\.0\.0\.1' lost: malformed frame/)
  },
)

test.serial(
  'finding 4: a message that does not decode exactly never reaches its process; its link closes',
  async (t) => {
    // SendName 'ECHO' (op 2) with each malformed message.
    const bad = {
      'trailing bytes': 'c0c0',
      truncated: '930102',
      '100,000-deep array': '91*100000.c0',
      'BigInt "12x"': 'd607a3313278',
      'malformed pid': 'd601a3616263',
    }
    for (const [what, msg] of Object.entries(bad)) {
      const ev = await rawPeer({
        addr: victim.addr,
        cookie,
        name: 'evil-send@127.0.0.1',
        frames: [`02.0400.4543484f.${msg}`],
      })
      t.is(end(ev), 'closed', `the link carrying ${what} is closed`)
      t.true(await answers(what), `ECHO still answers after ${what}`)
    }
    // Send (op 1) to ECHO's pid: the same check on the other frame kind.
    const echo = (await ctl(victim.name, 'whereis', 'ECHO')) as Pid
    const ev = await rawPeer({
      addr: victim.addr,
      cookie,
      name: 'evil-send@127.0.0.1',
      frames: [`01.${id(echo.id)}.c0c0`],
    })
    t.is(end(ev), 'closed', 'the link carrying a Send with trailing bytes is closed')
    t.true(await answers('after a Send'))
    const lines = (await log()).filter((l) => l.startsWith('nodedown evil-send@127.0.0.1'))
    t.log(lines)
    t.is(lines.length, Object.keys(bad).length + 1, 'each was a protocol error of its own link')
    t.true(lines.every((l) => l.includes("malformed frame from 'evil-send@127.0.0.1'")))
  },
)

test.serial(
  'finding 8: a Hello claiming the name of a node with a live link is refused; that link stays',
  async (t) => {
    t.true(await answers('linked'), 'this node has a live link to the victim')
    const downs: string[] = []
    const onDown = (peer: string) => downs.push(peer)
    me.on('nodedown', onDown)
    try {
      const ev = await rawPeer({ addr: victim.addr, cookie, name: me.name, waitMs: 500 })
      t.log(ev)
      const refused = ev.find((e): e is { refused: string } => 'refused' in e)
      t.regex(refused?.refused ?? '', /already has a live link to this node/)
      t.is(end(ev), 'closed')
      t.true(await answers('still linked'))
      t.is(me.peers().find((p) => p.name === victim.name)?.state, 'up')
      t.deepEqual(downs, [], 'the real link was never dropped')
      const rejected = (await log()).filter((l) => l.startsWith(`rejected ${me.name}`))
      t.true(
        rejected.some((l) => /already has a live link.* from 127\.0\.0\.1:\d+$/.test(l)),
        rejected.join('\n'),
      )
    } finally {
      me.off('nodedown', onDown)
    }
  },
)

test.serial('finding 8: a restarted node comes back once its old link is found dead', async (t) => {
  const name = 'whr@127.0.0.1'
  const viaR = async (r: Peer, label: string) => {
    await ctl(r.name, 'registerServer', victim.name, victim.addr)
    await ctl(r.name, 'alias', 'V', victim.name, 'ECHO')
    return ctl(r.name, 'call', 'V', label, 5000)
  }
  const first = await startPeer(name, cookie)
  registerServer(name, first.addr)
  t.is(await viaR(first, 'before'), 'before')
  await first.kill()
  const again = await startPeer(name, cookie)
  registerServer(name, again.addr)
  try {
    const t0 = performance.now()
    t.is(await viaR(again, 'after'), 'after', 'the restarted node links again at once')
    t.log(`the restarted node's first call took ${(performance.now() - t0).toFixed(0)} ms`)
  } finally {
    await again.kill()
  }
})

/** Sends a handshake message of length 0 (refused at once) on a fresh connection. */
function badHandshake(addr: string): Promise<void> {
  const [host, port] = addr.split(':')
  return new Promise((resolve) => {
    const s = createConnection({ host, port: Number(port) }, () => s.end(Buffer.of(0, 0)))
    s.on('error', () => resolve())
    s.on('close', () => resolve())
    s.resume()
  })
}

test.serial(
  'finding 10: refused connections are logged once each with address, claimed name and reason, rate-limited',
  async (t) => {
    const before = (await log()).length
    const wrong = await rawPeer({ addr: victim.addr, cookie: newCookie(), name: 'wrong-cookie@127.0.0.1' })
    t.true('error' in (wrong[0] ?? {}), 'the wrong cookie gets no link')
    await rawPeer({ addr: victim.addr, cookie, name: 'has space@127.0.0.1' })
    await rawPeer({ addr: victim.addr, cookie, name: victim.name })
    let lines = (await log()).slice(before)
    t.log(lines)
    t.true(
      lines.some((l) =>
        /^rejected {2}handshake message failed authentication \(wrong cookie\?\) from 127\.0\.0\.1:\d+$/.test(l),
      ),
    )
    t.true(lines.some((l) => /^rejected {2}the Hello's name is not a node name from 127\.0\.0\.1:\d+$/.test(l)))
    t.true(lines.some((l) => l.startsWith(`rejected ${victim.name} the Hello claims this node's own name from`)))
    t.regex(
      victim.guarded.stderr(),
      /refused a connection from 127\.0\.0\.1:\d+: handshake message failed authentication \(wrong cookie\?\)/,
    )
    // A flood of 300 bad handshakes: a few lines a second, and a count of the rest.
    const mark = (await log()).length
    await Promise.all(Array.from({ length: 300 }, () => badHandshake(victim.addr)))
    await new Promise((r) => setTimeout(r, 1500))
    await rawPeer({ addr: victim.addr, cookie: newCookie(), name: 'after-flood@127.0.0.1' })
    lines = (await log()).slice(mark).filter((l) => l.startsWith('rejected'))
    t.log(`${lines.length} lines for 301 refused connections; last: ${lines.at(-1)}`)
    t.true(lines.length < 100, 'rate-limited')
    t.true(lines.some((l) => /\(\d+ more refused or failed connections not logged\)/.test(l)))
    t.true(await answers('after the flood'))
  },
)
