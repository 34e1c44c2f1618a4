// Mutation fuzzing of the observer's HTTP server (src/observer/http.ts),
// what `startNode({ observer })` and `bfly observer` serve: seeds are well
// formed requests with and without the token and the hostile ones of
// issue 14; mutations are byte-level, over raw TCP, many connections at
// once, for a budget. Properties: nothing throws out of the server (an
// uncaught exception or unhandled rejection in this process is a failure),
// no request gets a 500 (a handler that failed), every answer is an HTTP
// status line, and a request with the token keeps getting its 200.
//   tsx tools/fuzz/http.ts [seconds]   (npm run fuzz; __test__/fuzz-http.test.ts runs it briefly)
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'
import { serveObserver } from '../../src/observer/http.ts'
import type { Snapshot } from '../../src/observer/snapshot.ts'
import { type Failure, failWith, Mutator } from './shared.ts'

/** Bytes that mean something to an HTTP parser or to the server's own decoding. */
const INTERESTING = [...'\r\n :;=%?&#/[]@\t\0"'].map((c) => c.charCodeAt(0)).concat([0x7f, 0x80, 0xff])

function seeds(token: string): Uint8Array[] {
  const get = (target: string, headers = '') => `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n`
  const texts = [
    get(`/?token=${token}`),
    get(`/snapshot?token=${token}`),
    get(`/events?token=${token}`),
    get('/app.js', `Authorization: Bearer ${token}\r\n`),
    get('/uplot.css', `Cookie: a=b; bfly_observer=${token}\r\n`),
    get('/', 'Cookie: bfly_observer=%\r\n'),
    get('/snapshot', 'Cookie: bfly_observer=%E0%A4%A\r\n'),
    get('http://['),
    get('//[?token=%'),
    get(`/%?token=${token}%`),
    `POST /snapshot?token=${token} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
    `GET /?token=${token} HTTP/1.0\r\n\r\n`,
    'CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
    get(`/events?token=${token}`, 'Connection: Upgrade\r\nUpgrade: websocket\r\n'),
    get(`/?token=${token}`) + get('http://['),
  ]
  return texts.map((s) => Buffer.from(s, 'latin1'))
}

const SNAPSHOT = {
  time: 0,
  node: 'fuzz@127.0.0.1',
  address: '127.0.0.1:1',
  processCount: 1,
  processes: [],
  supervisors: [],
  peers: [],
  exits: [],
  memory: { rss: 0, heapUsed: 0 },
} satisfies Snapshot

/**
 * Writes `bytes` to 127.0.0.1:`port` (then half-closes when `end`, or cuts
 * the connection after `dropMs`) and resolves with the first line the
 * server answers: '' when it closed without answering or said nothing
 * within `ms` (an incomplete request waits for more).
 */
export function exchange(
  port: number,
  bytes: Uint8Array | string,
  opts: { ms?: number; dropMs?: number; end?: boolean } = {},
): Promise<string> {
  return new Promise((resolve) => {
    let got = ''
    const s = connect(port, '127.0.0.1', () => {
      if (opts.end) s.end(bytes)
      else s.write(bytes)
      if (opts.dropMs !== undefined) setTimeout(() => s.destroy(), opts.dropMs)
    })
    const timer = setTimeout(() => s.destroy(), opts.ms ?? 5000)
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1')
      if (got.includes('\r\n')) s.destroy()
    })
    s.on('error', () => {})
    s.on('close', () => {
      clearTimeout(timer)
      resolve(got.split('\r\n')[0])
    })
  })
}

/** Runs for `seconds` (or `cases` requests); returns requests made and failures. */
export async function fuzzHttp(opts: { seconds?: number; cases?: number; seed?: number }): Promise<{
  execs: number
  failures: Failure[]
}> {
  const m = new Mutator(opts.seed)
  const failures: Failure[] = []
  let current = ''
  const thrown = (e: unknown) =>
    failures.push({ input: current, why: `thrown out of the server: ${e instanceof Error ? e.stack : String(e)}` })
  process.on('uncaughtException', thrown)
  process.on('unhandledRejection', thrown)
  // Any answer to the snapshot routes: a source that also fails now and then.
  let calls = 0
  const obs = await serveObserver(async () => {
    if (++calls % 7 === 0) throw new Error('no snapshot this time')
    return SNAPSHOT
  })
  const pool = seeds(obs.token)
  const n0 = pool.length
  const end = opts.seconds === undefined ? Number.POSITIVE_INFINITY : Date.now() + opts.seconds * 1000
  const cases = opts.cases ?? Number.POSITIVE_INFINITY
  const live = Buffer.from(`GET /snapshot?token=${obs.token} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, 'latin1')
  const t0 = performance.now()
  let execs = 0
  const one = async (): Promise<void> => {
    const input =
      execs < n0 ? pool[execs] : m.mutate(pool[m.rnd(pool.length)], pool[m.rnd(pool.length)], INTERESTING, 8192)
    execs++
    const hex = Buffer.from(input).toString('hex')
    current = hex
    const line = await exchange(obs.port, input, { ms: 300, end: true })
    if (line !== '' && !/^HTTP\/1\.[01] \d{3} /.test(line)) failures.push({ input: hex, why: `answered '${line}'` })
    else if (/^HTTP\/1\.[01] 500 /.test(line)) failures.push({ input: hex, why: `a handler failed: '${line}'` })
    else if (execs > n0 && line !== '' && pool.length < 2048 && m.rnd(8) === 0) pool.push(input)
  }
  try {
    while (execs < cases && Date.now() < end) {
      await Promise.all(Array.from({ length: Math.min(16, cases - execs) }, one))
      // Still serving: a request with the token gets its snapshot (or the source's 502).
      const line = await exchange(obs.port, live, { end: true })
      if (!/^HTTP\/1\.1 (200|502) /.test(line))
        failures.push({ input: current, why: `then a valid request got '${line}'` })
      if (failures.length > 0) break
    }
  } finally {
    await obs.close()
    process.off('uncaughtException', thrown)
    process.off('unhandledRejection', thrown)
  }
  const s = (performance.now() - t0) / 1000
  console.log(
    `fuzz http: ${execs} requests in ${s.toFixed(1)} s (${Math.round(execs / s)}/s), seed ${m.seed}, ${n0} seeds, ${failures.length} failures`,
  )
  return { execs, failures }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await fuzzHttp({ seconds: Number(process.argv[2] ?? 30) })
  if (r.failures.length > 0) failWith('http', r.failures)
}
