// Hostile HTTP clients against the observer (issue 14, finding 1): a node
// serving the page (startNode({ observer }), its own OS process) and `bfly
// observer` (the CLI's server) each get malformed, oversized, slow and
// abandoned requests over raw TCP. After every one the process is still
// alive (the crash guard fails the test if it died of an uncaught
// exception), its observer still answers a request with the token, and the
// node still answers a call over its SL1 link.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import test, { type ExecutionContext } from 'ava'
import { call, registerServer, remoteService } from '../index.ts'
import { exchange } from '../tools/fuzz/http.ts'
import { alive, type Guarded, startGuarded } from './guard.ts'
import { thisNode } from './nodes.ts'

const BIN = fileURLToPath(new URL('../bin/bfly.mjs', import.meta.url))
const OBSERVED = fileURLToPath(new URL('./fixtures/observed.ts', import.meta.url))
const cookie = randomBytes(32).toString('hex')
const dir = mkdtempSync(join(tmpdir(), 'bfly-observer-hostile-'))
const cookieFile = join(dir, 'cookie')
writeFileSync(cookieFile, cookie, { mode: 0o600 })

/** Starts `args` guarded and resolves with the first stdout line matching `re`. */
function startUntil(args: string[], re: RegExp): Promise<{ g: Guarded; m: RegExpExecArray }> {
  const g = startGuarded(args)
  return new Promise((resolve, reject) => {
    g.proc.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}): ${g.stderr()}`)))
    createInterface({ input: g.proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const m = re.exec(line)
      if (m !== null) resolve({ g, m })
    })
  })
}

/** The status line the observer at `port` answers `bytes` with ('' for none), cutting the connection after `dropMs`. */
const raw = (port: number, bytes: string | Buffer, dropMs?: number) => exchange(port, bytes, { dropMs })

type Attack = [what: string, run: (port: number, token: string) => Promise<unknown>]

const req = (target: string, headers = 'Host: 127.0.0.1\r\n') => `GET ${target} HTTP/1.1\r\n${headers}\r\n`

/** What a client on this machine (or a web page, for targets) can send. */
const ATTACKS: Attack[] = [
  ['Cookie: bfly_observer=%', (p) => raw(p, req('/', 'Host: 127.0.0.1\r\nCookie: bfly_observer=%\r\n'))],
  [
    'a cookie with a broken UTF-8 escape, with and without the token',
    async (p, tok) => {
      await raw(p, req('/snapshot', 'Host: 127.0.0.1\r\nCookie: a=1; bfly_observer=%E0%A4%A; b\r\n'))
      await raw(p, req(`/?token=${tok}`, 'Host: 127.0.0.1\r\nCookie: bfly_observer=%E0%A4%A\r\n'))
    },
  ],
  ['the request line GET http://[', (p) => raw(p, req('http://['))],
  ['the request line GET //[', (p) => raw(p, req('//['))],
  ['a target with a broken escape', (p, tok) => raw(p, req(`/%?token=${tok}%`))],
  ['no Host header', (p, tok) => raw(p, `GET /?token=${tok} HTTP/1.1\r\n\r\n`)],
  ['an HTTP/1.0 request without headers', (p) => raw(p, 'GET / HTTP/1.0\r\n\r\n')],
  ['a request line that is not HTTP', (p) => raw(p, 'HELLO\r\n\r\n')],
  [
    'NUL and control bytes in the target',
    (p) => raw(p, Buffer.from('GET /\u0000\u0001 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')),
  ],
  ['headers over 64 KiB', (p) => raw(p, req('/', `Host: 127.0.0.1\r\nX-Big: ${'a'.repeat(70_000)}\r\n`))],
  ['10,000 cookies', (p) => raw(p, req('/', `Host: 127.0.0.1\r\nCookie: ${'x=%;'.repeat(3000)}\r\n`))],
  [
    'a bad chunked body',
    (p, tok) =>
      raw(p, `POST /snapshot?token=${tok} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`),
  ],
  ['CONNECT', (p) => raw(p, 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')],
  [
    'a WebSocket upgrade',
    (p, tok) => raw(p, req(`/events?token=${tok}`, 'Host: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n')),
  ],
  ['half a request, then silence cut by the client', (p) => raw(p, 'GET / HTTP/1.1\r\nHost: 12', 200)],
  ['a snapshot request dropped before its answer', (p, tok) => raw(p, req(`/snapshot?token=${tok}`), 0)],
  ['an event stream dropped at once', (p, tok) => raw(p, req(`/events?token=${tok}`), 0)],
  [
    '100 event streams opened and dropped together, Last-Event-ID junk',
    (p, tok) =>
      Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          raw(p, req(`/events?token=${tok}`, `Host: 127.0.0.1\r\nLast-Event-ID: %${i}\r\n`), 50 + (i % 7) * 40),
        ),
      ),
  ],
  ['pipelined requests, the last one broken', (p, tok) => raw(p, req(`/?token=${tok}`).repeat(20) + req('http://['))],
  ['a path that climbs', (p, tok) => raw(p, req(`/..%2f..%2f..%2fetc%2fpasswd?token=${tok}`))],
  [
    'a Bearer token of 8 KiB',
    (p) => raw(p, req('/', `Host: 127.0.0.1\r\nAuthorization: Bearer ${'%'.repeat(8000)}\r\n`)),
  ],
]

/** The observer at `port` answers a request with the token. */
async function answers(t: ExecutionContext, port: number, token: string, after: string): Promise<void> {
  t.is(await raw(port, req(`/snapshot?token=${token}`)), 'HTTP/1.1 200 OK', `the observer answers after ${after}`)
}

/** Runs every attack on the observer at `url` (as printed, with its token); after each, the
 * processes in `guarded` are alive, the observer answers, and `more` holds. */
async function attackAll(
  t: ExecutionContext,
  url: string,
  guarded: Guarded[],
  more: (what: string) => Promise<void> = async () => {},
): Promise<void> {
  const u = new URL(url)
  const token = u.searchParams.get('token') ?? ''
  const port = Number(u.port)
  for (const [what, run] of ATTACKS) {
    await run(port, token)
    for (const g of guarded) alive(t, g, what)
    await answers(t, port, token, what)
    await more(what)
  }
}

test.serial('a node serving the observer survives every hostile request and keeps answering', async (t) => {
  t.timeout(180_000)
  const name = `obs-hostile-${process.pid}@127.0.0.1`
  await thisNode(`obs-attacker-${process.pid}@127.0.0.1`, cookie)
  const { g, m } = await startUntil([OBSERVED, name, cookie], /^\{"listening":"(.*)","observer":"(.*)"\}$/)
  try {
    registerServer(name, m[1])
    await attackAll(t, m[2], [g], async (what) => {
      const s = (await call(remoteService(name, { name: 'OBSERVER' }), 'snapshot', { timeout: 20_000 })) as {
        node: string
      }
      t.is(s.node, name, `the node answers a call over SL1 after ${what}`)
    })
  } finally {
    g.proc.kill('SIGKILL')
  }
})

test.serial('bfly observer survives every hostile request and keeps answering', async (t) => {
  t.timeout(180_000)
  const { g: node, m: nm } = await startUntil(
    [BIN, 'node', '--name', `obs-cli-${process.pid}@127.0.0.1`, '--listen', '127.0.0.1:0'].concat([
      '--cookie-file',
      cookieFile,
      '--log-dir',
      join(dir, 'log'),
    ]),
    /^bfly node (\S+) listening on (\S+)$/,
  )
  try {
    const { g, m } = await startUntil(
      [BIN, 'observer', `${nm[1]}@${nm[2]}`, '--cookie-file', cookieFile],
      /^bfly observer of (\S+) at (\S+)$/,
    )
    try {
      await attackAll(t, m[2], [g, node])
    } finally {
      g.proc.kill('SIGKILL')
    }
  } finally {
    node.proc.kill('SIGKILL')
  }
})
