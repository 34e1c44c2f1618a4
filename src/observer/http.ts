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

/** The token the request carries, if any. */
function offered(req: IncomingMessage, url: URL): string | undefined {
  const q = url.searchParams.get('token')
  if (q !== null) return q
  const auth = req.headers.authorization
  if (auth?.startsWith('Bearer ')) return auth.slice(7)
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, v] = part.trim().split('=')
    if (k === COOKIE && v !== undefined) return decodeURIComponent(v)
  }
  return undefined
}

function send(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
  res.end(`${text}\n`)
}

/**
 * Serves the observer page for snapshots from `source` on 127.0.0.1.
 * Every request must carry the token (compared in constant time) or gets
 * 401; a Host header other than 127.0.0.1/localhost gets 403 (so a web
 * page elsewhere cannot reach it by rebinding a name to 127.0.0.1).
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

  const tick = async (): Promise<void> => {
    if (busy) return
    busy = true
    let frame: string
    try {
      latest = JSON.stringify(await source())
      frame = `data: ${latest}\n\n`
    } catch (e) {
      frame = `event: failure\ndata: ${JSON.stringify({ error: e instanceof Error ? e.message : String(e) })}\n\n`
    }
    busy = false
    for (const s of streams) s.write(frame)
  }

  const events = (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' })
    res.write('retry: 2000\n\n')
    if (latest !== null) res.write(`data: ${latest}\n\n`)
    streams.add(res)
    if (timer === null) timer = setInterval(tick, EVERY_MS)
    void tick()
    req.on('close', () => {
      streams.delete(res)
      if (streams.size === 0 && timer !== null) {
        clearInterval(timer)
        timer = null
      }
    })
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const host = (req.headers.host ?? '').replace(/:\d+$/, '')
    if (host !== '127.0.0.1' && host !== 'localhost')
      return send(res, 403, '403: the observer answers on 127.0.0.1 only')
    const t = offered(req, url)
    if (t === undefined || !timingSafeEqual(digest(t), want))
      return send(res, 401, '401: this observer needs its token; open the URL it printed at start (...?token=...)')
    if (req.method !== 'GET') return send(res, 405, '405: GET only')
    if (url.pathname === '/events') return events(req, res)
    if (url.pathname === '/snapshot') {
      source().then(
        (s) => {
          res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
          res.end(JSON.stringify(s))
        },
        (e: unknown) => send(res, 502, `502: no snapshot: ${e instanceof Error ? e.message : String(e)}`),
      )
      return
    }
    const f = statics.get(url.pathname)
    if (f === undefined) return send(res, 404, '404: not found')
    const headers: Record<string, string> = { 'content-type': f.type, 'cache-control': 'no-store' }
    if (url.searchParams.has('token'))
      headers['set-cookie'] = `${COOKIE}=${encodeURIComponent(t)}; HttpOnly; SameSite=Strict; Path=/`
    res.writeHead(200, headers)
    res.end(f.body)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  const bound = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${bound}/?token=${token}`,
    port: bound,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        if (timer !== null) clearInterval(timer)
        for (const s of streams) s.end()
        streams.clear()
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
