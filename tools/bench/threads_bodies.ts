// Process bodies of the `threads` suite, spawned on pool workers by spec.
// 'bfly', not '../../index.js': this runs on pool workers, which the bench's
// loader hooks do not reach (tools/bench/dist.mjs); the package's own name
// resolves to dist/ there too.
import { type Pid, type Process, send } from 'bfly'

/** The object every stream and ping-pong message carries (the same for postMessage). */
export function item(i: number): { seq: number; kind: string; value: number; tags: string[] } {
  return { seq: i, kind: 'tick', value: i * 1.5, tags: ['a', 'b'] }
}

/** Says 'ready', takes `n` items checking their order, answers ['done', ok]. */
export async function sink(p: Process, to: Pid, n: number): Promise<void> {
  send(to, 'ready')
  let ok = true
  for (let i = 0; i < n; i++) {
    const m = (await p.receive()) as { seq: number }
    if (m.seq !== i) ok = false
  }
  send(to, ['done', ok])
}

/** Says 'ready', then answers each [from, x] with x; ends on 'stop'. */
export async function echo(p: Process, to: Pid): Promise<void> {
  send(to, 'ready')
  for (;;) {
    const m = (await p.receive()) as [Pid, unknown] | 'stop'
    if (m === 'stop') return
    send(m[0], m[1])
  }
}

/** A CPU-bound job of `n` steps (the fan-out unit); its result checks it ran. */
export function crunch(n: number): number {
  let x = 1
  for (let i = 0; i < n; i++) x = (x * 48271 + i) % 2147483647
  return x
}

/** Runs one job and reports ['done', result]. */
export function job(_p: Process, to: Pid, n: number): void {
  send(to, ['done', crunch(n)])
}
