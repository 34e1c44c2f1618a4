// Child process for `idle_process_bytes`, run by tools/bench/local.ts as
//   node --expose-gc --import=tsx tools/bench/idle.ts <bfly|plain_js> <n>
// Spawns n processes that each wait in receive(), then prints one JSON line:
// JS heap bytes per process (heapUsed delta after a full GC) and native bytes
// per process (RSS delta minus the growth of the V8 heap's physical size,
// which leaves the Rust process table and anything else outside the JS heap).
import { getHeapStatistics } from 'node:v8'
import { check, tick } from './harness.js'
import type { Runtime } from './runtime.js'

export interface IdleSample {
  heap: number
  native: number
  total: number
}

async function load(impl: string): Promise<Runtime<unknown>> {
  if (impl === 'bfly') return (await import('./bfly.js')).bfly as Runtime<unknown>
  if (impl === 'plain_js') return new (await import('./baselines/plain.js')).PlainRuntime() as Runtime<unknown>
  throw new Error(`idle: unknown runtime ${impl}`)
}

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('idle: run with node --expose-gc')

interface Memory {
  heapUsed: number
  heapPhysical: number
  rss: number
}

async function settle(): Promise<Memory> {
  for (let i = 0; i < 3; i++) await tick()
  gc?.()
  gc?.()
  const { heapUsed, rss } = process.memoryUsage()
  return { heapUsed, rss, heapPhysical: getHeapStatistics().total_physical_size }
}

const [impl = '', nText = ''] = process.argv.slice(2)
const n = Number(nText)
check(Number.isInteger(n) && n > 0, `idle: bad count ${nText}`)
const rt = await load(impl)

// Warm the runtime up (lazy tables, JIT) with processes that come and go.
const base = rt.processCount()
const warm: unknown[] = []
for (let i = 0; i < 1000; i++) warm.push(rt.spawn(async (p) => void (await p.receive())))
for (const pid of warm) rt.send(pid, 'go')
while (rt.processCount() > base) await tick()

const before = await settle()
const idle = async (p: { receive(): Promise<unknown> }) => {
  await p.receive()
}
for (let i = 0; i < n; i++) rt.spawn(idle)
const after = await settle()
check(rt.processCount() - base === n, `idle: ${rt.processCount() - base} live processes, expected ${n}`)

const heap = (after.heapUsed - before.heapUsed) / n
const native = Math.max(0, after.rss - before.rss - (after.heapPhysical - before.heapPhysical)) / n
const sample: IdleSample = { heap, native, total: heap + native }
console.log(JSON.stringify(sample))
process.exit(0)
