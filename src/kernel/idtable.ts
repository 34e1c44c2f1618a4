// A map from process id to value, for the hot spawn/exit path.
//
// Open addressing with linear probing over a typed array of keys. Ids are
// handed out in sequence, so `id & mask` spreads them with almost no
// collisions, and nothing is allocated per entry: measured here, a JS Map
// spent more time growing, shrinking and rehashing under 200,000 spawns
// and exits than the rest of spawn put together.

const EMPTY = 0
const GONE = -1

export class IdTable<V> {
  private keys = new Float64Array(1024)
  private vals: (V | undefined)[] = new Array(1024).fill(undefined)
  private mask = 1023
  /** Live entries. */
  size = 0
  /** Live entries plus tombstones. */
  private used = 0

  get(id: number): V | undefined {
    const keys = this.keys
    const mask = this.mask
    for (let i = id & mask; ; i = (i + 1) & mask) {
      const k = keys[i]
      if (k === id) return this.vals[i]
      if (k === EMPTY) return undefined
    }
  }

  /** Adds `id` (ids are never reused, so it is not already present). */
  set(id: number, v: V): void {
    if ((this.used + 1) * 2 > this.keys.length) this.rebuild()
    const keys = this.keys
    const mask = this.mask
    let i = id & mask
    while (keys[i] !== EMPTY && keys[i] !== GONE) i = (i + 1) & mask
    if (keys[i] === EMPTY) this.used++
    keys[i] = id
    this.vals[i] = v
    this.size++
  }

  delete(id: number): boolean {
    const keys = this.keys
    const mask = this.mask
    for (let i = id & mask; ; i = (i + 1) & mask) {
      const k = keys[i]
      if (k === id) {
        keys[i] = GONE
        this.vals[i] = undefined
        this.size--
        return true
      }
      if (k === EMPTY) return false
    }
  }

  /** Every live value. */
  values(): V[] {
    const out: V[] = []
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] > 0) out.push(this.vals[i] as V)
    return out
  }

  /** Drops tombstones; doubles the capacity when live entries need it. */
  private rebuild(): void {
    const oldKeys = this.keys
    const oldVals = this.vals
    let cap = oldKeys.length
    while ((this.size + 1) * 2 > cap) cap *= 2
    if ((this.size + 1) * 4 > cap) cap *= 2
    this.keys = new Float64Array(cap)
    this.vals = new Array(cap).fill(undefined)
    this.mask = cap - 1
    this.used = 0
    this.size = 0
    for (let i = 0; i < oldKeys.length; i++) if (oldKeys[i] > 0) this.set(oldKeys[i], oldVals[i] as V)
  }
}
