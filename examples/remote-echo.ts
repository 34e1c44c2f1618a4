// The seed's remote example, as written, between two OS processes on
// 127.0.0.1: node A registers ECHO; node B registers A's address and a
// local name for A's ECHO, then calls it like a local service.
//   npx tsx examples/remote-echo.ts        (runs B, starting A as a child)
// BFLY_DEMO_PORT changes A's port (default 12010, as in the seed; 0 picks one).
import { spawn as spawnChild } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import {
  call,
  type From,
  type Process,
  registerServer,
  registerService,
  remoteService,
  reply,
  spawn,
  startNode,
} from '../index.ts'

const port = Number(process.env.BFLY_DEMO_PORT ?? 12010)

async function echoServer(p: Process): Promise<void> {
  for (;;) {
    const msg = (await p.receive()) as ['$call', From, unknown]
    if (msg[0] === '$call') reply(msg[1], msg[2])
  }
}

if (process.argv[2] === 'A') {
  // Node A: (register-service :ECHO (spawn #'echo-server)), then serve until killed.
  const cookie = process.env.BFLY_COOKIE ?? ''
  const a = await startNode({ name: 'A', listen: `127.0.0.1:${port}`, cookie })
  registerService('ECHO', spawn(echoServer))
  console.log(`ready ${a.address}`)
} else {
  const cookie = randomBytes(32).toString('hex')
  const a = spawnChild(process.execPath, ['--import=tsx', fileURLToPath(import.meta.url), 'A'], {
    env: { ...process.env, BFLY_COOKIE: cookie },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const addr = await new Promise<string>((resolve, reject) => {
    a.stdout?.on('data', (d: Buffer) => {
      const m = /ready (\S+)/.exec(d.toString())
      if (m !== null) resolve(m[1])
    })
    a.once('exit', (code) => reject(new Error(`node A exited (${code}) before it was ready`)))
  })
  // Node B, the seed's client side.
  const b = await startNode({ name: 'B', listen: '127.0.0.1:0', cookie })
  registerServer('A', addr) // '127.0.0.1:12010' unless BFLY_DEMO_PORT says otherwise
  registerService('ECHO', remoteService('A', { name: 'ECHO' }))
  console.log(`node B: (!? :ECHO "Hello") -> ${await call('ECHO', 'Hello')} (answered by node A over SL1)`)
  b.stop()
  a.kill()
}
