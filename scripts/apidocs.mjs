#!/usr/bin/env node
// `npm run docs:api [-- typedoc options]`: the API reference (docs/api/, not committed) from the TSDoc of
// index.ts, per typedoc.json. TypeDoc needs TypeScript's compiler API, which TypeScript 7 no longer ships, so
// it lives in the tools/apidocs workspace beside its own TypeScript 6; this finds it there.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(root, 'tools/apidocs/package.json'))
const typedoc = join(dirname(require.resolve('typedoc/package.json')), 'bin/typedoc')
const args = [typedoc, '--options', join(root, 'typedoc.json'), ...process.argv.slice(2)]
const run = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' })
process.exit(run.status ?? 1)
