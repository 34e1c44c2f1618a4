// import and require of 'bfly' in one process give one runtime: the same
// functions, classes and process table.
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import * as esm from 'bfly'

const cjs = createRequire(import.meta.url)('bfly')
const pid = esm.spawn(async (p) => {
  await p.receive()
})
writeFileSync(
  process.argv[2],
  JSON.stringify({
    sameSpawn: cjs.spawn === esm.spawn,
    samePid: cjs.Pid === esm.Pid,
    pidIsPid: pid instanceof cjs.Pid,
    sameTable: cjs.processCount() === esm.processCount() && esm.processCount() > 0,
  }),
)
process.exit(0)
