// The API reference cannot rot silently: TypeDoc, run through `npm run docs:api`'s script with typedoc.json
// (every export of index.ts and its public members documented, every {@link} resolving, warnings as errors),
// must report nothing. A second run, on a fixture with one undocumented export, shows that the same script and
// options do report one, so a config that stopped validating would fail here too.
// `--emit none` skips rendering (only the comments are checked) and `--skipErrorChecking` leaves type errors
// to `tsc` in npm test; `--out` points at a temporary folder all the same, so docs/api is never touched.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'ava'

const SCRIPT = fileURLToPath(new URL('../scripts/apidocs.mjs', import.meta.url))
const ROOT_OPTIONS = fileURLToPath(new URL('../typedoc.json', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'bfly-apidocs-'))
test.after.always(() => rmSync(dir, { recursive: true, force: true }))

interface Run {
  code: number | null
  /** TypeDoc's warnings and errors, one line each, without colours. */
  problems: string[]
  output: string
}

function typedoc(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [SCRIPT, '--emit', 'none', '--skipErrorChecking', ...args],
      { env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
        const output = `${stdout}${stderr}`.replace(/\x1b\[[0-9;]*m/g, '')
        const problems = output.split('\n').filter((l) => /^\[(warning|error)\]/.test(l))
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, problems, output })
      },
    )
  })
}

test('every export of index.ts has a doc comment, and every link in them resolves', async (t) => {
  const run = await typedoc('--out', join(dir, 'api'))
  t.deepEqual(run.problems, [], `document these (TSDoc in src/, see docs/API.md):\n${run.problems.join('\n')}`)
  t.is(run.code, 0, run.output)
})

test('the same options report an undocumented export by name', async (t) => {
  writeFileSync(
    join(dir, 'fixture.ts'),
    '/** Documented. */\nexport const documented = 1\nexport function bare(): void {}\n',
  )
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, noLib: true, types: [] }, files: ['fixture.ts'] }),
  )
  // noLib: the fixture needs no lib types, and parsing none keeps this run to TypeDoc's start-up time.
  // typedoc.json's own options, with the fixture as entry point and program (the tsconfig an options file
  // names wins over a --tsconfig argument, so the fixture needs an options file of its own).
  writeFileSync(
    join(dir, 'typedoc.json'),
    JSON.stringify({ extends: [ROOT_OPTIONS], entryPoints: ['fixture.ts'], tsconfig: 'tsconfig.json' }),
  )
  const run = await typedoc('--options', join(dir, 'typedoc.json'), '--out', join(dir, 'fixture-api'))
  t.not(run.code, 0, run.output)
  t.true(
    run.problems.some((l) => /\bbare\b.*does not have any documentation/.test(l)),
    run.output,
  )
  t.false(
    run.problems.some((l) => /\bdocumented\b/.test(l)),
    'the documented export is not reported',
  )
})
