// recv_10k: a process holds `noise` non-matching messages and, `iters`
// times, sends itself a matching one and receives it; the value is µs per
// receive. The noise must all still be queued, in order, afterwards.
//
// bfly uses one compiled matcher with `p.recv(matcher, { timeout, after })`,
// as a receive loop would; a guard-free matcher keeps a save position, so
// after the first receive has rejected the noise, later ones test only new
// arrivals. The first receive (a full scan of the noise) is timed on its
// own and printed, not reported. plain_js is tools/bench/baselines/plain.ts's
// array mailbox scanned from its head by a hand-written predicate, as
// Erlang's `receive {hit, X} -> ...` scans its whole mailbox every time.
import { match, P, processCount, spawn } from '../../index.js'
import { PlainRuntime } from './baselines/plain.js'
import { check, latch, now, since, tick } from './harness.js'

type Noise = [string, number]

function firstScan(impl: string, ns: number, noise: number): void {
  console.error(`    ${impl}: first receive (behind ${noise} untested messages) ${(ns / 1e3).toFixed(1)} µs`)
}

// Built once, as a receive loop's matcher is; each run is a new process
// (a new mailbox, so no save position carries over).
const hit = match([['hit', P.select(P.number)], (j) => j])

export async function recvBfly(noise: number, iters: number): Promise<number> {
  const base = processCount()
  const done = latch<number>()
  const opts = { timeout: 5000, after: () => -1 }
  spawn(async (p) => {
    try {
      for (let i = 0; i < noise; i++) p.send(p.self, ['noise', i])
      let first = 0
      const t0 = now()
      for (let j = 0; j < iters; j++) {
        p.send(p.self, ['hit', j])
        const r = await p.recv(hit, opts)
        check(r === j, `recv_10k: expected ${j}, got ${String(r)}`)
        if (j === 0) first = since(t0)
      }
      const ns = since(t0)
      firstScan('bfly', first, noise)
      for (let i = 0; i < noise; i++) {
        const m = (await p.receive()) as Noise
        check(m[0] === 'noise' && m[1] === i, `recv_10k: noise ${i} lost or reordered`)
      }
      done.resolve(ns)
    } catch (e) {
      done.reject(e)
    }
  })
  const ns = await done.promise
  while (processCount() > base) await tick()
  return ns / iters / 1e3
}

/** The hand-written equivalent of `['hit', P.select(P.number)]`. */
function isHit(m: unknown): boolean {
  return Array.isArray(m) && m.length === 2 && m[0] === 'hit' && typeof m[1] === 'number'
}

export async function recvPlain(noise: number, iters: number): Promise<number> {
  const rt = new PlainRuntime()
  const done = latch<number>()
  rt.spawn(async (p) => {
    try {
      for (let i = 0; i < noise; i++) p.send(p.self, ['noise', i])
      let first = 0
      const t0 = now()
      for (let j = 0; j < iters; j++) {
        p.send(p.self, ['hit', j])
        const r = ((await p.receive(isHit)) as Noise)[1]
        check(r === j, `recv_10k: expected ${j}, got ${String(r)}`)
        if (j === 0) first = since(t0)
      }
      const ns = since(t0)
      firstScan('plain_js', first, noise)
      for (let i = 0; i < noise; i++) {
        const m = (await p.receive()) as Noise
        check(m[0] === 'noise' && m[1] === i, `recv_10k: noise ${i} lost or reordered`)
      }
      done.resolve(ns)
    } catch (e) {
      done.reject(e)
    }
  })
  const ns = await done.promise
  while (rt.processCount() > 0) await tick()
  return ns / iters / 1e3
}
