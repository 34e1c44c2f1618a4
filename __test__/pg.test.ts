// Process groups (Erlang's pg) across real nodes: this test process is
// node pga, pgb and pgc are separate OS processes (fixtures/node.ts) whose
// members are spawned there (fixtures/pg-bodies.ts).
import { fileURLToPath } from 'node:url'
import test from 'ava'
import type { GroupEvent } from '../index.ts'
import {
  call,
  callGroup,
  demonitorGroup,
  exit,
  join,
  leave,
  localMembers,
  members,
  monitorGroup,
  NoProcError,
  type Pid,
  type Process,
  registerServer,
  remoteService,
  reply,
  spawn,
  startScope,
  TIMEOUT,
  whichGroups,
} from '../index.ts'
import { LONG, next, run, SHORT } from './helpers.ts'
import { newCookie, type Peer, startPeer, thisNode } from './nodes.ts'

const BODIES = fileURLToPath(new URL('./fixtures/pg-bodies.ts', import.meta.url))
const B = 'pgb@127.0.0.1'
const C = 'pgc@127.0.0.1'
let b: Peer
let c: Peer
let cookie: string

test.before(async () => {
  cookie = newCookie()
  ;[b, c] = await Promise.all([startPeer(B, cookie), startPeer(C, cookie)])
  await thisNode('pga@127.0.0.1', cookie)
  registerServer(B, b.addr)
  registerServer(C, c.addr)
  // B and C link with each other too, so each of the three sees all.
  await call(remoteService(B, { name: 'CTL' }), ['registerServer', C, c.addr])
  await call(remoteService(B, { name: 'CTL' }), ['alias', 'ECHO-C', C, 'ECHO'])
  await call(remoteService(B, { name: 'CTL' }), ['call', 'ECHO-C', 'hi'])
  await call(remoteService(C, { name: 'ECHO' }), 'hi')
})

test.after.always(() => Promise.all([b?.kill(), c?.kill()]))

/** Polls `f` until it holds; fails the test after LONG ms. */
async function until(f: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + LONG
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const names = (pids: Pid[]): string[] => pids.map((p) => p.node).sort()

/** Spawns a member of `group` on `node` and waits until it has joined there. */
function remoteMember(p: Process, node: string, group: string, scope = 'pg'): Promise<Pid> {
  return spawn({ module: BODIES, fn: 'member', args: [group, scope, p.self] }, { node })
}

/** A process on `node` that answers what that node's scope sees. */
async function viewer(p: Process, node: string, scope = 'pg'): Promise<Pid> {
  const pid = await spawn({ module: BODIES, fn: 'viewer', args: [scope, p.self] }, { node })
  await next(p, (m) => Array.isArray(m) && m[0] === 'viewing')
  return pid
}

const idle = () => spawn(async (q) => void (await q.receive()))

test.serial('members joined on three nodes are seen on each; localMembers only here', async (t) => {
  await run(async (p) => {
    startScope()
    const here = idle()
    await join('workers', here)
    const mb = await remoteMember(p, B, 'workers')
    const mc = await remoteMember(p, C, 'workers')
    await until(() => members('workers').length === 3, 'three members seen here')
    t.deepEqual(names(members('workers')), ['pga@127.0.0.1', B, C].sort())
    t.deepEqual(localMembers('workers'), [here])
    t.true(whichGroups().includes('workers'))
    const vb = await viewer(p, B)
    await until(
      async () => ((await call(vb, ['members', 'workers', 'pg'])) as Pid[]).length === 3,
      'three members seen on B',
    )
    t.deepEqual(((await call(vb, ['local', 'workers', 'pg'])) as Pid[]).map(String), [String(mb)])
    exit(mb, 'kill')
    exit(mc, 'kill')
    exit(here, 'kill')
    await until(() => members('workers').length === 0, 'every member gone after they exit')
  })
})

test.serial('scopes are independent; leave takes one join; a member that exits leaves', async (t) => {
  await run(async (p) => {
    const q = idle()
    await join('g', q, { scope: 's1' })
    await join('g', [q, q], { scope: 's2' })
    t.deepEqual(members('g', { scope: 's1' }), [q])
    t.is(members('g', { scope: 's2' }).length, 2)
    t.deepEqual(members('g'), [])
    t.true(await leave('g', q, { scope: 's2' }))
    t.is(members('g', { scope: 's2' }).length, 1)
    t.false(await leave('other', q, { scope: 's2' }))
    const vc = await viewer(p, C, 's2')
    await until(async () => ((await call(vc, ['members', 'g', 's2'])) as Pid[]).length === 1, 'C sees one join in s2')
    t.deepEqual(await call(vc, ['members', 'g', 's1']), [])
    exit(q, 'kill')
    await until(() => members('g', { scope: 's1' }).length === 0, 'the exited member gone from s1')
    t.deepEqual(members('g', { scope: 's2' }), [])
    await until(async () => ((await call(vc, ['members', 'g', 's2'])) as Pid[]).length === 0, 'C sees it leave')
  })
})

test.serial('a group monitor gets join and leave from every node, and stops on demonitor', async (t) => {
  await run(async (p) => {
    const { ref, members: now } = await monitorGroup(p, 'watched')
    t.deepEqual(now, [])
    const isEvent = (kind: string) => (m: unknown) =>
      Array.isArray(m) && m[0] === 'pg' && ref.equals(m[1]) && m[2] === kind && m[3] === 'watched'
    const mb = await remoteMember(p, B, 'watched')
    const joined = (await next(p, isEvent('join'))) as GroupEvent
    t.not(joined, TIMEOUT)
    t.deepEqual(joined[4].map(String), [String(mb)])
    exit(mb, 'kill')
    const left = (await next(p, isEvent('leave'))) as GroupEvent
    t.deepEqual(left[4].map(String), [String(mb)])
    t.true(await demonitorGroup(ref))
    const q = idle()
    await join('watched', q)
    t.is(await next(p, isEvent('join'), SHORT), TIMEOUT)
    exit(q, 'kill')
  })
})

test.serial('callGroup: local first picks this node; random reaches every node; none is NoProcError', async (t) => {
  await run(async (p) => {
    await remoteMember(p, B, 'svc')
    await remoteMember(p, C, 'svc')
    await until(() => members('svc').length === 2, 'two remote members')
    const seen = new Set<string>()
    for (let i = 0; i < 40 && seen.size < 2; i++) seen.add(await callGroup<string>('svc', 'who', { pick: 'local' }))
    t.deepEqual([...seen].sort(), [B, C].sort(), 'with no local member, local-first picks any')
    const here = spawn(async (q) => {
      for (;;) {
        const m = await q.receive()
        if (Array.isArray(m) && m[0] === '$call') reply(m[1], 'local')
      }
    })
    await join('svc', here)
    for (let i = 0; i < 10; i++) t.is(await callGroup('svc', 'who', { pick: 'local' }), 'local')
    await t.throwsAsync(callGroup('nobody', 'x'), { instanceOf: NoProcError })
    exit(here, 'kill')
  })
})

test.serial('a hidden node takes no part: its members are not seen, it sees none', async (t) => {
  const h = await startPeer('pgh@127.0.0.1', cookie, { hidden: true })
  try {
    registerServer('pgh@127.0.0.1', h.addr)
    await run(async (p) => {
      await join('mixed', idle())
      // Both join at once; the visible one's arrival shows the hidden one's would have had time.
      const [inH] = await Promise.all([remoteMember(p, 'pgh@127.0.0.1', 'mixed'), remoteMember(p, B, 'mixed')])
      await until(() => names(members('mixed')).includes(B), "B's member seen here")
      await new Promise((r) => setTimeout(r, 300))
      t.false(
        members('mixed').some((x) => x.equals(inH)),
        'the hidden node member is not seen here',
      )
      const vh = await viewer(p, 'pgh@127.0.0.1')
      t.deepEqual(
        names((await call(vh, ['members', 'mixed', 'pg'])) as Pid[]),
        ['pgh@127.0.0.1'],
        'the hidden node sees only its own',
      )
    })
  } finally {
    await h.kill()
  }
})

test.serial('members of a node that is lost leave with it', async (t) => {
  await run(async (p) => {
    const { ref } = await monitorGroup(p, 'fragile')
    await remoteMember(p, C, 'fragile')
    await remoteMember(p, B, 'fragile')
    await until(() => members('fragile').length === 2, 'members on B and C')
    await c.kill()
    const left = (await next(
      p,
      (m) => Array.isArray(m) && m[0] === 'pg' && ref.equals(m[1]) && m[2] === 'leave',
      LONG * 4,
    )) as GroupEvent
    t.not(left, TIMEOUT, 'a leave event for the lost node')
    t.deepEqual(names(left[4]), [C])
    t.deepEqual(names(members('fragile')), [B])
  })
})
