// The native layer as the rest of src/ sees it: the binding's plain calls,
// the constants and enums Rust exports (lanes, return codes, capability
// bits: one source, in crates/binding), and the fast calls through their
// typed wrappers only (./fast.ts). Modules outside src/native/ import this
// file, never ./addon.ts (a dependency-cruiser rule).
import { native as addon } from './addon.js'
import type * as fast from './fast.js'

/** The binding's calls that read the argument block: made through ./fast.ts only. */
type Raw = keyof typeof fast | 'argsRegister'

/** The native binding without its raw fast calls (calling one is a type error: use its wrapper). */
export const native: Omit<typeof addon, Raw> = addon

/** The binding's enums, as types (their values are on `native`). */
export type { AskKind } from '../../bindings/binding.js'
export * from './fast.js'
