// `npm run bench [suite...]` / `npx tsx tools/bench/run.ts [suite...]`: runs the
// named suites (default: every suite file present in tools/bench/), prints a table
// per suite and writes tools/bench/results/<suite>.json. Each measurement runs in
// a fresh Node child (tools/bench/child.ts); Erlang baselines run in erl.
// Env: BENCH_RUNS (timed runs per measurement: median, min, max; default 5).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { BENCH_DIR, buildDist, printTable, type SuiteModule, writeReport } from './harness.js'

const SUITES = ['local', 'match', 'remote', 'threads', 'otp', 'stm']
const present = SUITES.filter((s) => existsSync(join(BENCH_DIR, `${s}.ts`)))
const asked = process.argv.slice(2)
for (const s of asked) {
  if (!present.includes(s)) {
    console.error(`unknown suite ${s}; available: ${present.join(', ')}`)
    process.exit(2)
  }
}

// The children run bfly as compiled (tools/bench/loader.mjs): compile this checkout, and the one measured
// beside it.
buildDist()
if (process.env.BENCH_BEFORE) buildDist(process.env.BENCH_BEFORE)

for (const name of asked.length > 0 ? asked : present) {
  const suite = (await import(`./${name}.ts`)) as SuiteModule
  const report = await suite.run()
  printTable(report)
  console.log(`wrote ${writeReport(report)}`)
}
