#!/usr/bin/env node
// The `bfly` command. The package runs from its TypeScript sources, so this
// launcher registers tsx's loader in this process (no second process) and
// imports the CLI's TS entry.
import { register } from 'tsx/esm/api'

register()
await import('../src/cli/main.ts')
