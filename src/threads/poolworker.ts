// The runtime of a pool worker thread: bfly itself (index.ts: every layer,
// wired) plus the handler of Spawn deliveries. It registers with the native
// side explicitly, under the thread id its spawner reserved (see
// src/kernel/thread.ts), once it can start what it is sent. It stays up
// while the pool lives and tells its spawner when its last process has
// ended (src/threads/pool.ts unrefs it then).
import { parentPort } from 'node:worker_threads'
import { decode } from '../kernel/codec.js'
import { bodyOf, type ProcessFn, start } from '../kernel/process.js'
import { setOnIdle, startThread } from '../kernel/thread.js'
import { setSpawner } from './inbox.js'
import '../../index.js'

let taken = 0

setSpawner((id, payload) => {
  taken++
  let body: ProcessFn
  try {
    const [module, fn, args] = decode(payload) as [string, string, Uint8Array]
    body = bodyOf({ module, fn, args: decode(args) as unknown[] }, 'spawn')
  } catch (e) {
    // The pid exists already: it dies with the reason it could not start.
    body = () => {
      throw e
    }
  }
  start(id, body)
})
setOnIdle(() => parentPort?.postMessage(['idle', taken]))
// Registering wakes this thread for what was queued under its reserved id.
startThread()

// The port keeps this worker's event loop up when it has no processes;
// the spawner decides whether the worker keeps the program alive.
parentPort?.on('message', () => {})
