// CommonJS: require('bfly') in a "type": "commonjs" file, no top-level await.
const { writeFileSync } = require('node:fs')
const { call, registerService, spawn } = require('bfly')

async function main() {
  registerService('CJS', spawn({ module: './body.mjs', fn: 'echo' }))
  const got = await call('CJS', 'from cjs')
  writeFileSync(process.argv[2], JSON.stringify(got))
  process.exit(0)
}
main().catch((e) => {
  writeFileSync(process.argv[2], JSON.stringify({ error: String(e?.stack) }))
  process.exit(1)
})
