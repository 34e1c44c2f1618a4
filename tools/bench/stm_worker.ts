// A worker thread of the `stm` suite: runs the workload it is told to
// (tools/bench/stm_work.ts) and answers with its result, as many times as asked.
import { parentPort } from 'node:worker_threads'
import { decode, type TVar } from '../../index.js'
import { lockLoop, plainIncrements, plainLockLoop, stmIncrements } from './stm_work.js'

export type Job =
  | { kind: 'stm'; tvars: Uint8Array; n: number }
  | { kind: 'locks'; t: number; n: number }
  | { kind: 'plain_stm'; m: Int32Array; n: number }
  | { kind: 'plain_locks'; m: Int32Array; t: number; n: number }

parentPort?.on('message', async (job: Job) => {
  let r: number
  if (job.kind === 'stm') {
    const [a, b] = decode(job.tvars) as [TVar<number>, TVar<number>]
    r = stmIncrements(a, b, job.n)
  } else if (job.kind === 'locks') r = await lockLoop(job.t, job.n)
  else if (job.kind === 'plain_stm') r = plainIncrements(job.m, job.n)
  else r = plainLockLoop(job.m, job.t, job.n)
  parentPort?.postMessage(r)
})
