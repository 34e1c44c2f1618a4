// `npm run build:ts` (and prepack): compiles the package into dist/ with
// tsc, then copies the runtime files tsc does not emit: the plain ES modules
// under src/ (the pool worker's entry, src/threads/poolboot.mjs), which a
// Worker starts before any TypeScript loader can exist.
import { spawnSync } from 'node:child_process'
import { cpSync, readdirSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
rmSync(join(root, 'dist'), { recursive: true, force: true })
let tsc
try {
  tsc = join(dirname(createRequire(join(root, 'package.json')).resolve('typescript/package.json')), 'bin', 'tsc')
} catch {
  console.error('bfly: compiling dist/ needs TypeScript, a dev dependency: run `npm install` first')
  process.exit(1)
}
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' })
if (r.status !== 0) process.exit(r.status ?? 1)
for (const f of readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' }))
  if (f.endsWith('.mjs')) cpSync(join(root, 'src', f), join(root, 'dist', 'src', f))
