// The platforms bfly ships a prebuilt addon for: one npm package each,
// `bfly-<key>` under npm/<key>/, holding `bfly.<key>.node`. The key is what
// the loader (src/native/platform.ts) computes at run time. Everything that
// builds, packs or checks the platform packages reads this table.

export interface Target {
  /** `<platform>-<arch>`, plus `-gnu`/`-musl` on Linux: the loader's key. */
  key: string
  /** What `cargo zigbuild --target` takes (zig's glibc suffix included). */
  rust: string
  /** package.json `os`, `cpu` and `libc`. */
  os: string
  cpu: string
  libc?: 'glibc' | 'musl'
  /** What the binary must be, checked after the build. */
  format: 'elf' | 'macho' | 'pe'
  machine: 'x86-64' | 'aarch64'
}

export const TARGETS: Target[] = [
  // glibc 2.17 through zig: any glibc distribution of the last decade loads it.
  {
    key: 'linux-x64-gnu',
    rust: 'x86_64-unknown-linux-gnu.2.17',
    os: 'linux',
    cpu: 'x64',
    libc: 'glibc',
    format: 'elf',
    machine: 'x86-64',
  },
  {
    key: 'linux-x64-musl',
    rust: 'x86_64-unknown-linux-musl',
    os: 'linux',
    cpu: 'x64',
    libc: 'musl',
    format: 'elf',
    machine: 'x86-64',
  },
  {
    key: 'linux-arm64-gnu',
    rust: 'aarch64-unknown-linux-gnu.2.17',
    os: 'linux',
    cpu: 'arm64',
    libc: 'glibc',
    format: 'elf',
    machine: 'aarch64',
  },
  {
    key: 'linux-arm64-musl',
    rust: 'aarch64-unknown-linux-musl',
    os: 'linux',
    cpu: 'arm64',
    libc: 'musl',
    format: 'elf',
    machine: 'aarch64',
  },
  { key: 'darwin-x64', rust: 'x86_64-apple-darwin', os: 'darwin', cpu: 'x64', format: 'macho', machine: 'x86-64' },
  {
    key: 'darwin-arm64',
    rust: 'aarch64-apple-darwin',
    os: 'darwin',
    cpu: 'arm64',
    format: 'macho',
    machine: 'aarch64',
  },
  // MinGW (UCRT) rather than MSVC: it cross-builds here with no Windows SDK,
  // and N-API is a C ABI that napi-rs finds in the host process at load
  // time, so the DLL loads in the usual MSVC-built node.exe (DECISIONS).
  { key: 'win32-x64', rust: 'x86_64-pc-windows-gnu', os: 'win32', cpu: 'x64', format: 'pe', machine: 'x86-64' },
]

/** The Rust target triple, without zig's glibc suffix. */
export const triple = (t: Target): string => t.rust.replace(/\.\d+\.\d+$/, '')

/** The file the linker writes for a cdylib crate whose lib name is `lib`. */
export function linkedFile(t: Target, lib: string): string {
  if (t.format === 'pe') return `${lib}.dll`
  if (t.format === 'macho') return `lib${lib}.dylib`
  return `lib${lib}.so`
}

export const packageName = (key: string): string => `bfly-${key}`
export const binaryName = (key: string): string => `bfly.${key}.node`

/** The napi crate and the name its cdylib links as. */
export const BINDING_CRATE = 'bfly-binding'
export const BINDING_LIB = 'bfly_binding'
