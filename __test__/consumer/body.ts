// The TypeScript twin of body.mjs: loads only when the host has a TypeScript loader.
import { type Process, reply } from 'bfly'

export async function echo(p: Process): Promise<void> {
  const { isMainThread } = await import('node:worker_threads')
  const where: string = isMainThread ? 'main' : 'pool'
  for (;;) {
    const m = await p.receive()
    if (Array.isArray(m) && m[0] === '$call') reply(m[1], [`ts ${where}`, m[2]])
  }
}
