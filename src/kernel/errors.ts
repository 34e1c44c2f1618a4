// Typed errors. Each says what happened and, where it can, what to do.

/** A `call` or an operation with a deadline got no answer in time. */
export class TimeoutError extends Error {
  /** Always `'TimeoutError'`, so a logged or decoded error still names its class. */
  override name = 'TimeoutError'
}

/** The target process is dead, never existed, or its node is unreachable. */
export class NoProcError extends Error {
  /** Always `'NoProcError'`, so a logged or decoded error still names its class. */
  override name = 'NoProcError'
}

/** A message was addressed to a name that no process is registered under. */
export class NoSuchServiceError extends Error {
  /** Always `'NoSuchServiceError'`, so a logged or decoded error still names its class. */
  override name = 'NoSuchServiceError'
  /** @param service The name that nothing is registered under. */
  constructor(readonly service: string) {
    super(`no service is registered as '${service}'; register one with registerService(name, pid) or check the name`)
  }
}

/** A node refused a request that its allow-list does not permit (remote
 * spawn, exit, link, code loading). */
export class RefusedError extends Error {
  /** Always `'RefusedError'`, so a logged or decoded error still names its class. */
  override name = 'RefusedError'
}

/** A local send found the target's mailbox at its limit, and the target
 * chose to refuse rather than make senders wait (`p.limitMailbox`). */
export class MailboxFullError extends Error {
  /** Always `'MailboxFullError'`, so a logged or decoded error still names its class. */
  override name = 'MailboxFullError'
}

/** A name is already registered to another live process. */
export class NameTakenError extends Error {
  /** Always `'NameTakenError'`, so a logged or decoded error still names its class. */
  override name = 'NameTakenError'
}

/**
 * The process this operation belongs to has exited. Rejects a pending
 * `receive`/`call` of a killed process (so its `finally` blocks run) and is
 * thrown by any later operation of that process. `reason` is its exit reason.
 */
export class ProcessExit extends Error {
  /** Always `'ProcessExit'`, so a logged or decoded error still names its class. */
  override name = 'ProcessExit'
  /** @param reason The exit reason of the process, as its links and monitors see it. */
  constructor(readonly reason: unknown) {
    super(`the process has exited with reason ${describe(reason)}; it can no longer receive, send or link`)
  }
}

/** No clause of a matcher accepted the value. */
export class MatchError extends Error {
  /** Always `'MatchError'`, so a logged or decoded error still names its class. */
  override name = 'MatchError'
  /** @param value The value that no clause accepted. */
  constructor(readonly value: unknown) {
    super(`no clause matched ${describe(value)}; add a clause or an .otherwise(handler)`)
  }
}

/** A value that cannot leave this thread (a function, a class instance…). */
export class NotPortableError extends TypeError {
  /** Always `'NotPortableError'`, so a logged or decoded error still names its class. */
  override name = 'NotPortableError'
  /**
   * @param path Where in the value the offending part is, e.g. `msg[2].cb`.
   * @param what What that part is, e.g. `a function`.
   */
  constructor(
    readonly path: string,
    what: string,
  ) {
    super(
      `${path} is ${what}, which cannot be sent to another thread or node; send plain data (see docs/API.md in the bfly package, "Values")`,
    )
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
  /** Always `'StmError'`, so a logged or decoded error still names its class. */
  override name = 'StmError'
}
