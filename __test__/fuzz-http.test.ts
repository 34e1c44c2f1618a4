// The short run of the observer's HTTP fuzz target (tools/fuzz/http.ts;
// `npm run fuzz` runs it for a time budget): mutated requests, many at
// once, never throw out of the server nor get a 500, and a request with
// the token keeps getting its answer.
import test from 'ava'
import { fuzzHttp } from '../tools/fuzz/http.ts'

test('the observer survives 2,000 mutated requests', async (t) => {
  const r = await fuzzHttp({ cases: 2000 })
  t.true(r.execs >= 2000)
  t.deepEqual(r.failures, [])
})
