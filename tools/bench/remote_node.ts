// One side of a Node baseline for the `remote` suite's link-level results,
// the counterpart of crates/net/examples/linkbench.rs (same arguments, same
// output), run by tools/bench/remote_proc.ts as its own OS process:
//
//   node --import=tsx tools/bench/remote_node.ts (server|client) --transport tcp|tls
//        --port P --size N --count C [--mode stream|pingpong] [--cert FILE --key FILE]
//
// Messages are `[len: u32 BE][payload]`; each payload is N bytes and starts
// with its sequence number (u32 LE). The server checks every length and
// sequence number, answers with a 1-byte ack message once all C arrived, and
// prints {"msgs_per_s", "mb_per_s", "received", "bytes", "cipher"}; the
// client sends as fast as the socket takes them (waiting for 'drain' when
// write() says so), waits for the ack and prints {"msgs_per_s", "mb_per_s",
// "secs"} timed from the first write to the ack. `tls` is TLS 1.3 only,
// with TLS_AES_128_GCM_SHA256 (SL1's AEAD), and the client verifies the
// server's self-signed certificate (IP SAN 127.0.0.1). With `--mode
// pingpong` the server writes each message back as it arrives and the
// client sends the next one only when the previous one came back (checked):
// the round trip of a raw socket, which is also what a `call` costs on it.
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'

const SEQ_LEN = 4
const ACK = Buffer.from([0, 0, 0, 1, 1])
const TLS_OPTS = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256' } as const

interface Args {
  role: 'server' | 'client'
  mode: 'stream' | 'pingpong'
  transport: 'tcp' | 'tls'
  port: number
  size: number
  count: number
  cert: string | undefined
  key: string | undefined
}

function fail(msg: string): never {
  console.error(`remote_node: ${msg}`)
  process.exit(1)
}

function parseArgs(argv: string[]): Args {
  const [role, ...rest] = argv
  if (role !== 'server' && role !== 'client') fail(`expected server|client, got ${role}`)
  const flags = new Map<string, string>()
  for (let i = 0; i < rest.length; i += 2) {
    const [k, v] = [rest[i] ?? '', rest[i + 1]]
    if (!k.startsWith('--') || v === undefined) fail(`bad argument ${k}`)
    flags.set(k.slice(2), v)
  }
  const int = (k: string, min: number, max: number): number => {
    const n = Number(flags.get(k))
    if (!Number.isInteger(n) || n < min || n > max) fail(`--${k} must be an integer in ${min}..${max}`)
    return n
  }
  const transport = flags.get('transport')
  if (transport !== 'tcp' && transport !== 'tls') fail(`--transport must be tcp or tls`)
  const mode = flags.get('mode') ?? 'stream'
  if (mode !== 'stream' && mode !== 'pingpong') fail('--mode must be stream or pingpong')
  const args: Args = {
    role,
    mode,
    transport,
    port: int('port', 0, 65535),
    size: int('size', SEQ_LEN, 64 << 20),
    count: int('count', 1, 2 ** 32 - 1),
    cert: flags.get('cert'),
    key: flags.get('key'),
  }
  if (transport === 'tls' && (args.cert === undefined || (role === 'server' && args.key === undefined))) {
    fail('tls needs --cert (and --key on the server)')
  }
  return args
}

function report(count: number, size: number, secs: number, extra: Record<string, unknown>): string {
  const msgs = count / Math.max(secs, 1e-9)
  return JSON.stringify({ msgs_per_s: msgs, mb_per_s: (msgs * size) / 1e6, ...extra })
}

/**
 * Splits the byte stream into messages, checking each length before waiting
 * for its bytes and each sequence number. Chunks are joined only when a
 * message spans them.
 */
function receiver(
  size: number,
  count: number,
  onDone: () => void,
  onMessage: (m: Buffer) => void = () => {},
): (chunk: Buffer) => void {
  let chunks: Buffer[] = []
  let have = 0
  let received = 0
  return (chunk) => {
    chunks.push(chunk)
    have += chunk.length
    while (received < count && have >= 4) {
      let head = chunks[0] as Buffer
      if (head.length < 4) {
        head = Buffer.concat(chunks)
        chunks = [head]
      }
      const len = head.readUInt32BE(0)
      if (len !== size) fail(`message ${received} announces ${len} bytes, expected ${size}`)
      if (have < 4 + len) return
      if (head.length < 4 + len) {
        head = Buffer.concat(chunks)
        chunks = [head]
      }
      const seq = head.readUInt32LE(4)
      if (seq !== received) fail(`message ${received} carries sequence number ${seq}`)
      onMessage(head.subarray(0, 4 + len))
      received++
      have -= 4 + len
      if (head.length === 4 + len) chunks.shift()
      else chunks[0] = head.subarray(4 + len)
    }
    if (received === count) {
      if (have !== 0) fail(`${have} bytes after the last message`)
      onDone()
    }
  }
}

async function server(a: Args): Promise<void> {
  const onConn = (sock: net.Socket): void => {
    srv.close()
    sock.setNoDelay(true)
    const cipher = sock instanceof tls.TLSSocket ? `${sock.getProtocol()} ${sock.getCipher().standardName}` : null
    let start: bigint | null = null
    let secs = 0
    let done = false
    const echo = a.mode === 'pingpong' ? (m: Buffer) => sock.write(Buffer.from(m)) : undefined
    const take = receiver(
      a.size,
      a.count,
      () => {
        done = true
        secs = start === null ? 0 : Number(process.hrtime.bigint() - start) / 1e9
        sock.off('data', onData)
        // In pingpong the last echo is the client's answer.
        if (a.mode === 'stream') sock.write(ACK)
        // Wait for the client to close, so the ack is not lost to a reset.
        sock.on('data', () => {})
        sock.on('close', () => {
          console.log(report(a.count, a.size, secs, { received: a.count, bytes: a.count * a.size, cipher }))
        })
      },
      echo,
    )
    const onData = (chunk: Buffer): void => {
      start ??= process.hrtime.bigint()
      take(chunk)
    }
    sock.on('data', onData)
    sock.on('close', () => {
      if (!done) fail('the client closed before every message arrived')
    })
    sock.on('error', (e) => fail(`server socket: ${e.message}`))
  }
  const srv =
    a.transport === 'tcp'
      ? net.createServer(onConn)
      : tls.createServer(
          { ...TLS_OPTS, cert: readFileSync(a.cert ?? ''), key: readFileSync(a.key ?? '') },
          (s: tls.TLSSocket) => onConn(s),
        )
  srv.on('error', (e) => fail(`server: ${e.message}`))
  srv.listen(a.port, '127.0.0.1')
  await once(srv, 'listening')
  const addr = srv.address()
  if (addr === null || typeof addr === 'string') fail('no port')
  // The harness reads this line to start the client.
  console.log(JSON.stringify({ listening: addr.port }))
}

async function client(a: Args): Promise<void> {
  const sock =
    a.transport === 'tcp'
      ? net.connect({ port: a.port, host: '127.0.0.1', noDelay: true })
      : tls.connect({ ...TLS_OPTS, port: a.port, host: '127.0.0.1', ca: readFileSync(a.cert ?? '') })
  sock.on('error', (e) => fail(`client socket: ${e.message}`))
  await once(sock, a.transport === 'tcp' ? 'connect' : 'secureConnect')
  sock.setNoDelay(true)
  if (a.mode === 'pingpong') return pingpong(sock, a)
  let got: Buffer[] = []
  const acked = new Promise<void>((resolve) => {
    sock.on('data', (chunk: Buffer) => {
      got.push(chunk)
      const all = Buffer.concat(got)
      if (all.length < ACK.length) return
      if (!all.equals(ACK)) fail(`unexpected ack ${all.toString('hex')}`)
      got = []
      resolve()
    })
  })
  const payload = Buffer.alloc(a.size, 0xa5)
  const start = process.hrtime.bigint()
  for (let i = 0; i < a.count; i++) {
    if (!sock.write(frame(payload, i))) await once(sock, 'drain')
  }
  await acked
  const secs = Number(process.hrtime.bigint() - start) / 1e9
  console.log(report(a.count, a.size, secs, { secs }))
  sock.end()
}

/** Message `i`: a fresh buffer each (write() keeps it until it is sent). */
function frame(payload: Buffer, i: number): Buffer {
  const m = Buffer.allocUnsafe(4 + payload.length)
  m.writeUInt32BE(payload.length, 0)
  payload.copy(m, 4)
  m.writeUInt32LE(i, 4)
  return m
}

/** Round trips: one message out, its echo back (checked), then the next. */
async function pingpong(sock: net.Socket, a: Args): Promise<void> {
  let next: (() => void) | null = null
  // The receiver checks every echo's length and sequence number.
  const take = receiver(
    a.size,
    a.count,
    () => {},
    () => next?.(),
  )
  sock.on('data', take)
  const payload = Buffer.alloc(a.size, 0xa5)
  const start = process.hrtime.bigint()
  for (let i = 0; i < a.count; i++) {
    const back = new Promise<void>((r) => {
      next = r
    })
    sock.write(frame(payload, i))
    await back
  }
  const secs = Number(process.hrtime.bigint() - start) / 1e9
  console.log(report(a.count, a.size, secs, { secs }))
  sock.end()
}

const args = parseArgs(process.argv.slice(2))
await (args.role === 'server' ? server(args) : client(args))
