// Crash reports (issue 16, item 1): a process that ends abnormally with
// nobody linked or monitoring gets one line on stderr and in the system
// log, as Erlang's error_logger prints one. Run in a child process, so its
// stderr and log file are its own.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'ava'

const FIXTURE = fileURLToPath(new URL('./fixtures/crashes.ts', import.meta.url))

function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ stderr: string; stdout: string; log: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'bfly-crash-'))
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import=tsx', FIXTURE, ...args],
      { env: { ...process.env, BFLY_LOG_DIR: dir, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err !== null) return reject(new Error(`${err.message}\n${stderr}`))
        let log = ''
        try {
          log = readFileSync(join(dir, 'bfly.log'), 'utf8')
        } catch {}
        resolve({ stdout, stderr, log })
      },
    )
  })
}

const reports = (text: string): string[] => text.split('\n').filter((l) => l.includes('crash report'))

test('a crash with nobody linked or monitoring is one line on stderr and in the log', async (t) => {
  const r = await run([])
  t.is(r.stdout, 'done\n')
  const lines = reports(r.stderr)
  t.is(lines.length, 3, r.stderr)
  const lonely = lines.find((l) => l.includes('lonely crash')) ?? ''
  t.regex(lonely, /^bfly crash report: process <nonode@nohost\.\d+> exited with Error: lonely crash \| at /)
  t.regex(lonely, /crashes\.ts:\d+:\d+/, 'the stack is on the line')
  const server = lines.find((l) => l.includes('handler crash')) ?? ''
  t.regex(
    server,
    /^bfly crash report: process <nonode@nohost\.\d+> \(FRAGILE\) exited with TypeError: handler crash \| at /,
  )
  t.true(
    lines.some((l) => l === `bfly crash report: process ${/<[^>]+>/.exec(l)?.[0]} exited with {"code":42}`),
    'a thrown object shows as its description',
  )
  for (const quiet of ['linked crash', 'monitored crash', 'shutdown', 'killed', 'normal'])
    t.false(
      lines.some((l) => l.includes(quiet)),
      quiet,
    )
  const logged = reports(r.log).map((l) => JSON.parse(l) as { level: number; msg: string })
  t.is(logged.length, 3, r.log)
  t.true(
    logged.every((l) => l.level === 50 && !l.msg.includes('\n')),
    'errors, one line each',
  )
  t.true(
    logged.some((l) =>
      /^crash report: process <.*> \(FRAGILE\) exited with TypeError: handler crash \| at /.test(l.msg),
    ),
  )
})

test('crashReports(false) and BFLY_CRASH_REPORTS=0 silence them', async (t) => {
  for (const r of await Promise.all([run(['silence']), run([], { BFLY_CRASH_REPORTS: '0' })])) {
    t.is(r.stdout, 'done\n')
    t.deepEqual(reports(r.stderr), [])
    t.deepEqual(reports(r.log), [])
  }
})
