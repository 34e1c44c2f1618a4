// `bfly cookie`: a new cluster cookie, printed or written to a private file.
import { randomBytes } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import { UsageError, type Values } from './args.js'

/** Prints a new cookie, or writes it to --out with mode 0600 (created
 * so: never readable by others, not even for an instant). */
export function cookie(values: Values): number {
  const hex = randomBytes(32).toString('hex')
  const out = values.out
  if (typeof out !== 'string') {
    process.stdout.write(`${hex}\n`)
    return 0
  }
  try {
    // 'wx' creates the file with mode 0600 and refuses an existing one; with
    // --force the old file is removed first, so a looser mode never carries over.
    if (values.force) rmSync(out, { force: true })
    writeFileSync(out, `${hex}\n`, { mode: 0o600, flag: 'wx' })
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'EEXIST') throw new UsageError(`${out} exists; pass --force to replace it`)
    throw new UsageError(`cannot write ${out}: ${code ?? e}`)
  }
  return 0
}
