// The short run of the codec fuzz target (tools/fuzz/codec.ts; `npm run fuzz`
// runs it for a time budget): mutated MessagePack never makes `decode`
// throw a non-Error, yield a malformed pid or ref, or fail to re-encode.
import test from 'ava'
import { Pid } from '../index.ts'
import { decode, encode } from '../src/kernel/codec.ts'
import { fuzzCodec } from '../tools/fuzz/codec.ts'

test('decode survives 3,000 mutated inputs', (t) => {
  const r = fuzzCodec({ cases: 3000 })
  t.is(r.execs, 3000)
  t.deepEqual(r.failures, [])
})

test('regressions found by the fuzzer: a pid or ref with a malformed payload is a TypeError, not a bogus id', (t) => {
  // ext 1 (Pid) whose payload is the string 'bfLy.sys'; ext 2 (Ref) whose id is 0xc1 (never used).
  for (const hex of ['c70901a862664c792e737973', 'c70e0292ab62403132372e302e302e31c1'])
    t.throws(() => decode(Buffer.from(hex, 'hex')), { instanceOf: TypeError, message: /malformed (pid|ref)/ })
  t.true(decode(encode(new Pid('a@h', 3))) instanceof Pid)
})
