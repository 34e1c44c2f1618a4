// Discovery through DNS against a real DNS server: Debian's dnsmasq,
// started here on 127.0.0.1 at a free port and answering only for
// svc.test, its records changed while nodes run (A records by rewriting
// its hosts file and SIGHUP, SRV records by restarting it on the same
// port). Nodes are separate OS processes (fixtures/node.ts) that find each
// other through it; this test process is a hidden node that asks them
// what they see. scripts/ensure-cluster-tools.sh installs dnsmasq.
import { type ChildProcess, spawn } from 'node:child_process'
import { Resolver } from 'node:dns/promises'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'ava'
import { call, type PeerInfo, registerServer, remoteService, startNode } from '../index.ts'
import { LONG } from './helpers.ts'
import { newCookie, type Peer, type PeerOptions, startPeer } from './nodes.ts'

const DNSMASQ = '/usr/sbin/dnsmasq'
const cookie = newCookie()
const dir = mkdtempSync(join(tmpdir(), 'bfly-dns-'))
const started: Peer[] = []
let dns: ChildProcess | null = null
let dnsPort = 0

test.before(async () => {
  ;(await startNode({ name: 'dt@127.0.0.1', listen: '127.0.0.1:0', cookie, quiet: true, hidden: true })).unref()
})

test.after.always(async () => {
  dns?.kill('SIGKILL')
  await Promise.all(started.map((p) => p.kill()))
  rmSync(dir, { recursive: true, force: true })
})

/** Writes dnsmasq's configuration: SRV records `srv` (target, port) for
 * _bfly._tcp.svc.test, each target at 127.0.0.1; A records from the hosts file. */
function configure(srv: [string, number][], hosts: [string, string][]): void {
  const lines = ['local=/svc.test/', ...srv.map(([t, p]) => `srv-host=_bfly._tcp.svc.test,${t},${p}`)]
  for (const [t] of srv) lines.push(`host-record=${t},127.0.0.1`)
  writeFileSync(join(dir, 'dnsmasq.conf'), `${lines.join('\n')}\n`)
  writeFileSync(join(dir, 'hosts'), `${hosts.map(([ip, name]) => `${ip} ${name}`).join('\n')}\n`)
}

/** Starts dnsmasq (at `dnsPort`, or a free port found by trying) and waits until it answers. */
async function startDns(): Promise<void> {
  if (!existsSync(DNSMASQ)) throw new Error(`${DNSMASQ} is missing: run scripts/ensure-cluster-tools.sh`)
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = dnsPort || 20_000 + Math.floor(Math.random() * 40_000)
    const p = spawn(
      DNSMASQ,
      [
        '--keep-in-foreground',
        `--conf-file=${join(dir, 'dnsmasq.conf')}`,
        `--port=${port}`,
        '--listen-address=127.0.0.1',
        '--bind-interfaces',
        '--no-resolv',
        '--no-hosts',
        `--addn-hosts=${join(dir, 'hosts')}`,
        '--user=root',
        `--pid-file=${join(dir, 'pid')}`,
        '--log-facility=-',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    let err = ''
    p.stderr?.on('data', (b: Buffer) => {
      err += b.toString()
    })
    const exited = new Promise<boolean>((r) => p.once('exit', () => r(false)))
    const r = new Resolver({ timeout: 300, tries: 1 })
    r.setServers([`127.0.0.1:${port}`])
    const answers = (async () => {
      for (let i = 0; i < 30; i++) {
        if (
          await r.resolveSrv('_bfly._tcp.svc.test').then(
            () => true,
            (e: NodeJS.ErrnoException) => e.code === 'ENODATA' || e.code === 'ENOTFOUND',
          )
        )
          return true
        await new Promise((res) => setTimeout(res, 100))
      }
      return false
    })()
    if (await Promise.race([answers, exited])) {
      dns = p
      dnsPort = port
      return
    }
    p.kill('SIGKILL')
    if (dnsPort !== 0 && !/in use/i.test(err)) throw new Error(`dnsmasq did not start: ${err}`)
  }
  throw new Error('no free port for dnsmasq')
}

async function restartDns(): Promise<void> {
  const old = dns
  if (old !== null) {
    const gone = new Promise((r) => old.once('exit', r))
    old.kill('SIGTERM')
    await gone
  }
  await startDns()
}

async function peer(name: string, opts: PeerOptions): Promise<Peer> {
  const p = await startPeer(name, cookie, opts)
  started.push(p)
  registerServer(name, p.addr)
  return p
}

/** The visible peers node `name` has a link with. */
async function upAt(name: string): Promise<string[]> {
  const peers = (await call(remoteService(name, { name: 'CTL' }), ['peers'])) as PeerInfo[]
  return peers.flatMap((p) => (p.state === 'up' && !p.hidden ? [p.name] : [])).sort()
}

async function until(f: () => Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 3 * LONG
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const discover = (dns: string) => ({ dns, servers: [`127.0.0.1:${dnsPort}`], everyMs: 200 })

test.serial('SRV records: a node finds the nodes they list, and one added later', async (t) => {
  const b = await peer('sb@127.0.0.1', {})
  const c = await peer('sc@127.0.0.1', {})
  configure([['b.svc.test', Number(b.addr.split(':')[1])]], [])
  await startDns()
  // connectAll off: sd links with what DNS lists, not what its peers gossip.
  await peer('sd@127.0.0.1', { discover: discover('_bfly._tcp.svc.test'), connectAll: false })
  await until(async () => (await upAt('sd@127.0.0.1')).includes('sb@127.0.0.1'), 'sd linked with sb, from SRV')
  t.deepEqual(await upAt('sd@127.0.0.1'), ['sb@127.0.0.1'])
  t.log(`SRV lists b: sd is linked with ${await upAt('sd@127.0.0.1')}`)
  configure(
    [
      ['b.svc.test', Number(b.addr.split(':')[1])],
      ['c.svc.test', Number(c.addr.split(':')[1])],
    ],
    [],
  )
  await restartDns()
  await until(async () => (await upAt('sd@127.0.0.1')).includes('sc@127.0.0.1'), 'sd linked with sc once listed')
  t.deepEqual(await upAt('sd@127.0.0.1'), ['sb@127.0.0.1', 'sc@127.0.0.1'])
  t.log(`dnsmasq restarted, SRV lists b and c: sd is linked with ${await upAt('sd@127.0.0.1')}`)
})

test.serial(
  'A records with a default port: nodes of a headless service find each other as records change',
  async (t) => {
    // Every node listens on the same port, each at its own loopback address.
    const port = 20_000 + Math.floor(Math.random() * 40_000)
    const name = 'bfly.svc.test'
    configure([], [['127.0.0.2', name]])
    await restartDns()
    await peer('h2@127.0.0.2', { host: '127.0.0.2', port })
    await peer('h3@127.0.0.3', { host: '127.0.0.3', port })
    // h4 is listed too, as a headless service lists every pod, itself included.
    configure(
      [],
      [
        ['127.0.0.2', name],
        ['127.0.0.4', name],
      ],
    )
    process.kill(Number(dns?.pid), 'SIGHUP')
    await peer('h4@127.0.0.4', { host: '127.0.0.4', port, discover: discover(name), connectAll: false })
    await until(async () => (await upAt('h4@127.0.0.4')).includes('h2@127.0.0.2'), 'h4 linked with h2')
    t.deepEqual(await upAt('h4@127.0.0.4'), ['h2@127.0.0.2'], 'not with h3: no record names it yet')
    t.log(`A records 127.0.0.2 and .4: h4 is linked with ${await upAt('h4@127.0.0.4')}`)
    configure(
      [],
      [
        ['127.0.0.2', name],
        ['127.0.0.3', name],
        ['127.0.0.4', name],
      ],
    )
    process.kill(Number(dns?.pid), 'SIGHUP')
    await until(async () => (await upAt('h4@127.0.0.4')).includes('h3@127.0.0.3'), 'h4 linked with h3 once listed')
    t.deepEqual(await upAt('h4@127.0.0.4'), ['h2@127.0.0.2', 'h3@127.0.0.3'])
    t.log(`hosts file rewritten and SIGHUP, A records .2, .3, .4: h4 is linked with ${await upAt('h4@127.0.0.4')}`)
  },
)
