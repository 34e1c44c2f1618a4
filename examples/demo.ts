// `npm start`: the seed's echo service, a linked crash, a monitor's DOWN.
import { spawn as spawnChild } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { call, type From, flushLog, logPrint, type Process, registerService, reply, spawn } from '../index.ts'
import { startEcho } from './echo.ts'
import { supervisionDemo } from './supervision.ts'

// The seed's (register-service :ECHO (spawn #'echo-server)) and (!? :ECHO "Hello").
async function echoServer(p: Process): Promise<void> {
  for (;;) {
    const msg = (await p.receive()) as ['$call', From, unknown]
    if (msg[0] === '$call') reply(msg[1], msg[2])
  }
}
registerService('ECHO', spawn(echoServer))
console.log(`(!? :ECHO "Hello") -> ${await call('ECHO', 'Hello')}`)

// A supervisor-like process traps exits, so a linked worker's crash comes
// to it as a message instead of killing it.
const done = new Promise<void>((resolve) => {
  spawn(async (p) => {
    p.trapExit(true)
    const worker = p.spawnLink(async (w) => {
      await w.receive(undefined, { timeout: 10 })
      throw new Error('worker crashed on purpose')
    })
    console.log(`spawned linked worker ${worker}`)
    const [tag, from, reason] = (await p.receive()) as ['EXIT', unknown, Error]
    console.log(`trapped ${tag} from ${from}: ${reason.message}`)

    // A monitor tells once, with the reason, when a process ends.
    const short = p.spawnLink(async () => 'done')
    const ref = p.monitor(short)
    const down = await p.receive((m) => Array.isArray(m) && m[0] === 'DOWN' && ref.equals(m[1]))
    console.log(`monitor fired: ${JSON.stringify((down as unknown[]).map(String))}`)
    resolve()
  })
})
await done

// The standard server (seed make-server) and a supervision tree that
// restarts a crashing worker, with the EXIT-MONITOR's record of it.
console.log(`standard server: (!? :STD-ECHO "Hello") -> ${await call(startEcho('STD-ECHO'), 'Hello')}`)
// SYSTEM-LOG prints in the background while printing is switched on.
logPrint(true)
await supervisionDemo()
await flushLog()
logPrint(false)
// Distribution: the same call to a service of another node (examples/remote-echo.ts).
const remote = spawnChild(
  process.execPath,
  ['--import=tsx', fileURLToPath(new URL('./remote-echo.ts', import.meta.url))],
  {
    stdio: 'inherit',
  },
)
await new Promise<void>((resolve, reject) =>
  remote.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`remote-echo exited with ${code}`)))),
)
console.log('demo finished')
