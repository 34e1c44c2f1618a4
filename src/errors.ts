// Typed errors. Each says what happened and, where it can, what to do.

/** A `call` or an operation with a deadline got no answer in time. */
export class TimeoutError extends Error {
  override name = 'TimeoutError'
}

/** The target process is dead, never existed, or its node is unreachable. */
export class NoProcError extends Error {
  override name = 'NoProcError'
}

/** A message was addressed to a name that no process is registered under. */
export class NoSuchServiceError extends Error {
  override name = 'NoSuchServiceError'
  constructor(readonly service: string) {
    super(`no service is registered as '${service}'; register one with registerService(name, pid) or check the name`)
  }
}

/** A node refused a request that its allow-list does not permit (remote
 * spawn, exit, link, code loading). */
export class RefusedError extends Error {
  override name = 'RefusedError'
}

/** A local send found the target's mailbox at its limit, and the target
 * chose to refuse rather than make senders wait (`p.limitMailbox`). */
export class MailboxFullError extends Error {
  override name = 'MailboxFullError'
}

/** A name is already registered to another live process. */
export class NameTakenError extends Error {
  override name = 'NameTakenError'
}

/**
 * The process this operation belongs to has exited. Rejects a pending
 * `receive`/`call` of a killed process (so its `finally` blocks run) and is
 * thrown by any later operation of that process. `reason` is its exit reason.
 */
export class ProcessExit extends Error {
  override name = 'ProcessExit'
  constructor(readonly reason: unknown) {
    super(`the process has exited with reason ${describe(reason)}; it can no longer receive, send or link`)
  }
}

/** No clause of a matcher accepted the value. */
export class MatchError extends Error {
  override name = 'MatchError'
  constructor(readonly value: unknown) {
    super(`no clause matched ${describe(value)}; add a clause or an .otherwise(handler)`)
  }
}

/** A value that cannot leave this thread (a function, a class instance…). */
export class NotPortableError extends TypeError {
  override name = 'NotPortableError'
  constructor(
    readonly path: string,
    what: string,
  ) {
    super(`${path} is ${what}, which cannot be sent to another thread or node; send plain data (see API.md, Values)`)
  }
}

/** A short, safe rendering of a value for error messages. */
export function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`
  if (v instanceof Error) return `${v.name}: ${v.message}`
  if (typeof v === 'symbol' || typeof v === 'bigint') return v.toString()
  try {
    const s = JSON.stringify(v)
    if (s !== undefined) return s.length > 80 ? `${s.slice(0, 77)}...` : s
  } catch {}
  return String(v)
}

/** A transaction or lock was used wrongly (nested `atomically`, an async
 * body, a transaction used after it ended, a `retry` that nothing could
 * wake, a foreign TVar). Nothing the transaction wrote is visible. */
export class StmError extends Error {
  override name = 'StmError'
}
