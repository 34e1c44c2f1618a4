// Node names to the native distribution layer's node ids (interned once
// per OS process, cached per thread), for the hot remote calls.
import { native } from './native.js'

const ids = new Map<string, number>()

/** The native id of node `name`. */
export function peerOf(name: string): number {
  let id = ids.get(name)
  if (id === undefined) {
    id = native.distIntern(name)
    ids.set(name, id)
  }
  return id
}
