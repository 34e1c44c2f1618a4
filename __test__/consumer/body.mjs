// Process bodies the consumer suite spawns by { module, fn } (locally and
// on a pool thread), as an installed user's module.
import { reply } from 'bfly'

/** Answers every call with [where it runs, the request]. */
export async function echo(p) {
  const { isMainThread } = await import('node:worker_threads')
  for (;;) {
    const m = await p.receive()
    if (Array.isArray(m) && m[0] === '$call') reply(m[1], [isMainThread ? 'main' : 'pool', m[2]])
  }
}
