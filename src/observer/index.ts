// The observer of a node: the OBSERVER service (answers snapshot calls,
// for `bfly observer` on another OS process) and the local web page.
import { whereis } from '../kernel/names.js'
import type { Pid } from '../kernel/values.js'
import type { Node } from '../nodes/node.js'
import type { Observer, ObserverOptions } from '../nodes/observeroptions.js'
import { makeServer } from '../otp/server.js'
import { serveObserver } from './http.js'
import { snapshot } from './snapshot.js'

export const OBSERVER = 'OBSERVER'

/**
 * Starts the OBSERVER service of `node` unless it runs. Calls: 'snapshot'
 * answers a Snapshot of the node now (the server handles one call at a
 * time; a snapshot asks each supervisor whichChildren, at most 1 s each);
 * anything else a TypeError value (the server keeps running).
 */
export function startObserverService(node: Node): Pid {
  return (
    whereis(OBSERVER) ??
    makeServer<null>(
      {
        async handle(req, state) {
          if (req === 'snapshot') return { answer: await snapshot(node), state }
          return { answer: new TypeError(`${OBSERVER}: unknown request; ask 'snapshot'`), state }
        },
      },
      { name: OBSERVER },
    )
  )
}

/** Starts the OBSERVER service and serves the page for `node` on 127.0.0.1. */
export function startObserver(node: Node, opts: ObserverOptions): Promise<Observer> {
  startObserverService(node)
  return serveObserver(() => snapshot(node), opts)
}
