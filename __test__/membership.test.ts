// Joining a cluster: seeds and the mesh, hidden nodes (Erlang's -hidden),
// the CLI connecting hidden, and two nodes under one name. Every node is a
// separate OS process (fixtures/node.ts); this test process is a hidden
// node, so it is never gossiped and never in the way of what is checked.
import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'ava'
import { call, type PeerInfo, registerServer, remoteService, startNode } from '../index.ts'
import { startGuarded } from './guard.ts'
import { LONG } from './helpers.ts'
import { newCookie, type Peer, type PeerOptions, startPeer } from './nodes.ts'

const BIN = fileURLToPath(new URL('../bin/bfly.mjs', import.meta.url))
const cookie = newCookie()
const started: Peer[] = []
let a: Peer

async function peer(name: string, opts: PeerOptions = {}): Promise<Peer> {
  const p = await startPeer(name, cookie, opts)
  started.push(p)
  registerServer(name, p.addr)
  return p
}

test.before(async () => {
  ;(await startNode({ name: 'mt@127.0.0.1', listen: '127.0.0.1:0', cookie, quiet: true, hidden: true })).unref()
  a = await peer('ma@127.0.0.1')
})

test.after.always(() => Promise.all(started.map((p) => p.kill())))

/** What node `name` lists as its peers (through its CTL service). */
function peersOf(name: string): Promise<Pick<PeerInfo, 'name' | 'state' | 'hidden'>[]> {
  return call(remoteService(name, { name: 'CTL' }), ['peers'])
}

/** The visible peers node `name` has a link with. */
async function upAt(name: string): Promise<string[]> {
  return (await peersOf(name)).flatMap((p) => (p.state === 'up' && !p.hidden ? [p.name] : [])).sort()
}

/** Polls `f` until it holds; fails the test after 3 x LONG ms. */
async function until(f: () => Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 3 * LONG
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

test.serial('nodes given one seed link with the whole cluster (the mesh)', async (t) => {
  await peer('mb@127.0.0.1', { seeds: [a.addr] })
  await peer('mc@127.0.0.1', { seeds: [a.addr] })
  await until(async () => (await upAt('mc@127.0.0.1')).includes('mb@127.0.0.1'), 'mc linked with mb')
  t.deepEqual(await upAt('mb@127.0.0.1'), ['ma@127.0.0.1', 'mc@127.0.0.1'])
  t.deepEqual(await upAt('mc@127.0.0.1'), ['ma@127.0.0.1', 'mb@127.0.0.1'])
  t.deepEqual(await upAt('ma@127.0.0.1'), ['mb@127.0.0.1', 'mc@127.0.0.1'])
})

test.serial('a hidden node links only where asked, is never gossiped, and is not listed once gone', async (t) => {
  const h = await peer('mh@127.0.0.1', { seeds: [a.addr], hidden: true })
  await until(
    async () => (await peersOf('ma@127.0.0.1')).some((p) => p.name === 'mh@127.0.0.1' && p.state === 'up' && p.hidden),
    'ma linked with the hidden node, and listing it as hidden',
  )
  // Give gossip the time to spread it, were it spread: a second node joins
  // through ma meanwhile, and must hear of the others but not of mh.
  await peer('md@127.0.0.1', { seeds: [a.addr] })
  await until(async () => (await upAt('md@127.0.0.1')).length === 3, 'md linked with ma, mb and mc')
  for (const n of ['mb@127.0.0.1', 'mc@127.0.0.1', 'md@127.0.0.1'])
    t.false(
      (await peersOf(n)).some((p) => p.name === 'mh@127.0.0.1'),
      `${n} does not know the hidden node`,
    )
  t.deepEqual(
    (await peersOf('mh@127.0.0.1'))
      .filter((p) => p.state === 'up')
      .map((p) => p.name)
      .sort(),
    ['ma@127.0.0.1', 'mt@127.0.0.1'],
    'the hidden node linked only with its seed (and this test node, which called it)',
  )
  await h.kill()
  await until(
    async () => !(await peersOf('ma@127.0.0.1')).some((p) => p.name === 'mh@127.0.0.1'),
    'ma forgets the hidden node once its link is gone',
  )
  t.pass()
})

test.serial('the CLI connects hidden: the node it asked does not list it afterwards', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bfly-membership-'))
  const file = join(dir, 'cookie')
  writeFileSync(file, cookie, { mode: 0o600 })
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      [BIN, 'call', `ma@127.0.0.1@${a.addr}`, 'ECHO', '"hello"', '--cookie-file', file, '--json'],
      { timeout: 60_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(stdout)),
    ),
  )
  t.is(out.trim(), '"hello"')
  const names = (await peersOf('ma@127.0.0.1')).map((p) => p.name)
  t.false(
    names.some((n) => n.startsWith('bfly-cli-')),
    `ma lists ${names.join(', ')}`,
  )
  t.false((await peersOf('mb@127.0.0.1')).some((p) => p.name.startsWith('bfly-cli-')))
})

test.serial('bfly node --seed joins the cluster through one of its nodes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bfly-membership-'))
  const file = join(dir, 'cookie')
  writeFileSync(file, cookie, { mode: 0o600 })
  const g = startGuarded([
    BIN,
    'node',
    '--name',
    'mcli@127.0.0.1',
    '--listen',
    '127.0.0.1:0',
    '--cookie-file',
    file,
    '--seed',
    a.addr,
    '--log-dir',
    dir,
  ])
  try {
    await until(
      async () => (await upAt('ma@127.0.0.1')).includes('mcli@127.0.0.1'),
      'ma linked with the node bfly node started',
    )
    await until(async () => (await upAt('mb@127.0.0.1')).includes('mcli@127.0.0.1'), 'mb linked with it (the mesh)')
    t.pass()
  } finally {
    g.proc.kill('SIGKILL')
  }
})

test.serial('two nodes under one name: the second is refused with an error that says so', async (t) => {
  const first = await peer('twin@127.0.0.1', { seeds: [a.addr] })
  await until(async () => (await upAt('ma@127.0.0.1')).includes('twin@127.0.0.1'), 'ma linked with the first twin')
  const second = await startPeer('twin@127.0.0.1', cookie, { seeds: [a.addr], quiet: false })
  started.push(second)
  const deadline = Date.now() + 3 * LONG
  while (!second.guarded.stderr().includes('already has a live link') && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50))
  t.regex(second.guarded.stderr(), /refused the link: 'twin@127\.0\.0\.1' already has a live link/)
  t.true((await upAt('ma@127.0.0.1')).includes('twin@127.0.0.1'), 'the first keeps its link')
  t.truthy(first)
})
