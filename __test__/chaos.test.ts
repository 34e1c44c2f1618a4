// The short version of `npm run chaos` (tools/chaos.ts): one round of each
// fault (SIGKILL, SIGSTOP, cut, blackhole) on a 4-node cluster of OS
// processes; the script checks its own invariants and exits 1 on any.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import test from 'ava'

const SCRIPT = fileURLToPath(new URL('../tools/chaos.ts', import.meta.url))

test('chaos, short: every fault fires its link once, the rest stay up, services come back, nothing skipped', async (t) => {
  // One round of each fault, however long a loaded machine takes.
  t.timeout(300_000)
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      ['--import=tsx', SCRIPT, '--faults', '4', '--seconds', '240'],
      { timeout: 280_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout)),
    ),
  )
  const summary = JSON.parse(out) as { faults: number; problems: string[]; recoveries: unknown[] }
  t.deepEqual(summary.problems, [])
  t.is(summary.faults, 4, 'one round of each fault')
  t.is(summary.recoveries.length, summary.faults)
})
