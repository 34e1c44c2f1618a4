// The `stm` suite's workloads, run by the measuring thread and by every
// worker of tools/bench/stm_worker.ts. bfly: atomically over TVars and withLocks.
// plain_js: the same shapes without bfly: a Map of versioned values with a
// version counter (one thread), and a SharedArrayBuffer lock per name with
// Atomics (several threads).
import { atomically, type TVar, withLocks } from '../../index.js'

/** The lock names of the contended withLocks workload; thread t takes
 * names t % 4 and (t + 1) % 4, so each request overlaps two others. */
export const LOCK_NAMES = ['L0', 'L1', 'L2', 'L3']

/** n transactions each adding 1 to both `a` and `b`; returns how many saw them differ (must be 0). */
export function stmIncrements(a: TVar<number>, b: TVar<number>, n: number): number {
  let bad = 0
  for (let i = 0; i < n; i++) {
    atomically((tx) => {
      const x = tx.read(a)
      const y = tx.read(b)
      if (x !== y) bad++
      tx.write(a, x + 1)
      tx.write(b, y + 1)
    })
  }
  return bad
}

/** n read-only transactions of `a`; returns the sum read. */
export function stmReads(a: TVar<number>, n: number): number {
  let s = 0
  for (let i = 0; i < n; i++) s += atomically((tx) => tx.read(a)) as number
  return s
}

/** n sequential withLocks of thread `t`'s two names; returns how many ran. */
export async function lockLoop(t: number, n: number): Promise<number> {
  const names = [LOCK_NAMES[t % 4] as string, LOCK_NAMES[(t + 1) % 4] as string]
  let ran = 0
  for (let i = 0; i < n; i++) await withLocks(names, () => ran++)
  return ran
}

/** The single-threaded plain-JS analogue of a transaction: a Map of
 * versioned values, a read set checked against a version counter at
 * commit, a write set applied at commit (values copied as numbers). */
export class PlainStm {
  clock = 0
  vars = new Map<number, { v: number; version: number }>()
  add(id: number, v: number): void {
    this.vars.set(id, { v, version: 0 })
  }
  /** One transaction adding 1 to both `a` and `b` (validated, then applied). */
  increment(a: number, b: number): void {
    const reads = new Map<number, number>()
    const writes = new Map<number, number>()
    const read = (id: number) => {
      const w = writes.get(id)
      if (w !== undefined) return w
      const c = this.vars.get(id) as { v: number; version: number }
      reads.set(id, c.version)
      return c.v
    }
    writes.set(a, read(a) + 1)
    writes.set(b, read(b) + 1)
    for (const [id, ver] of reads)
      if ((this.vars.get(id) as { version: number }).version !== ver) throw new Error('conflict')
    this.clock++
    for (const [id, v] of writes) this.vars.set(id, { v, version: this.clock })
  }
}

// A SharedArrayBuffer mutex: 0 free, 1 held, 2 held with waiters (Drepper's futex mutex).
function lock(m: Int32Array, i: number): void {
  let c = Atomics.compareExchange(m, i, 0, 1)
  if (c === 0) return
  if (c !== 2) c = Atomics.exchange(m, i, 2)
  while (c !== 0) {
    Atomics.wait(m, i, 2)
    c = Atomics.exchange(m, i, 2)
  }
}

function unlock(m: Int32Array, i: number): void {
  if (Atomics.sub(m, i, 1) !== 1) {
    Atomics.store(m, i, 0)
    Atomics.notify(m, i, 1)
  }
}

/** plain_js contended increments: slots [lock, a, b] of `m`, n times. */
export function plainIncrements(m: Int32Array, n: number): number {
  let bad = 0
  for (let i = 0; i < n; i++) {
    lock(m, 0)
    if (m[1] !== m[2]) bad++
    m[1] = (m[1] as number) + 1
    m[2] = (m[2] as number) + 1
    unlock(m, 0)
  }
  return bad
}

/** plain_js multi-lock: thread `t` takes its two name locks of `m` (slots
 * 0..3) in one global order (index order), n times; slot 4 counts. */
export function plainLockLoop(m: Int32Array, t: number, n: number): number {
  const [x, y] = [t % 4, (t + 1) % 4].sort((p, q) => p - q) as [number, number]
  for (let i = 0; i < n; i++) {
    lock(m, x)
    lock(m, y)
    Atomics.add(m, 4, 1)
    unlock(m, y)
    unlock(m, x)
  }
  return n
}

/** plain_js single-thread multi-lock: a FIFO of waiters per name, names
 * taken in sorted order (the usual promise mutex). */
export class PlainLocks {
  held = new Set<string>()
  waiters = new Map<string, (() => void)[]>()
  private async take(name: string): Promise<void> {
    while (this.held.has(name)) {
      await new Promise<void>((r) => {
        const q = this.waiters.get(name) ?? []
        q.push(r)
        this.waiters.set(name, q)
      })
    }
    this.held.add(name)
  }
  private give(name: string): void {
    this.held.delete(name)
    this.waiters.get(name)?.shift()?.()
  }
  async with<R>(names: string[], fn: () => R): Promise<Awaited<R>> {
    const sorted = [...names].sort()
    for (const n of sorted) await this.take(n)
    try {
      return await fn()
    } finally {
      for (const n of sorted) this.give(n)
    }
  }
}
