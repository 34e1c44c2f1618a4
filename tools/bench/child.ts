// One measurement in a fresh process, spawned by harness.sampleInChild as
//   node --import=tsx tools/bench/child.ts <suite> <result> <impl>
// Runs the sampler (warm-up + best of BENCH_RUNS) and prints {"value": n}.
import { best, type SuiteModule } from './harness.js'

const [suite = '', name = '', impl = ''] = process.argv.slice(2)
const mod = (await import(`./${suite}.ts`)) as SuiteModule
const spec = mod.specs().find((s) => s.name === name)
if (spec === undefined) throw new Error(`child: no result ${name} in suite ${suite}`)
const sampler = impl === 'bfly' ? spec.bfly : spec.baselines[impl as keyof typeof spec.baselines]
if (typeof sampler !== 'function') throw new Error(`child: ${suite}/${name} has no ${impl} sampler`)
const value = await best(`${name} ${impl}`, spec.higher_is_better, sampler)
console.log(JSON.stringify({ value }))
// A runtime may keep handles open (native threads, timers): the measurement is done.
process.exit(0)
