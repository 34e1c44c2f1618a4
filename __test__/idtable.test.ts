// The id table behind the local process map agrees with a Map.
import test from 'ava'
import fc from 'fast-check'
import { IdTable } from '../src/kernel/idtable.ts'

test('IdTable agrees with a Map under random inserts and deletes of fresh ids', (t) => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(50)), { maxLength: 3000 }), (ops) => {
      const table = new IdTable<number>()
      const model = new Map<number, number>()
      let next = 1
      for (const [insert, back] of ops) {
        if (insert || model.size === 0) {
          // Fresh ids, sometimes with gaps (other threads take some).
          next += 1 + (back % 3)
          table.set(next, next * 2)
          model.set(next, next * 2)
        } else {
          const keys = [...model.keys()]
          const k = keys[back % keys.length]
          if (table.delete(k) !== model.delete(k)) return false
        }
        if (table.size !== model.size) return false
      }
      for (let id = 1; id <= next + 2; id++) if (table.get(id) !== model.get(id)) return false
      return table.values().length === model.size
    }),
  )
  t.pass()
})
