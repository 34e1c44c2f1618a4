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

let later = false

function flushNow(): void {
  later = false
  addon.clusterFlush()
}

/** Writes what this thread queued natively for other nodes by the next
 * turn of the event loop at the latest: for frames nobody waits for (a
 * call's demonitor), which then ride with whatever this thread sends
 * next in the meantime (the next call's request) instead of leaving in a
 * packet of their own that wakes the peer. */
export function clusterFlushLater(): void {
  if (later) return
  // Natively, before the loop next polls (crates/binding/src/wake.rs), where the thread has a prepare handle.
  if (addon.clusterFlushLater()) return
  later = true
  setImmediate(flushNow)
}
