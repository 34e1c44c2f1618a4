// Capabilities that mean what they say (issue 14, finding 6): a node that
// lets peers spawn runs only the modules it lists (startNode({ modules })),
// never a data: or http: URL, a built-in, a package or a file elsewhere,
// however the name is written; and a server upgrade sent from another node
// (which any cookie holder may send: calls need no capability) loads only
// what the node admits. Real node processes; a refusal is a RefusedError.
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import test from 'ava'
import { call, type Pid, RefusedError, registerServer, remoteService, spawn, UpgradeError, upgrade } from '../index.ts'
import { alive } from './guard.ts'
import { eventually } from './helpers.ts'
import { newCookie, type Peer, SERVICES, startPeer, thisNode } from './nodes.ts'

const cookie = newCookie()
const root = mkdtempSync(join(tmpdir(), 'bfly-caps-'))
const allowed = join(root, 'allowed')
const outside = join(root, 'outside')
mkdirSync(allowed)
mkdirSync(outside)
/** A module that leaves a mark when it runs, and handlers for an upgrade. */
const MODULE = `import { writeFileSync } from 'node:fs'
export function go(_p, file) { writeFileSync(file, 'ran') }
export const v2 = { handle: (_req, n) => ({ answer: ['v2', n + 1], state: n + 1 }) }`
writeFileSync(join(allowed, 'ok.mjs'), MODULE)
writeFileSync(join(outside, 'evil.mjs'), MODULE)
symlinkSync(join(outside, 'evil.mjs'), join(allowed, 'link.mjs'))
const mark = (name: string) => join(root, `${name}.ran`)
/** A data: module that leaves `file` when imported (not even run). */
const dataModule = (file: string) =>
  `data:text/javascript,import{writeFileSync}from'node:fs';writeFileSync(${JSON.stringify(file)},'ran');export function go(){};export const v2={}`

let victim: Peer
test.before(async () => {
  await thisNode(`caps-${process.pid}@127.0.0.1`, cookie)
  // 'spawn' is all it grants, and only modules under `allowed` may be named.
  victim = await startPeer(`caps-victim-${process.pid}@127.0.0.1`, cookie, {
    allow: ['spawn'],
    modules: [`${allowed}/`],
  })
  registerServer(victim.name, victim.addr)
})
test.after.always(async () => {
  await victim?.kill()
})

test.serial("spawn runs a module in the node's list", async (t) => {
  const pid = await spawn({ module: join(allowed, 'ok.mjs'), fn: 'go', args: [mark('ok')] }, { node: victim.name })
  t.is((pid as Pid).node, victim.name)
  t.true(await eventually(() => existsSync(mark('ok'))), 'the listed module ran')
})

const REFUSED: [string, string][] = [
  ['a data: URL', dataModule(mark('data'))],
  ['an http: URL', 'http://127.0.0.1:9/evil.mjs'],
  ['a built-in (node:child_process)', 'node:child_process'],
  ['a built-in by its bare name (fs)', 'fs'],
  ['a package of the node (msgpackr)', 'msgpackr'],
  ['a file outside the list', join(outside, 'evil.mjs')],
  ['a path that climbs out of the folder', `${allowed}/../outside/evil.mjs`],
  ['a file URL that climbs out with %2e%2e', `${pathToFileURL(allowed).href}/%2e%2e/outside/evil.mjs`],
  ['a symbolic link in the folder to a file outside it', join(allowed, 'link.mjs')],
  ['a relative path', '../../../../../../tmp/evil.mjs'],
]

for (const [what, module] of REFUSED)
  test.serial(`spawn of ${what} is refused with RefusedError and runs nothing`, async (t) => {
    await t.throwsAsync(spawn({ module, fn: 'go', args: [mark('evil')] }, { node: victim.name }), {
      instanceOf: RefusedError,
      message: /not among the modules this node .* lets others load/,
    })
    alive(t, victim.guarded, what)
    t.false(existsSync(mark('evil')) || existsSync(mark('data')), 'nothing ran')
  })

test.serial('the refusals are in the node log', async (t) => {
  const log = (await call(remoteService(victim.name, { name: 'CTL' }), ['log'], { timeout: 20_000 })) as string[]
  t.true(log.some((l) => /^refused \S+ spawn: .* is not among the modules/.test(l)))
})

test.serial('a node without `modules` refuses every spawn from peers, even with every capability', async (t) => {
  const open = await startPeer(`caps-open-${process.pid}@127.0.0.1`, cookie, { modules: [] })
  try {
    registerServer(open.name, open.addr)
    await t.throwsAsync(spawn({ module: SERVICES, fn: 'echo', args: [] }, { node: open.name }), {
      instanceOf: RefusedError,
    })
  } finally {
    await open.kill()
  }
})

test.serial('a server upgrade sent from another node loads only a module the node admits', async (t) => {
  const counter = remoteService(victim.name, { name: 'COUNTER' })
  t.deepEqual(await call(counter, 'x', { timeout: 20_000 }), ['v1', 1])
  for (const module of [dataModule(mark('upgrade')), join(outside, 'evil.mjs'), 'node:fs']) {
    const e = await t.throwsAsync(upgrade(counter, { module, export: 'v2' }, { timeout: 20_000 }), {
      instanceOf: UpgradeError,
    })
    t.is((e?.cause as Error | undefined)?.name, 'RefusedError', `${module.slice(0, 40)}: ${e?.message}`)
  }
  t.false(existsSync(mark('upgrade')), 'the data: module was never imported')
  t.deepEqual(await call(counter, 'x', { timeout: 20_000 }), ['v1', 2], 'the server runs its old code')
  await upgrade(counter, { module: join(allowed, 'ok.mjs'), export: 'v2' }, { timeout: 20_000 })
  t.deepEqual(await call(counter, 'x', { timeout: 20_000 }), ['v2', 3], 'a listed module is loaded')
})
