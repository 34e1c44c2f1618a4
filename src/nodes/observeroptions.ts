// The observer's options and handle, as startNode takes and returns them:
// here, in the nodes layer, so startNode checks them before it starts
// anything; the observer itself (src/observer/) is a layer above, loaded
// only when asked for.

/** Where the observer serves, and how to stop it. */
export interface Observer {
  /** The page's address with the token: http://127.0.0.1:PORT/?token=TOKEN. */
  readonly url: string
  /** The port it listens on (on 127.0.0.1). */
  readonly port: number
  /** The secret every request must carry (query `token`, `Authorization:
   * Bearer`, or the cookie the page sets); random per start. */
  readonly token: string
  /** Stops serving: open event streams end, the port is freed. */
  close(): Promise<void>
}

/** Where the observer listens: `port` on 127.0.0.1 (0, the default, picks a free one). */
export interface ObserverOptions {
  /** The port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number
}

/** The port `opts` asks for; a TypeError for anything but `{ port?: 0..65535 }`. */
export function checkObserverOptions(opts: unknown, what: string): number {
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${what}: observer must be { port?: number }`)
  const port = (opts as ObserverOptions).port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new TypeError(`${what}: observer.port must be an integer from 0 to 65535, got ${String(port)}`)
  return port
}
