// The native addon, loaded once per JS thread (each worker thread is its
// own N-API environment; the Rust state behind it is process-wide).
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type * as Binding from '../../bindings/binding.js'

const require = createRequire(import.meta.url)

/** The package's bindings/ folder: beside src/ when run from the TS
 * sources, two levels up from src/native/ (three from the compiled
 * dist/src/native/). */
function bindingsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 3; i++) {
    dir = dirname(dir)
    if (existsSync(join(dir, 'bindings', 'binding.js'))) return join(dir, 'bindings')
  }
  throw new Error('bindings/binding.js not found above this module')
}

function load(): typeof Binding {
  try {
    return require(join(bindingsDir(), 'binding.js')) as typeof Binding
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    throw new Error(
      `bfly: the native addon did not load (${why}). Run \`npm install\` (it builds the addon with cargo when no prebuilt binary fits) or \`npm run build\`.`,
    )
  }
}

export const native = load()
