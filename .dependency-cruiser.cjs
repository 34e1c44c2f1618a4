// The import rules of src/ (issue 17; docs/ARCHITECTURE.md draws them),
// checked by `npm test` (scripts/test.sh: `npx depcruise src index.ts`).
//
// Layers, lowest first; a module imports only from its own layer or below:
//   native/    the addon, the typed fast calls, Rust's constants
//   kernel/    one thread's processes: values, codec, mailbox, receive,
//              signals, send/call/exit, names, spawn, introspection, and
//              the routing seam (route.ts) the layers below register with
//   match/     patterns and matchers           (beside stm/: neither
//   stm/       transactions, TVars, locks       imports the other)
//   threads/   other threads of this node: posting, the inbox drain,
//              calls on the reply lane, the pool
//   nodes/     other nodes: remote pids, credit, peers, code, startNode;
//              built on threads/ (everything from another node arrives
//              through this thread's inbox), never the other way
//   otp/       servers, supervisors, system services (public primitives)
//   observer/  the observer page and OBSERVER service
//   cli/       the bfly program
// index.ts (the package's surface and the place the layers are wired)
// imports every layer but cli/. Programs may import index.ts: the CLI and
// the pool worker's entry (threads/poolworker.ts), which each run the
// whole runtime; nothing else in src/ does.
const LAYERS = ['native', 'kernel', 'match|stm', 'threads', 'nodes', 'otp', 'observer', 'cli']

/** `^src/(a|b|...)/`: the layers above `i` (for match|stm: above both). */
const above = (i) => `^src/(${LAYERS.slice(i + 1).join('|')})/`

const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `${layer.replace('|', '-')}-imports-upward`,
  comment: `${layer}/ may import only from its own layer and those below it`,
  severity: 'error',
  from: { path: `^src/(${layer})/` },
  to: { path: above(i) },
}))

module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      comment: 'no import cycle in src/, type-only imports included',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'match-stm-apart',
      comment: 'match/ and stm/ are one level: neither imports the other',
      severity: 'error',
      from: { path: '^src/(match|stm)/' },
      to: { path: '^src/(match|stm)/', pathNot: '^src/$1/' },
    },
    {
      name: 'index-only-from-programs',
      comment: 'only the programs (cli/, the pool worker entry) import the package entry index.ts',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli/|threads/poolworker\\.ts$)' },
      to: { path: '^index\\.ts$' },
    },
    {
      name: 'index-not-cli',
      comment: 'the package entry does not load the CLI',
      severity: 'error',
      from: { path: '^index\\.ts$' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'addon-only-in-native',
      comment: 'outside src/native/, the binding is reached through src/native/index.ts (typed fast calls)',
      severity: 'error',
      from: { path: '^(src/|index\\.ts$)', pathNot: '^src/native/' },
      to: { path: '^(src/native/(addon|fast)\\.ts|bindings/)' },
    },
  ],
  options: {
    // TypeScript 7 has no compiler API for dependency-cruiser's tsc parser;
    // swc reads the sources (type-only imports count like any other).
    parser: 'swc',
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    tsConfig: { fileName: 'tsconfig.json' },
  },
}
