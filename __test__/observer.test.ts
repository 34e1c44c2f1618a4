// The observer end to end: a node in its own OS process serves the page
// (startNode({ observer })), headless Chromium (Debian's chromium, driven
// by playwright-core) watches a supervised child appear, die by `bfly
// kill` and come back; `bfly observer` attaches to a `bfly node` over the
// encrypted link. Nothing is mocked; every wait is for a condition.
import { type ChildProcess, execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import test from 'ava'
import { chromium } from 'playwright-core'
import { type NodeOptions, startNode } from '../index.ts'
import { startGuarded } from './guard.ts'

const BIN = fileURLToPath(new URL('../bin/bfly.mjs', import.meta.url))
const OBSERVED = fileURLToPath(new URL('./fixtures/observed.ts', import.meta.url))
const SERVICES = fileURLToPath(new URL('./fixtures/cli-services.ts', import.meta.url))
const CHROMIUM = '/usr/bin/chromium'
/** Generous: the machine is shared and slow at times; only conditions are awaited. */
const WAIT = 60_000
const dir = mkdtempSync(join(tmpdir(), 'bfly-observer-'))
const cookieFile = join(dir, 'cookie')
writeFileSync(cookieFile, randomBytes(32).toString('hex'), { mode: 0o600 })

const children = new Set<ChildProcess>()
test.after.always(() => {
  for (const c of children) c.kill('SIGKILL')
})

/** Starts `args` under node (with the crash guard) and resolves with the first stdout line matching `re`. */
function startUntil(args: string[], re: RegExp): Promise<{ proc: ChildProcess; m: RegExpExecArray }> {
  const { proc, stderr } = startGuarded(args)
  children.add(proc)
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}): ${stderr()}`)))
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const m = re.exec(line)
      if (m !== null) resolve({ proc, m })
    })
  })
}

/** Runs `bfly ...args` to its end. */
function bfly(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: WAIT }, (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr }),
    )
  })
}

/** GET `path` of `url`'s server with these headers: the status and body. */
function get(
  url: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const u = new URL(url)
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: u.port, path, headers }, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => {
        body += d.toString()
        // An event stream never ends: its first data frame is enough.
        if (path.startsWith('/events') && body.includes('\ndata: ')) res.destroy()
      })
      res.on('close', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

const tokenOf = (url: string): string => new URL(url).searchParams.get('token') ?? ''

test('the page shows a supervised process, its death by bfly kill and its restart', async (t) => {
  t.timeout(180_000)
  if (!existsSync(CHROMIUM)) return t.fail(`${CHROMIUM} is missing: apt-get install -y chromium`)
  const name = `observed-${process.pid}@127.0.0.1`
  const cookie = (await import('node:fs')).readFileSync(cookieFile, 'utf8')
  const { m } = await startUntil([OBSERVED, name, cookie], /^\{"listening":"(.*)","observer":"(.*)"\}$/)
  const [addr, url] = [m[1], m[2]]
  t.regex(url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/)

  for (const path of ['/', '/events', '/snapshot', '/app.js', '/?token=wrong'])
    t.is((await get(url, path)).status, 401, `${path} without the token`)
  t.is((await get(url, `/snapshot?token=${tokenOf(url)}`, { host: 'evil.example' })).status, 403, 'another Host')

  const ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'bfly-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  try {
    const page = await ctx.newPage()
    await page.setViewportSize({ width: 1300, height: 1100 })
    await page.goto(url)
    const worker = page.locator('#processes tr[data-names~="WORKER"]')
    await worker.waitFor({ timeout: WAIT })
    const oldPid = (await worker.getAttribute('data-pid')) ?? ''
    t.regex(oldPid, /^<.*\.\d+>$/)
    await page.locator(`#tree [data-child="worker"][data-pid="${oldPid}"]`).waitFor({ timeout: WAIT })
    await page.locator('#chart .uplot canvas').waitFor({ timeout: WAIT })
    t.is(await page.locator('#conn').textContent(), 'live')

    const killed = await bfly(['kill', `${name}@${addr}`, oldPid, '--cookie-file', cookieFile])
    t.is(killed.code, 0, killed.stderr)

    const exit = page.locator(`#exits tr[data-pid="${oldPid}"][data-child="worker"]:not([data-restarted-as=""])`)
    await exit.waitFor({ timeout: WAIT })
    const newPid = (await exit.getAttribute('data-restarted-as')) ?? ''
    t.regex(newPid, /^<.*\.\d+>$/)
    t.not(newPid, oldPid)
    t.regex((await exit.textContent()) ?? '', /killed/)
    await page.locator(`#processes tr[data-pid="${newPid}"][data-names~="WORKER"]`).waitFor({ timeout: WAIT })
    await page.locator(`#tree [data-child="worker"][data-pid="${newPid}"]`).waitFor({ timeout: WAIT })
    // bfly kill was a node too: its link shows among the connected nodes (down once it stopped).
    await page.locator('#nodes tr[data-node^="bfly-cli-"]').first().waitFor({ timeout: WAIT })
    await page.locator(`#graph g[data-pid="${newPid}"]`).waitFor({ timeout: WAIT })
    t.true((await page.locator('#graph line.link').count()) >= 1, 'the SUP-WORKER link is drawn')
    // The ticker's messages to WORKER show as a rate once two snapshots have seen them.
    await page.waitForFunction(
      (pid) => Number(document.querySelector(`#processes tr[data-pid="${pid}"] td:nth-child(7)`)?.textContent) > 0,
      newPid,
      { timeout: WAIT },
    )
    mkdirSync('target', { recursive: true })
    const shot = resolve('target/observer.png')
    await page.screenshot({ path: shot, fullPage: true })
    t.log(`screenshot: ${shot}`)
  } finally {
    await ctx.close()
  }
})

test('bfly observer attaches to a bfly node over the link; bfly ps shows the per-process data', async (t) => {
  t.timeout(120_000)
  const { m: nm } = await startUntil(
    [BIN, 'node', '--name', 'obs-ps@127.0.0.1', '--listen', '127.0.0.1:0', '--cookie-file', cookieFile].concat([
      '--services',
      SERVICES,
      '--log-dir',
      join(dir, 'log'),
    ]),
    /^bfly node (\S+) listening on (\S+)$/,
  )
  const target = `${nm[1]}@${nm[2]}`
  const { proc, m } = await startUntil(
    [BIN, 'observer', target, '--cookie-file', cookieFile],
    /^bfly observer of (\S+) at (\S+)$/,
  )
  t.is(m[1], nm[1])
  const url = m[2]
  t.is((await get(url, '/snapshot')).status, 401)
  const snap = await get(url, `/snapshot?token=${tokenOf(url)}`)
  t.is(snap.status, 200)
  const s = JSON.parse(snap.body) as { node: string; processes: { names: string[]; mailbox: number }[] }
  t.is(s.node, nm[1])
  for (const n of ['OBSERVER', 'NODE-INFO', 'VICTIM', 'EXIT-MONITOR'])
    t.true(
      s.processes.some((p) => p.names.includes(n)),
      n,
    )
  const events = await get(url, `/events?token=${tokenOf(url)}`)
  t.is(events.status, 200)
  t.regex(events.body, /\ndata: \{"time":\d+,"node":"obs-ps@127\.0\.0\.1"/)

  const ps = await bfly(['ps', target, '--cookie-file', cookieFile])
  t.is(ps.code, 0, ps.stderr)
  t.regex(ps.stdout, /PID +NAMES +KIND +STATUS +MAILBOX +HANDLED +MEMORY +LINKS +MONITORS/)
  t.regex(ps.stdout, /VICTIM +process +waiting +0 +0 +\d+/)
  t.regex(ps.stdout, /unnamed processes on the main thread; --all lists them/)
  const all = await bfly(['ps', target, '--all', '--cookie-file', cookieFile])
  t.is(all.code, 0, all.stderr)
  t.regex(all.stdout, /VICTIM +process/)
  t.false(all.stdout.includes('unnamed processes'), '--all lists them instead')

  const ended = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)))
  proc.kill('SIGTERM')
  t.is(await ended, 0)
})

test('startNode({ observer }): bad options and a taken port reject and leave no node; stop frees the port', async (t) => {
  const cookie = randomBytes(32).toString('hex')
  const opts = { name: `obs-local-${process.pid}@127.0.0.1`, listen: '127.0.0.1:0', cookie, quiet: true }
  for (const observer of [null, { port: -1 }, { port: 1.5 }, { port: 70000 }])
    await t.throwsAsync(startNode({ ...opts, observer } as NodeOptions), { instanceOf: TypeError, message: /observer/ })
  const taken = createServer()
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()))
  const port = (taken.address() as AddressInfo).port
  await t.throwsAsync(startNode({ ...opts, observer: { port } }), { message: /EADDRINUSE/ })
  taken.close()
  const node = await startNode({ ...opts, observer: { port: 0 } })
  const url = node.observer?.url ?? ''
  t.regex(url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=/)
  const snap = await get(url, '/snapshot', { authorization: `Bearer ${tokenOf(url)}` })
  t.is(snap.status, 200, 'a Bearer header is accepted too')
  t.is((JSON.parse(snap.body) as { node: string }).node, opts.name)
  node.stop()
  // The port is closed as the node stops; poll for the refusal rather than assume when.
  let refused = false
  for (const end = Date.now() + WAIT; !refused && Date.now() < end; ) {
    refused = await get(url, '/snapshot').then(
      () => false,
      (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED',
    )
    if (!refused) await new Promise((r) => setTimeout(r, 50))
  }
  t.true(refused, 'nothing listens on the observer port once the node stopped')
})
