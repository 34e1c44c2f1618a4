// The post_message baseline of the `threads` suite: plain worker_threads
// doing the same work as the bfly pool processes, fed with postMessage.
// The worker is plain JavaScript (eval'd), so it needs no loader.
import { Worker } from 'node:worker_threads'
import { crunch } from './threads_bodies.js'

const WORKER = `
const { parentPort } = require('node:worker_threads')
const crunch = ${crunch.toString()}
let mode = null, left = 0, ok = true, next = 0
parentPort.on('message', (m) => {
  if (mode === 'stream' && left > 0) {
    if (m.seq !== next++) ok = false
    if (--left === 0) { mode = null; parentPort.postMessage(['done', ok]) }
    return
  }
  if (m.cmd === 'stream') { mode = 'stream'; left = m.n; ok = true; next = 0; parentPort.postMessage('ready'); return }
  if (m.cmd === 'echo') { parentPort.postMessage(m.x); return }
  if (m.cmd === 'job') { parentPort.postMessage(['done', crunch(m.n)]); return }
})
`

/** A plain worker that streams, echoes and runs jobs on request. */
export function plainWorker(): Worker {
  const w = new Worker(WORKER, { eval: true })
  w.unref()
  return w
}

/** The next message `w` posts. */
export function nextFrom<T>(w: Worker): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    w.once('message', resolve)
    w.once('error', reject)
  })
}
