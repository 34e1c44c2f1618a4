// bfly as a tools/bench/runtime.ts Runtime: its public API, nothing internal.
import { type From, type Pid, processCount, reply, send, spawn } from '../../index.js'
import type { Runtime } from './runtime.js'

export const bfly: Runtime<Pid> = {
  name: 'bfly',
  spawn: (fn) => spawn(fn),
  send: (dest, msg) => send(dest, msg),
  reply: (from, value) => reply(from as From, value),
  processCount: () => processCount(),
}
