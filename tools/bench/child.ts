// One measurement in a fresh process, spawned by harness.sampleInChild as
//   node --import=tsx tools/bench/child.ts <suite> <result> <impl>
// Runs the sampler (warm-up + BENCH_RUNS runs) and prints {"values": [...]}.
import { type SuiteModule, sampleRuns } from './harness.js'

const [suite = '', name = '', impl = ''] = process.argv.slice(2)
const mod = (await import(`./${suite}.ts`)) as SuiteModule
const spec = mod.specs().find((s) => s.name === name)
if (spec === undefined) throw new Error(`child: no result ${name} in suite ${suite}`)
const sampler = impl === 'bfly' ? spec.bfly : spec.baselines[impl as keyof typeof spec.baselines]
if (typeof sampler !== 'function') throw new Error(`child: ${suite}/${name} has no ${impl} sampler`)
const { values } = await sampleRuns(`${name} ${impl}`, sampler)
console.log(JSON.stringify({ values }))
// A runtime may keep handles open (native threads, timers): the measurement is done.
process.exit(0)
