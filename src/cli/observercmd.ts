// `bfly observer NODE`: the observer page for a node in another OS
// process. Each snapshot is a call to the node's OBSERVER service over the
// encrypted link; the page is served here, on 127.0.0.1, with its token.
import { serveObserver } from '../observer/http.js'
import { OBSERVER } from '../observer/index.js'
import type { Snapshot } from '../observer/snapshot.js'
import { UsageError, type Values } from './args.js'
import { callService, type Session } from './remotecmds.js'

function portOf(v: Values[string]): number {
  if (v === undefined) return 0
  const n = Number(v)
  if (typeof v !== 'string' || !Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`--port must be an integer from 0 to 65535, got '${String(v)}'`)
  return n
}

/** Serves until SIGINT or SIGTERM; resolves with the exit code. */
export async function observer(s: Session, values: Values): Promise<number> {
  const port = portOf(values.port)
  const take = () => callService<Snapshot>(s, OBSERVER, 'snapshot')
  try {
    await take()
  } catch (e) {
    throw new Error(
      `no snapshot from ${s.target.name}: ${(e as Error).message} (its OBSERVER service is started by bfly node or startNode({ observer }))`,
    )
  }
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve())
    process.once('SIGTERM', () => resolve())
  })
  const obs = await serveObserver(take, { port })
  process.stdout.write(`bfly observer of ${s.target.name} at ${obs.url}\n`)
  await stopped
  await obs.close()
  return 0
}
