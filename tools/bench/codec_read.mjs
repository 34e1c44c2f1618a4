// Micro-benchmark: src/kernel/reader.ts `readMessage` against msgpackr's
// `unpack` (codec.ts's options) on the cross-thread stream's item and a few
// other shapes, each decoded from its place in one batch buffer (as
// decodeRange does). It imports the compiled dist/ (`npm run build:ts`
// first): under tsx, esbuild's keepNames slows class-heavy code, and users
// run dist/. Plain node, no loader:
//
//     npm run build:ts && node tools/bench/codec_read.mjs [runs] [messages per run]
//
// Runs alternate reader and msgpackr; each prints the median ns per message
// with min/max over the runs, and msgpackr's median over the reader's.
import { loadavg } from 'node:os'
import { isDeepStrictEqual } from 'node:util'
import { Packr } from 'msgpackr'
import { encode } from '../../dist/src/kernel/codec.js'
import { readMessage, UNREAD } from '../../dist/src/kernel/reader.js'
import { Pid, Ref } from '../../dist/src/kernel/values.js'

const RUNS = Number(process.argv[2] ?? 7)
const PER_RUN = Number(process.argv[3] ?? 300_000)
const BATCH = 1000

const msgpackr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, int64AsType: 'auto' })
const lorem = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore. '

/** Each shape: the i-th message of a batch. */
const shapes = {
  item: (i) => ({ seq: i, kind: 'tick', value: i * 1.5, tags: ['a', 'b'] }),
  call: (i) => ['$call', new Pid('a@h', 1000 + i), new Ref('a@h', 5000 + i), { op: 'get', key: `user:${i % 50}` }],
  numbers: (i) => Array.from({ length: 16 }, (_, j) => i + j),
  nested: (i) => ({ user: { id: i, name: 'alice', roles: ['admin', 'dev'] }, at: 1.7e12 + i, ok: true }),
  bytes_1k: (i) => ({ id: i, data: new Uint8Array(1024).fill(i & 255) }),
  text_200: (i) => ({ id: i, text: `${lorem}${lorem}`.slice(0, 200) }),
}

/** One batch of `BATCH` encoded messages in one Buffer, with each one's [start, end). */
function batch(make) {
  const parts = Array.from({ length: BATCH }, (_, i) => encode(make(i)))
  const src = Buffer.concat(parts)
  const at = []
  let p = 0
  for (const b of parts) {
    at.push([p, p + b.length])
    p += b.length
  }
  return { src, at }
}

const decoders = {
  reader: (src, start, end) => readMessage(src, start, end),
  msgpackr: (src, start, end) => msgpackr.unpack(src, { start, end }),
}

/** ns per message for `decode` over `PER_RUN` messages of the batch. */
function time(decode, { src, at }) {
  let sink = 0
  const t = process.hrtime.bigint()
  for (let n = 0; n < PER_RUN; n++) {
    const [start, end] = at[n % BATCH]
    if (decode(src, start, end) !== null) sink++
  }
  const ns = Number(process.hrtime.bigint() - t)
  if (sink !== PER_RUN) throw new Error('a message decoded to null')
  return ns / PER_RUN
}

const stat = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] }
}
const f = (x) => x.toFixed(0).padStart(5)

console.log(`codec_read: ${RUNS} runs x ${PER_RUN} messages, load ${loadavg()[0].toFixed(2)}, node ${process.version}`)
console.log('shape       reader ns/msg [min-max]   msgpackr ns/msg [min-max]   msgpackr/reader')
for (const [name, make] of Object.entries(shapes)) {
  const b = batch(make)
  for (const [start, end] of b.at.slice(0, 50)) {
    const mine = readMessage(b.src, start, end)
    if (mine === UNREAD || !isDeepStrictEqual(mine, msgpackr.unpack(b.src, { start, end })))
      throw new Error(`${name}: the reader gives another value`)
  }
  for (const d of Object.values(decoders)) time(d, b) // warm-up
  const runs = { reader: [], msgpackr: [] }
  for (let r = 0; r < RUNS; r++) for (const [k, d] of Object.entries(decoders)) runs[k].push(time(d, b))
  const a = stat(runs.reader)
  const m = stat(runs.msgpackr)
  console.log(
    `${name.padEnd(10)} ${f(a.median)} [${f(a.min)}-${f(a.max)}]     ${f(m.median)} [${f(m.min)}-${f(m.max)}]       ${(m.median / a.median).toFixed(2)}x`,
  )
}
console.log(`load at the end ${loadavg()[0].toFixed(2)}`)
