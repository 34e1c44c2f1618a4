// Runs an Erlang baseline module from tools/bench/erlang/: compiled with erlc into a
// temp dir, run with `erl -noshell +S 2`. The module prints `RELEASE <otp>`
// and `RESULT <name> <value>` lines. When erl/erlc are missing, or the run
// fails, every Erlang baseline is null (and the reason is printed).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BENCH_DIR } from './harness.js'

export interface ErlangRun {
  release: string | null
  results: Map<string, number>
}

const NONE: ErlangRun = { release: null, results: new Map() }

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0
}

/** `args` become `key=value` arguments of `module:main/1`; `flags` go to
 * `erl` itself (e.g. a distribution protocol). */
export function runErlang(
  module: string,
  args: Record<string, number | string>,
  flags: string[] = [],
  env: Record<string, string> = {},
): ErlangRun {
  if (!onPath('erl') || !onPath('erlc')) {
    console.error('  erlang: erl/erlc not on PATH, Erlang baselines are null')
    return NONE
  }
  const dir = mkdtempSync(join(tmpdir(), 'bfly-bench-erl-'))
  try {
    const src = join(BENCH_DIR, 'erlang', `${module}.erl`)
    const compiled = spawnSync('erlc', ['-o', dir, src], { encoding: 'utf8' })
    if (compiled.status !== 0) {
      console.error(`  erlang: erlc failed, Erlang baselines are null\n${compiled.stderr}`)
      return NONE
    }
    const argv = Object.entries(args).map(([k, v]) => `${k}=${v}`)
    const run = spawnSync('erl', ['-noshell', '+S', '2', '-pa', dir, ...flags, '-run', module, 'main', ...argv], {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
      cwd: dir,
      env: { ...process.env, ERL_CRASH_DUMP_SECONDS: '0', ...env },
    })
    const results = new Map<string, number>()
    let release: string | null = null
    for (const line of run.stdout.split('\n')) {
      const [tag, a, b] = line.trim().split(/\s+/)
      if (tag === 'RELEASE' && a !== undefined) release = a
      if (tag === 'RESULT' && a !== undefined && b !== undefined) results.set(a, Number(b))
    }
    if (run.status !== 0) {
      console.error(`  erlang: run failed (status ${run.status}), Erlang baselines are null`)
      console.error(run.stdout.slice(-2000), run.stderr.slice(-2000))
      return { release, results: new Map() }
    }
    for (const [name, value] of results) console.error(`  erlang ${name.padEnd(27)} -> ${value}`)
    return { release, results }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
