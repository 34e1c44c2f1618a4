// The portability smoke suite, plain JS over the compiled package (dist/),
// so every runtime runs the same code through the same Node-API addon:
//   <runtime> scripts/runtime-smoke.mjs         prints one JSON line of checks
//   <runtime> scripts/runtime-smoke.mjs peer C  a node serving ECHO (cookie C)
// BFLY_RUNTIME_ARGV: how to start this runtime again (JSON array), for the peer.
import { spawn as spawnChild } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'

const checks = {}
async function check(name, fn) {
  try {
    checks[name] = (await Promise.race([
      fn(),
      new Promise((_, j) => setTimeout(() => j(new Error('timed out')), 10_000)),
    ]))
      ? 'ok'
      : 'wrong result'
  } catch (e) {
    checks[name] = `fails: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`
  }
}

let bfly
try {
  bfly = await import('../dist/index.js')
} catch (e) {
  console.log(JSON.stringify({ load: `fails: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` }))
  process.exit(0)
}
const { call, match, P, registerServer, registerService, remoteService, reply, spawn, startNode } = bfly
const echo = () =>
  spawn(async (p) => {
    for (;;) {
      const m = await p.receive()
      if (Array.isArray(m) && m[0] === '$call') reply(m[1], m[2])
    }
  })

if (process.argv[2] === 'peer') {
  const node = await startNode({ name: 'peer@127.0.0.1', listen: '127.0.0.1:0', cookie: process.argv[3] })
  registerService('ECHO', echo())
  console.log(`listening ${node.address}`)
} else {
  checks.load = 'ok'
  await check(
    'spawn_receive',
    () =>
      new Promise((resolve) =>
        spawn(async (p) => {
          p.send(p.self, 1)
          resolve((await p.receive(undefined, { timeout: 1000 })) === 1)
        }),
      ),
  )
  await check(
    'link_exit',
    () =>
      new Promise((resolve) =>
        spawn(async (p) => {
          p.trapExit(true)
          p.spawnLink(() => {
            throw new Error('boom')
          })
          const m = await p.receive()
          resolve(m[0] === 'EXIT' && m[2].message === 'boom')
        }),
      ),
  )
  await check('call', async () => {
    registerService('LOCAL', echo())
    return (await call('LOCAL', 'hi')) === 'hi'
  })
  await check(
    'match_recv',
    () =>
      new Promise((resolve) =>
        spawn(async (p) => {
          const m = match([['hit', P.select()], (x) => x * 2])
          p.send(p.self, 'noise')
          p.send(p.self, ['hit', 21])
          resolve((await p.recv(m, { timeout: 1000 })) === 42)
        }),
      ),
  )
  await check('two_node_call', async () => {
    const cookie = randomBytes(32).toString('hex')
    const argv = JSON.parse(process.env.BFLY_RUNTIME_ARGV ?? '[]')
    const peer = spawnChild(process.execPath, [...argv, fileURLToPath(import.meta.url), 'peer', cookie], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    try {
      const addr = await new Promise((resolve, reject) => {
        peer.stdout.on('data', (d) => {
          const m = /listening (\S+)/.exec(d.toString())
          if (m) resolve(m[1])
        })
        peer.once('exit', (c) => reject(new Error(`peer exited ${c}`)))
      })
      const me = await startNode({ name: 'smoke@127.0.0.1', listen: '127.0.0.1:0', cookie })
      registerServer('peer@127.0.0.1', addr)
      const ok = (await call(remoteService('peer@127.0.0.1', { name: 'ECHO' }), 'remote')) === 'remote'
      me.stop()
      return ok
    } finally {
      peer.kill()
    }
  })
  console.log(JSON.stringify(checks))
  process.exit(0)
}
