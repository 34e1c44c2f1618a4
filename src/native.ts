// The native addon, loaded once per JS thread (each worker thread is its
// own N-API environment; the Rust state behind it is process-wide).
import { createRequire } from 'node:module'
import type * as Binding from '../bindings/binding.js'

const require = createRequire(import.meta.url)

function load(): typeof Binding {
  try {
    return require('../bindings/binding.js') as typeof Binding
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    throw new Error(
      `bfly: the native addon did not load (${why}). Run \`npm install\` (it builds the addon with cargo when no prebuilt binary fits) or \`npm run build\`.`,
    )
  }
}

export const native = load()
