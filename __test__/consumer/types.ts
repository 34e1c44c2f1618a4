// A strict TypeScript consumer: compiled with `tsc --noEmit` against the
// installed package's .d.ts (skipLibCheck: false). Each @ts-expect-error
// is a check that something is NOT part of the public types.
import { call, type Dest, match, P, type Pid, type Process, ProcessExit, spawn, startNode } from 'bfly'

const pid: Pid = spawn(async (p: Process) => {
  const m: unknown = await p.receive()
  const kind = match([P.string, () => 'string'], [P._, () => 'other'])(m)
  kind satisfies string
})
const dest: Dest = pid
export const answer: Promise<number> = call<number>(dest, 'ping', { timeout: 1000 })
export const started = startNode({ name: 'a@127.0.0.1', listen: '127.0.0.1:0', cookie: 'c'.repeat(64) })
export const isExit = (e: unknown): boolean => e instanceof ProcessExit

// @ts-expect-error a Process's internal delivery hook is not public
export const hidden = (p: Process) => p._deliverSignal
// @ts-expect-error spawn takes a function or a { module, fn } spec
spawn(42)
