// The short run of the codec fuzz target (fuzz/codec.ts; `npm run fuzz`
// runs it for a time budget): mutated MessagePack never makes `decode`
// throw a non-Error, yield a malformed pid or ref, or fail to re-encode.
import test from 'ava'
import { fuzzCodec } from '../fuzz/codec.ts'

test('decode survives 3,000 mutated inputs', (t) => {
  const r = fuzzCodec({ cases: 3000 })
  t.is(r.execs, 3000)
  t.deepEqual(r.failures, [])
})
