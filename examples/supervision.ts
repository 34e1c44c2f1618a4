// A supervision tree with a worker that crashes: the supervisor restarts
// it under the same name, and the EXIT-MONITOR's log shows what happened.
import { call, exitLog, makeServer, type Pid, type Process, spawn, supervisor, whichChildren } from '../index.ts'

/** A worker that counts calls and crashes on 'crash'. */
function startWorker(sup: Process): Pid {
  return makeServer(
    {
      init: () => 0,
      handle: (req, n: number) => {
        if (req === 'crash') throw new Error('worker crashed on purpose')
        return { answer: `call #${n + 1} to ${req}`, state: n + 1 }
      },
    },
    { link: sup, name: 'WORKER' },
  )
}

/** Runs the demo; prints to `out` (console.log by default). */
export async function supervisionDemo(out: (line: string) => void = console.log): Promise<void> {
  const top = supervisor({
    strategy: 'one_for_one',
    intensity: 3,
    period: 5000,
    children: [
      { id: 'worker', start: startWorker, restart: 'permanent' },
      { id: 'cache', start: (sup) => makeServer({ handle: (r, s) => ({ answer: r, state: s }) }, { link: sup }) },
    ],
  })
  const [before] = await whichChildren(top)
  out(`supervisor ${top} started worker ${before.pid}: ${await call('WORKER', 'WORKER')}`)
  await call('WORKER', 'crash').catch((e: Error) => out(`the call failed: ${e.message}`))
  const [after] = await whichChildren(top)
  out(`restarted as ${after.pid}, same name: ${await call('WORKER', 'WORKER')}`)
  for (const r of await exitLog({ child: 'worker' }))
    out(`EXIT-MONITOR: ${r.pid} (${r.child}) exited at ${new Date(r.time).toISOString()}: ${String(r.reason)}`)
  // Stop the tree and wait until it is down (its children stop first, in reverse order).
  await new Promise<void>((resolve) =>
    spawn(async (p) => {
      const ref = p.monitor(top)
      p.exit(top, 'shutdown')
      await p.receive((m) => Array.isArray(m) && m[0] === 'DOWN' && ref.equals(m[1]))
      resolve()
    }),
  )
}

if (import.meta.url === `file://${process.argv[1]}`) await supervisionDemo()
