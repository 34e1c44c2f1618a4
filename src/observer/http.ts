// The observer's web server (node:http): the page's static files, uPlot
// from node_modules, one snapshot as JSON, and a Server-Sent Events stream
// of snapshots. Bound to 127.0.0.1 only; every request needs the token.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkObserverOptions, type Observer, type ObserverOptions } from '../nodes/observeroptions.js'
import type { Snapshot } from './snapshot.js'

const COOKIE = 'bfly_observer'
/** How often an open page gets a snapshot, in ms. */
const EVERY_MS = 1000

/** The page folder: beside this module in the sources, src/observer/page from dist/. */
function pageDir(): string {
  const here = dirname(fileURLToPath(import.meta.url))
  for (const d of [join(here, 'page'), join(here, '..', '..', '..', 'src', 'observer', 'page')])
    if (existsSync(join(d, 'index.html'))) return d
  throw new Error(`the observer page (index.html) was not found beside ${here}`)
}

function uplotDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist')
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
}

/** Path -> file, read once at start (a few small files). */
function files(): Map<string, { body: Buffer; type: string }> {
  const page = pageDir()
  const up = uplotDir()
  const out = new Map<string, { body: Buffer; type: string }>()
  const add = (path: string, file: string) =>
    out.set(path, { body: readFileSync(file), type: TYPES[file.slice(file.lastIndexOf('.') + 1)] })
  add('/', join(page, 'index.html'))
  for (const f of ['app.js', 'graph.js', 'style.css']) add(`/${f}`, join(page, f))
  add('/uplot.js', join(up, 'uPlot.iife.min.js'))
  add('/uplot.css', join(up, 'uPlot.min.css'))
  return out
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

/** The token the request carries, if any. Total: a malformed header or
 * cookie is no token, never a throw. */
function offered(req: IncomingMessage, url: URL): string | undefined {
  const q = url.searchParams.get('token')
  if (q !== null) return q
  const auth = req.headers.authorization
  if (auth?.startsWith('Bearer ')) return auth.slice(7)
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0 || part.slice(0, eq).trim() !== COOKIE) continue
    try {
      return decodeURIComponent(part.slice(eq + 1).trim())
    } catch {
      return undefined // '%', '%E0%A4%A': not a token this server made
    }
  }
  return undefined
}

/** The request's target as a URL, or null when it does not parse (`GET http://[`). */
function target(req: IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://127.0.0.1')
  } catch {
    return null
  }
}

/** Answers `text` with status `code`, or cuts the connection when an
 * answer has already begun (a status cannot change mid-response). */
function send(res: ServerResponse, code: number, text: string): void {
  if (res.headersSent || res.destroyed) {
    res.destroy()
    return
  }
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
  res.end(`${text}\n`)
}

const reasonOf = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** Connections served at once (a page uses a few); further ones are closed at once. */
const MAX_CONNECTIONS = 256
/** A client has this long to send its request headers; a slower one is cut (slowloris). */
const HEADERS_MS = 10_000
/** Bytes an event stream may have unsent (its client stopped reading) before it is cut. */
const MAX_UNSENT = 4 << 20

/**
 * Serves the observer page for snapshots from `source` on 127.0.0.1.
 * Every request must carry the token (compared in constant time) or gets
 * 401; a Host header other than 127.0.0.1/localhost gets 403 (so a web
 * page elsewhere cannot reach it by rebinding a name to 127.0.0.1).
 * Every request is answered or its connection closed, whatever its bytes:
 * an unparsable target is 400, a handler failure 500, and nothing a
 * client sends (or fails to read) throws out of the server.
 */
export async function serveObserver(source: () => Promise<Snapshot>, opts: ObserverOptions = {}): Promise<Observer> {
  const port = checkObserverOptions(opts, 'observer')
  const token = randomBytes(24).toString('base64url')
  const want = digest(token)
  const statics = files()
  const streams = new Set<ServerResponse>()
  let latest: string | null = null
  let busy = false
  let timer: NodeJS.Timeout | null = null

  const stopTicking = (): void => {
    if (streams.size === 0 && timer !== null) {
      clearInterval(timer)
      timer = null
    }
  }

  const tick = async (): Promise<void> => {
    if (busy) return
    busy = true
    let frame: string
    try {
      latest = JSON.stringify(await source())
      frame = `data: ${latest}\n\n`
    } catch (e) {
      frame = `event: failure\ndata: ${JSON.stringify({ error: reasonOf(e) })}\n\n`
    }
    busy = false
    for (const s of streams) {
      // A client that stopped reading would hold every frame: cut it.
      if (s.writableLength > MAX_UNSENT) s.destroy()
      else s.write(frame)
    }
  }

  const events = (res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' })
    res.write('retry: 2000\n\n')
    if (latest !== null) res.write(`data: ${latest}\n\n`)
    streams.add(res)
    res.on('close', () => {
      streams.delete(res)
      stopTicking()
    })
    if (timer === null) timer = setInterval(tick, EVERY_MS)
    void tick()
  }

  const snapshotNow = async (res: ServerResponse) => {
    let body: string
    try {
      body = JSON.stringify(await source())
    } catch (e) {
      return send(res, 502, `502: no snapshot: ${reasonOf(e)}`)
    }
    if (res.destroyed) return
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    res.end(body)
  }

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = target(req)
    if (url === null) return send(res, 400, '400: bad request target')
    const host = (req.headers.host ?? '').replace(/:\d+$/, '')
    if (host !== '127.0.0.1' && host !== 'localhost')
      return send(res, 403, '403: the observer answers on 127.0.0.1 only')
    const t = offered(req, url)
    if (t === undefined || !timingSafeEqual(digest(t), want))
      return send(res, 401, '401: this observer needs its token; open the URL it printed at start (...?token=...)')
    if (req.method !== 'GET') return send(res, 405, '405: GET only')
    if (url.pathname === '/events') return events(res)
    if (url.pathname === '/snapshot') {
      snapshotNow(res).catch((e: unknown) => send(res, 500, `500: ${reasonOf(e)}`))
      return
    }
    const f = statics.get(url.pathname)
    if (f === undefined) return send(res, 404, '404: not found')
    const headers: Record<string, string> = { 'content-type': f.type, 'cache-control': 'no-store' }
    if (url.searchParams.has('token'))
      headers['set-cookie'] = `${COOKIE}=${encodeURIComponent(t)}; HttpOnly; SameSite=Strict; Path=/`
    res.writeHead(200, headers)
    res.end(f.body)
  }

  const server = createServer({ headersTimeout: HEADERS_MS, requestTimeout: 2 * HEADERS_MS }, (req, res) => {
    // A write to a connection its client closed is an 'error' here, never a throw.
    res.on('error', () => {})
    try {
      handle(req, res)
    } catch (e) {
      send(res, 500, `500: ${reasonOf(e)}`)
    }
  })
  server.maxConnections = MAX_CONNECTIONS
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  // Once listening, a failed accept (out of descriptors) only costs that connection.
  server.on('error', () => {})
  const bound = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${bound}/?token=${token}`,
    port: bound,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        if (timer !== null) clearInterval(timer)
        timer = null
        for (const s of streams) s.end()
        streams.clear()
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
