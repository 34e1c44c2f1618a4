// Approximate sizes for processInfo's `memory`: V8 cannot say how many
// bytes a value holds, so this walks it with rough per-kind costs (close
// to V8's on 64-bit with pointer compression off). Bounded: a snapshot of
// a process with a huge mailbox must not stall the thread it reads.
import { Encoded } from './encoded.js'
import type { Mailbox } from './mailbox.js'

/** The fixed estimate for one process: what an idle one waiting in
 * receive costs as measured by `npm run bench local` (idle_process_bytes:
 * about 1070 B of JS heap and 60 B native): its Process, pid, table entry,
 * pending receive and its body's suspended async frame. */
export const PROCESS_BYTES = 1100

/** Queued messages walked per process; the rest are counted at the
 * average of those walked. */
const MESSAGES = 1000
/** Values visited per message before the rest of it is not counted. */
const VALUES = 1000

/** The estimated bytes of `v` and what it references (each object once). */
export function estimate(v: unknown, budget = VALUES): number {
  const seen = new Set<object>()
  const stack: unknown[] = [v]
  let bytes = 0
  for (let n = 0; stack.length > 0 && n < budget; n++) {
    const x = stack.pop()
    if (typeof x === 'string') bytes += 16 + x.length
    else if (typeof x === 'number' || typeof x === 'bigint') bytes += 16
    else if (x === null || typeof x !== 'object' || seen.has(x)) continue
    else {
      seen.add(x)
      if (x instanceof Encoded) bytes += 48 + x.bytes.byteLength
      else if (ArrayBuffer.isView(x)) bytes += 64 + x.byteLength
      else if (x instanceof ArrayBuffer) bytes += 32 + x.byteLength
      else if (Array.isArray(x)) {
        bytes += 16 + 8 * x.length
        for (const e of x) stack.push(e)
      } else if (x instanceof Map || x instanceof Set) {
        bytes += 48 + 24 * x.size
        for (const e of x) stack.push(e)
      } else {
        const keys = Object.keys(x)
        bytes += 24 + 8 * keys.length
        for (const k of keys) stack.push((x as Record<string, unknown>)[k])
      }
    }
  }
  return bytes
}

/** The mailbox's arrays and its queued messages' estimated bytes. */
export function estimateMailbox(mb: Mailbox): number {
  const total = mb.size
  const walked = mb.peek(MESSAGES)
  let bytes = 32 + 8 * mb.slots
  let msgs = 0
  for (const m of walked) msgs += estimate(m)
  bytes += msgs
  if (walked.length > 0 && total > walked.length) bytes += Math.round((msgs / walked.length) * (total - walked.length))
  return bytes
}
