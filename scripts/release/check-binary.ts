// Checks a built addon is what its platform package claims: the right
// object format and CPU, a shared library exporting the Node-API entry
// point, stripped, and loadable where it goes (glibc 2.17 symbol versions
// at most on linux-gnu, none on musl; a valid ad-hoc code signature on
// macOS, which arm64 Macs require of every dylib they load). Reads headers
// itself and asks llvm-nm/llvm-objdump (rustup's llvm-tools) for symbols.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Target } from './targets.ts'

const ENTRY = 'napi_register_module_v1'

/** rustup's llvm-tools binary `name`, installing the component if needed. */
export function llvmTool(name: string): string {
  const sysroot = execFileSync('rustc', ['--print', 'sysroot'], { encoding: 'utf8' }).trim()
  const host = /host: (\S+)/.exec(execFileSync('rustc', ['-vV'], { encoding: 'utf8' }))?.[1] ?? ''
  const path = join(sysroot, 'lib', 'rustlib', host, 'bin', name)
  if (!existsSync(path)) execFileSync('rustup', ['component', 'add', 'llvm-tools'], { stdio: 'inherit' })
  return path
}

const run = (tool: string, args: string[]): string =>
  execFileSync(llvmTool(tool), args, { encoding: 'utf8', maxBuffer: 64 << 20 })

function elf(t: Target, buf: Buffer, file: string): string[] {
  const problems: string[] = []
  if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2) return ['not a 64-bit ELF file']
  const machine = buf.readUInt16LE(0x12)
  const want = t.machine === 'x86-64' ? 62 : 183
  if (machine !== want) problems.push(`ELF machine ${machine}, expected ${want} (${t.machine})`)
  if (buf.readUInt16LE(0x10) !== 3) problems.push('not a shared object (ET_DYN)')
  const dynamic = run('llvm-nm', ['-D', '--defined-only', file])
  if (!new RegExp(` T ${ENTRY}$`, 'm').test(dynamic)) problems.push(`${ENTRY} is not exported`)
  if (run('llvm-objdump', ['-h', file]).includes('.symtab')) problems.push('not stripped (.symtab present)')
  const versions = [...run('llvm-objdump', ['-T', file]).matchAll(/GLIBC_(\d+)\.(\d+)/g)].map((m) => [
    Number(m[1]),
    Number(m[2]),
  ])
  if (t.libc === 'musl' && versions.length > 0) problems.push('refers to glibc symbol versions')
  const newest = versions.reduce((a, b) => (b[0] > a[0] || (b[0] === a[0] && b[1] > a[1]) ? b : a), [0, 0])
  if (t.libc === 'glibc' && (newest[0] > 2 || newest[1] > 17)) problems.push(`needs GLIBC_${newest.join('.')}`)
  return problems
}

/** Checks the CodeDirectory's page hashes against the file (ad-hoc signature). */
function machoSignature(buf: Buffer, sigOff: number): string | null {
  const CSMAGIC_EMBEDDED = 0xfade0cc0
  const CSMAGIC_CODEDIRECTORY = 0xfade0c02
  if (buf.readUInt32BE(sigOff) !== CSMAGIC_EMBEDDED) return 'code signature is not an embedded signature'
  const count = buf.readUInt32BE(sigOff + 8)
  for (let i = 0; i < count; i++) {
    const blob = sigOff + buf.readUInt32BE(sigOff + 12 + i * 8 + 4)
    if (buf.readUInt32BE(blob) !== CSMAGIC_CODEDIRECTORY) continue
    const hashOffset = buf.readUInt32BE(blob + 16)
    const nCodeSlots = buf.readUInt32BE(blob + 28)
    const codeLimit = buf.readUInt32BE(blob + 32)
    const hashSize = buf[blob + 36]
    const hashType = buf[blob + 37]
    const pageSize = 2 ** buf[blob + 39]
    const algo = hashType === 2 ? 'sha256' : hashType === 1 ? 'sha1' : null
    if (!algo) return `unknown code-signature hash type ${hashType}`
    for (let slot = 0; slot < nCodeSlots; slot++) {
      const start = slot * pageSize
      const page = buf.subarray(start, Math.min(start + pageSize, codeLimit))
      const want = buf.subarray(blob + hashOffset + slot * hashSize, blob + hashOffset + (slot + 1) * hashSize)
      if (!createHash(algo).update(page).digest().subarray(0, hashSize).equals(want))
        return `code signature does not match page ${slot}`
    }
    return null
  }
  return 'code signature has no CodeDirectory'
}

function macho(t: Target, buf: Buffer, file: string): string[] {
  const problems: string[] = []
  if (buf.readUInt32LE(0) !== 0xfeedfacf) return ['not a 64-bit Mach-O file']
  const cpu = buf.readUInt32LE(4)
  const want = t.machine === 'x86-64' ? 0x01000007 : 0x0100000c
  if (cpu !== want) problems.push(`Mach-O cputype 0x${cpu.toString(16)}, expected 0x${want.toString(16)}`)
  if (buf.readUInt32LE(12) !== 6) problems.push('not a dylib (MH_DYLIB)')
  const exported = run('llvm-nm', ['--extern-only', '--defined-only', file])
  if (!new RegExp(` T _${ENTRY}$`, 'm').test(exported)) problems.push(`_${ENTRY} is not exported`)
  const locals = run('llvm-nm', ['--defined-only', file])
    .split('\n')
    .filter((l) => / [a-z] /.test(l))
  if (locals.length > 0) problems.push(`not stripped (${locals.length} local symbols)`)
  // Walk the load commands for LC_CODE_SIGNATURE (0x1d).
  const ncmds = buf.readUInt32LE(16)
  let off = 32
  let signature: number | null = null
  for (let i = 0; i < ncmds; i++) {
    if (buf.readUInt32LE(off) === 0x1d) signature = buf.readUInt32LE(off + 8)
    off += buf.readUInt32LE(off + 4)
  }
  // arm64 macOS loads no unsigned code (x86_64 does); a signature present must match.
  if (signature === null) {
    if (t.machine === 'aarch64') problems.push('no code signature (arm64 macOS refuses unsigned code)')
  } else {
    const bad = machoSignature(buf, signature)
    if (bad) problems.push(bad)
  }
  return problems
}

function pe(t: Target, buf: Buffer, file: string): string[] {
  const problems: string[] = []
  if (buf.toString('latin1', 0, 2) !== 'MZ') return ['not a PE file']
  const pe = buf.readUInt32LE(0x3c)
  if (buf.readUInt32BE(pe) !== 0x50450000) return ['no PE signature']
  const machine = buf.readUInt16LE(pe + 4)
  if (t.machine !== 'x86-64' || machine !== 0x8664) problems.push(`PE machine 0x${machine.toString(16)}`)
  if ((buf.readUInt16LE(pe + 22) & 0x2000) === 0) problems.push('not a DLL')
  if (buf.readUInt32LE(pe + 12) !== 0) problems.push('not stripped (COFF symbol table present)')
  const headers = run('llvm-objdump', ['-p', file])
  if (!new RegExp(`\\s${ENTRY}$`, 'm').test(headers)) problems.push(`${ENTRY} is not exported`)
  if (/DLL Name: (node\.exe|libnode\.dll)/i.test(headers)) problems.push('imports node.exe by name')
  return problems
}

/** The problems found with `file` as a binary for `t` (empty when none). */
export function checkBinary(t: Target, file: string): string[] {
  const buf = readFileSync(file)
  if (t.format === 'elf') return elf(t, buf, file)
  if (t.format === 'macho') return macho(t, buf, file)
  return pe(t, buf, file)
}
