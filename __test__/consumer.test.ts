// The consumer suite on this machine (scripts/release/consumer.ts): the
// tarballs of `npm run pack -- --out DIR`, installed into a fresh project
// with --ignore-scripts and no cargo on PATH, then used as a user would:
// ESM, CommonJS, a strict TypeScript consumer, a call, a pool thread, two
// nodes, the observer, .ts modules with and without tsx, and the installed
// `bfly` command. Other platforms: `npm run test:platforms`.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'ava'
import { makeProject, pathWithoutRust, runSuite, typecheck } from '../scripts/release/consumer.ts'
import { platformKey } from '../src/native/platform.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'bfly-consumer-'))
const packDir = join(dir, 'pack')
const project = join(dir, 'project')
const host = { name: 'this Node', node: [process.execPath] }
test.after.always(() => rmSync(dir, { recursive: true, force: true }))

test.serial('npm run pack -- --out DIR writes the main tarball and this platform, within budget', (t) => {
  const out = execFileSync('npm', ['run', '-s', 'pack', '--', '--out', packDir], { cwd: ROOT, encoding: 'utf8' })
  const lines = out.trim().split('\n')
  const files = readdirSync(packDir).sort()
  t.true(files.includes('bfly-0.1.0.tgz'))
  t.true(files.includes(`bfly-${platformKey()}-0.1.0.tgz`))
  t.deepEqual(lines.map((l) => l.split(' ')[0]).sort(), files)
  const listing = execFileSync('tar', ['tzf', join(packDir, 'bfly-0.1.0.tgz')], { encoding: 'utf8' })
  for (const f of [
    'package/dist/index.js',
    'package/dist/index.d.ts',
    'package/dist/src/threads/poolboot.mjs',
    'package/crates/binding/src/lib.rs',
    'package/Cargo.lock',
    'package/src/observer/page/index.html',
    'package/docs/API.md',
    'package/README.md',
  ])
    t.true(listing.includes(f), `${f} is in the tarball`)
  t.false(listing.includes('.node'), 'the main package carries no binary (the platform packages do)')
  t.false(listing.includes('package/src/kernel/'), 'no TypeScript sources')
})

test.serial(
  'a fresh project installs the tarballs with no install script and no cargo, and every check passes',
  async (t) => {
    t.false(
      pathWithoutRust()
        .split(':')
        .some((d) => d.includes('.cargo')),
      'cargo is off PATH',
    )
    const ms = makeProject(project, packDir, host)
    t.log(`npm install: ${ms} ms`)
    const results = [...(await runSuite(project, host)), typecheck(project)]
    for (const r of results) {
      t.true(r.ok, `${r.name}: ${JSON.stringify(r.detail)}`)
      if (r.name === 'import bfly (ESM)') t.log(`import 'bfly': ${String(r.detail)}`)
    }
    t.true(results.length >= 16, `${results.length} checks ran`)
  },
)

test.serial('the installed bin (node_modules/.bin/bfly) runs with no cargo on PATH', (t) => {
  const env = { ...process.env, PATH: pathWithoutRust() }
  const bin = join(project, 'node_modules', '.bin', 'bfly')
  t.regex(execFileSync(bin, ['cookie'], { cwd: project, env, encoding: 'utf8' }), /^[0-9a-f]{64}\n$/)
  t.true(execFileSync(bin, ['--help'], { env, encoding: 'utf8' }).includes('build-native'))
})

test.serial(
  'without its platform package, import fails naming the platform and the package, and build-native says it needs cargo',
  (t) => {
    const bare = join(dir, 'bare')
    makeProject(bare, packDir, host, { omitOptional: true })
    const env = { ...process.env, PATH: pathWithoutRust() }
    const key = platformKey()
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', "import 'bfly'"], {
      cwd: bare,
      env,
      encoding: 'utf8',
    })
    t.not(r.status, 0)
    t.regex(r.stderr, new RegExp(`the native addon for ${key} is missing: the package bfly-${key} is not installed`))
    t.regex(r.stderr, /npx bfly build-native/)
    const build = spawnSync(process.execPath, [join('node_modules', 'bfly', 'bin', 'bfly.mjs'), 'build-native'], {
      cwd: bare,
      env,
      encoding: 'utf8',
    })
    t.is(build.status, 1)
    t.regex(build.stderr, new RegExp(`no native addon loads on ${key}, and cargo is not on PATH`))
  },
)
