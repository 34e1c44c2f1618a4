// Packaging (issue 8): `npm pack` makes a tarball (compiled JS in dist/,
// the loader, the crates for a source build) and the per-platform package
// carries the binary built here; a fresh project installs both, from the
// npm cache where it can (--prefer-offline), and uses bfly with plain
// Node: spawn, call, and a call to a second node.
import { execFileSync } from 'node:child_process'
import { copyFileSync, cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'ava'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

test('npm pack gives tarballs that a fresh project installs and uses with plain Node', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bfly-pack-'))
  try {
    npm(['pack', '--pack-destination', dir], ROOT)
    const plat = join(dir, 'plat')
    cpSync(join(ROOT, 'npm', 'linux-x64-gnu'), plat, { recursive: true })
    copyFileSync(join(ROOT, 'bindings', 'bfly.linux-x64-gnu.node'), join(plat, 'bfly.linux-x64-gnu.node'))
    npm(['pack', '--pack-destination', dir], plat)
    const tgz = readdirSync(dir).filter((f) => f.endsWith('.tgz'))
    t.deepEqual(tgz.sort(), ['bfly-0.1.0.tgz', 'bfly-linux-x64-gnu-0.1.0.tgz'])
    const listing = execFileSync('tar', ['tzf', join(dir, 'bfly-0.1.0.tgz')], { encoding: 'utf8' })
    for (const f of [
      'package/dist/index.js',
      'package/dist/index.d.ts',
      'package/bindings/binding.js',
      'package/crates/core/src/lib.rs',
      'package/Cargo.lock',
      'package/src/observer/page/index.html',
    ])
      t.true(listing.includes(f), `${f} is in the tarball`)
    t.false(listing.includes('.node'), 'the root package carries no binary (the platform package does)')
    const proj = join(dir, 'proj')
    cpSync(join(ROOT, '__test__', 'fixtures', 'consumer-smoke.mjs'), join(proj, 'smoke.mjs'))
    writeFileSync(
      join(proj, 'package.json'),
      JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module', private: true }),
    )
    npm(['install', '--prefer-offline', '--no-audit', '--no-fund', ...tgz.map((f) => join(dir, f))], proj)
    const out = execFileSync(process.execPath, ['smoke.mjs'], { cwd: proj, encoding: 'utf8', timeout: 60_000 })
    t.deepEqual(JSON.parse(out.trim().split('\n').pop() ?? ''), { local: 'local hello', remote: 'remote hello' })
    // The installed `bfly` command runs the compiled CLI (no tsx, no sources).
    const cookie = execFileSync(join(proj, 'node_modules', '.bin', 'bfly'), ['cookie'], { encoding: 'utf8' })
    t.regex(cookie.trim(), /^[0-9a-f]{64}$/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
