#!/usr/bin/env node
// The `bfly` command. A checkout runs the TypeScript sources through tsx's
// loader, registered in this process (no second process); an installed
// package (which ships no src/) runs the compiled CLI in dist/.
import { existsSync } from 'node:fs'

const sources = new URL('../src/cli/main.ts', import.meta.url)
if (existsSync(sources)) {
  const { register } = await import('tsx/esm/api')
  register()
  await import(sources.href)
} else {
  await import(new URL('../dist/src/cli/main.js', import.meta.url).href)
}
