// The portable codec: MessagePack (msgpackr) with bfly's extension types.
// Values are checked and boxed in one walk before packing, so a value that
// cannot travel is refused with its path and nothing is sent.
//
// Extension types (application range):
//   1 Pid [node, id]   2 Ref [node, id]   3 Symbol key (Symbol.for)
//   4 Error [name, message, stack]   5 Map [k0, v0, k1, v1, ...]
//   6 Set [e0, e1, ...]   7 BigInt (decimal string)
// Date uses MessagePack's standard timestamp extension (-1).
import { addExtension, Packr } from 'msgpackr'
import { NotPortableError } from './errors.js'
import { Pid, Ref } from './values.js'

class Boxed {
  constructor(readonly v: unknown) {}
}
class SymBox extends Boxed {}
class ErrBox extends Boxed {}
class MapBox extends Boxed {}
class SetBox extends Boxed {}
class BigBox extends Boxed {}

addExtension({
  Class: Pid,
  type: 1,
  write: (p: Pid) => [p.node, p.id],
  read: ([n, i]: [string, number]) => new Pid(n, i),
})
addExtension({
  Class: Ref,
  type: 2,
  write: (r: Ref) => [r.node, r.id],
  read: ([n, i]: [string, number]) => new Ref(n, i),
})
addExtension({ Class: SymBox, type: 3, write: (b: SymBox) => b.v, read: (k: string) => Symbol.for(k) })
addExtension({
  Class: ErrBox,
  type: 4,
  write: (b: ErrBox) => b.v,
  read: ([name, message, stack]: [string, string, string | null]) => {
    const e = new Error(message)
    e.name = name
    e.stack = stack ?? undefined
    return e
  },
})
addExtension({
  Class: MapBox,
  type: 5,
  write: (b: MapBox) => b.v,
  read: (a: unknown[]) => {
    const m = new Map()
    for (let i = 0; i < a.length; i += 2) m.set(a[i], a[i + 1])
    return m
  },
})
addExtension({ Class: SetBox, type: 6, write: (b: SetBox) => b.v, read: (a: unknown[]) => new Set(a) })
addExtension({ Class: BigBox, type: 7, write: (b: BigBox) => b.v, read: (s: string) => BigInt(s) })

const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false })

/** Checks `v` is portable and boxes the types MessagePack lacks. */
function portable(v: unknown, path: string, seen: Set<object>): unknown {
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
      return v
    case 'bigint':
      return new BigBox(v.toString())
    case 'symbol': {
      const k = Symbol.keyFor(v)
      if (k === undefined) throw new NotPortableError(path, 'a local symbol (only Symbol.for symbols travel)')
      return new SymBox(k)
    }
    case 'undefined':
      throw new NotPortableError(path, 'undefined (use null)')
    case 'function':
      throw new NotPortableError(path, 'a function')
  }
  if (v === null || v instanceof Pid || v instanceof Ref || v instanceof Date || v instanceof Uint8Array) return v
  const o = v as object
  if (seen.has(o)) throw new NotPortableError(path, 'a cyclic reference')
  seen.add(o)
  let out: unknown
  if (Array.isArray(o)) {
    out = o.map((x, i) => portable(x, `${path}[${i}]`, seen))
  } else if (o instanceof Map) {
    const a: unknown[] = []
    let i = 0
    for (const [k, x] of o) {
      a.push(portable(k, `${path}.<key ${i}>`, seen), portable(x, `${path}.get(${i})`, seen))
      i++
    }
    out = new MapBox(a)
  } else if (o instanceof Set) {
    out = new SetBox([...o].map((x, i) => portable(x, `${path}.<element ${i}>`, seen)))
  } else if (o instanceof Error) {
    out = new ErrBox([o.name, o.message, o.stack ?? null])
  } else {
    const proto = Object.getPrototypeOf(o)
    if (proto !== Object.prototype && proto !== null) {
      const name = (proto?.constructor as { name?: string } | undefined)?.name ?? 'an unknown class'
      throw new NotPortableError(path, `an instance of ${name}`)
    }
    const r: Record<string, unknown> = {}
    for (const k of Object.keys(o)) r[k] = portable((o as Record<string, unknown>)[k], `${path}.${k}`, seen)
    out = r
  }
  seen.delete(o)
  return out
}

/** Encodes a portable value; throws NotPortableError naming the path of
 * the first value that cannot travel. */
export function encode(value: unknown, path = 'value'): Uint8Array {
  return packr.pack(portable(value, path, new Set()))
}

/** Decodes bytes written by `encode` (or any MessagePack encoder). */
export function decode(bytes: Uint8Array): unknown {
  return packr.unpack(bytes)
}
