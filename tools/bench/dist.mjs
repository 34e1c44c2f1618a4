// Makes the bench run bfly as users install it: `node --import=tsx
// --import=<this file>` (harness.ts `loaderFlags`). Every import of a bfly
// checkout's root `index.ts`/`index.js` then loads that checkout's compiled
// `dist/index.js` (tools/bench/run.ts compiles it first), while the bench's
// own TypeScript still loads through tsx. tsx's output is not what users
// run: esbuild's `keepNames` redefines `name` on every class, which leaves
// the constructors in dictionary mode and made each `instanceof` of a bfly
// class ~15 ns instead of ~2 ns (docs/DECISIONS.md).
// Hooks do not reach worker threads: bench code that runs on a pool worker
// imports 'bfly' (the package's own name, which resolves to dist/ too), and
// plain workers start through tools/bench/worker.mjs.
import { register } from 'node:module'

register('./redirect.mjs', import.meta.url)
