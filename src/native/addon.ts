// The native addon, loaded once per JS thread (each worker thread is its
// own N-API environment; the Rust state behind it is process-wide).
//
// Where it comes from, first found wins:
//   1. bindings/bfly.<key>.node in the package: a build from source (a
//      checkout's `npm install`, or `npx bfly build-native` where no
//      prebuilt binary fits);
//   2. the platform package bfly-<key>, which npm installs from bfly's
//      optionalDependencies on the platform it fits (os/cpu/libc).
// <key> is platformKey(): linux-x64-gnu, linux-arm64-musl, darwin-arm64, win32-x64...
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type * as Binding from '../../bindings/binding.js'
import { localAddon, packageRoot, platformKey } from './platform.js'

const require = createRequire(import.meta.url)

interface Manifest {
  version: string
  optionalDependencies?: Record<string, string>
}

const manifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest

const SOURCE_BUILD =
  'build the addon from source with `npx bfly build-native` (needs Rust: https://rustup.rs), or see docs/install.md in the bfly package'

function load(): typeof Binding {
  const key = platformKey()
  const root = packageRoot()
  const local = localAddon(key)
  if (existsSync(local)) return require(local) as typeof Binding
  const pkg = `bfly-${key}`
  const own = manifest(root)
  let pkgVersion: string
  try {
    pkgVersion = (require(`${pkg}/package.json`) as Manifest).version
  } catch {
    if (own.optionalDependencies?.[pkg] === undefined) {
      const prebuilt = Object.keys(own.optionalDependencies ?? {}).map((p) => p.replace(/^bfly-/, ''))
      throw new Error(
        `bfly: there is no prebuilt native addon for ${key} (there are for ${prebuilt.join(', ')}); ${SOURCE_BUILD}.`,
      )
    }
    throw new Error(
      `bfly: the native addon for ${key} is missing: the package ${pkg} is not installed. npm installs it with bfly ` +
        '(an optional dependency) unless optional dependencies were left out (--omit=optional, --no-optional) or the ' +
        `lockfile was made on another platform; reinstall bfly (npm install bfly), or ${SOURCE_BUILD}.`,
    )
  }
  if (pkgVersion !== own.version)
    throw new Error(
      `bfly: ${pkg} is version ${pkgVersion} but bfly is ${own.version}; they must be the same: reinstall bfly (npm install bfly@${own.version}).`,
    )
  try {
    return require(pkg) as typeof Binding
  } catch (e) {
    throw new Error(
      `bfly: the native addon in ${pkg} does not load on this ${key} system (${e instanceof Error ? e.message : String(e)}); ${SOURCE_BUILD}.`,
      { cause: e },
    )
  }
}

/** @internal The addon's functions, typed by bindings/binding.d.ts. */
export const native = load()

// The addon drives this thread's libuv loop directly where the runtime is
// Node (link reading and wake-ups, crates/binding/src/host.rs); Bun's
// libuv functions may be stubs, and Deno has none (found missing at run time).
native.useHostLoop(!('bun' in process.versions))
