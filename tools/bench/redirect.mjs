// Resolve hook of tools/bench/loader.mjs: a bfly checkout's root index
// (index.ts or index.js beside its package.json) resolves to its dist/index.js.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const dists = new Map()

/** The compiled entry of the bfly checkout whose root index `path` is, or null. */
function distOf(path) {
  const root = dirname(path)
  if (!dists.has(root)) {
    let dist = null
    try {
      const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
      const entry = join(root, 'dist', 'index.js')
      if (pkg.name === 'bfly') {
        if (!existsSync(entry)) throw new Error(`bench: ${entry} is missing; run \`npm run build:ts\` in ${root}`)
        dist = pathToFileURL(entry).href
      }
    } catch (e) {
      if (e.code !== 'ENOENT') throw e
    }
    dists.set(root, dist)
  }
  return dists.get(root)
}

export async function resolve(specifier, context, next) {
  const r = await next(specifier, context)
  if (!r.url.startsWith('file:') || !/\/index\.(ts|js)$/.test(r.url)) return r
  const dist = distOf(fileURLToPath(r.url))
  return dist === null ? r : { ...r, url: dist, format: 'module', shortCircuit: true }
}
