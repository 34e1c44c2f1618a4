// Wake-ups of this thread by token: STM retries parked in Rust and lock
// requests queued there are woken through the thread's inbox (lane 3,
// drained by threads/inbox.ts), with the token they were given.

const waiting = new Map<number, () => void>()

// Something parked here may be woken by another thread at any time, so a
// thread with parked waiters stays alive (one long timer, ref'd while any
// waits), as a blocked Erlang process keeps its scheduler busy.
const holdOpen = setInterval(() => {}, 2 ** 30)
holdOpen.unref()

/** Runs `fn` when `token` is woken (once). */
export function expect(token: number, fn: () => void): void {
  waiting.set(token, fn)
  if (waiting.size === 1) holdOpen.ref()
}

/** Stops waiting for `token`; whether it was still waited for. */
export function forget(token: number): boolean {
  const had = waiting.delete(token)
  if (had && waiting.size === 0) holdOpen.unref()
  return had
}

/** Delivers a wake-up from the inbox; unknown (forgotten) tokens are ignored. */
export function wake(token: number): void {
  const fn = waiting.get(token)
  if (fn === undefined) return
  forget(token)
  fn()
}
