// What a server is made of (OTP's gen_server callbacks): the handlers'
// contract, what each returns, and the checks that hold a handlers object
// to it (server.ts runs them; codeswap.ts loads new ones).
import { describe } from '../kernel/errors.js'
import type { From } from '../kernel/messaging.js'
import type { Process } from '../kernel/process.js'

export type MaybePromise<T> = T | PromiseLike<T>

/** What `handle` returns (Butterfly's make-handler-response). With `answer`
 * (any value but `undefined`) the caller of `call` gets it now; without,
 * the server answers later with `reply(from, value)`. With `stop`, the
 * server ends with that reason after answering. */
export interface HandlerResult<S, A = unknown> {
  /** The reply to the caller, sent at once; omitted (or `undefined`): no reply now, answer with `reply(from, v)`. */
  answer?: A
  /** The state the next message is handled with. */
  state: S
  /** When present (any value but `undefined`), the server ends with this reason after replying: `terminate` runs,
   * then linked processes get the reason ('normal' ends it quietly). */
  stop?: unknown
}

/** What `cast` and `info` return: the next state, and optionally a reason to stop. */
export interface StateResult<S> {
  /** The state the next message is handled with. */
  state: S
  /** When present, the server ends with this reason, as `HandlerResult.stop`. */
  stop?: unknown
}

/**
 * A server's behaviour. Every handler may be synchronous or return a
 * promise; the server handles one message at a time, in arrival order, and
 * takes the next only when the current handler has settled.
 */
export interface ServerHandlers<S = unknown, Req = unknown, Ans = unknown, Args = unknown> {
  /** The initial state from `opts.args`. Absent: the state is `opts.args` (or null).
   * Every handler also gets the server's own Process last (to link, monitor, trap). */
  init?(args: Args, self: Process): MaybePromise<S>
  /** A `call(server, request)`. Absent: a call crashes the server with a TypeError. */
  handle?(request: Req, state: S, from: From, self: Process): MaybePromise<HandlerResult<S, Ans>>
  /** A `cast(server, msg)`. Absent: casts are dropped. */
  cast?(msg: unknown, state: S, self: Process): MaybePromise<StateResult<S>>
  /** Any other message (EXIT and DOWN included). Absent: dropped. */
  info?(msg: unknown, state: S, self: Process): MaybePromise<StateResult<S>>
  /** Runs when the server ends by a handler's `stop`, a handler's throw, or
   * (with `opts.trapExit`) its parent's exit; not when it is killed. A throw
   * here becomes the exit reason. */
  terminate?(reason: unknown, state: S): unknown
  /** On `upgrade` to these handlers: the old state in, the new state out. */
  codeChange?(oldState: unknown): MaybePromise<S>
}

/** A handler returned something other than what its contract says. The
 * server ends with this error as its reason. */
export class BadReturnError extends TypeError {
  /** Always `'BadReturnError'`. */
  override name = 'BadReturnError'
  /**
   * @param handler Which handler broke its contract: `'handle'`, `'cast'` or `'info'`.
   * @param returned What it returned instead of `{ answer?, state }` or `{ state }`.
   */
  constructor(
    readonly handler: string,
    readonly returned: unknown,
  ) {
    super(
      `server handler '${handler}' returned ${describe(returned)}; it must return ` +
        (handler === 'handle' ? '{ answer?, state } (answer omitted: reply later with reply(from, v))' : '{ state }'),
    )
  }
}

const HANDLER_KEYS = ['init', 'handle', 'cast', 'info', 'terminate', 'codeChange'] as const

/** Throws a TypeError unless `h` is an object whose handler keys are functions. */
export function checkHandlers(h: unknown, what: string): asserts h is ServerHandlers {
  if (h === null || typeof h !== 'object')
    throw new TypeError(`${what}: handlers must be an object { init?, handle?, cast?, info?, terminate?, codeChange? }`)
  for (const k of HANDLER_KEYS) {
    const f = (h as Record<string, unknown>)[k]
    if (f !== undefined && typeof f !== 'function')
      throw new TypeError(`${what}: handlers.${k} must be a function, got ${typeof f}`)
  }
}

/** Whether `v` is a promise or another thenable (a handler may return either). */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as PromiseLike<unknown>).then === 'function'
}
