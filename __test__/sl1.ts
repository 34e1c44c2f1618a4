// A fake peer for the attack tests: an SL1 client written from
// docs/PROTOCOL.md alone (node:crypto only), so a test can authenticate
// to a real node process with the cookie and then send it any
// distribution frame, well formed or not. It speaks just enough to
// connect (handshake, Hello, HelloAck) and to send frames; it answers no
// key update and sends no heartbeats, so a link lasts less than the
// node's idle limit (15 s) of silence from it.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto'
import { connect, type Socket } from 'node:net'

const H = (...parts: Uint8Array[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest()
const hmac = (key: Uint8Array, ...parts: Uint8Array[]): Buffer =>
  createHmac('sha256', key).update(Buffer.concat(parts)).digest()
const text = (s: string): Buffer => Buffer.from(s, 'latin1')

/** HKDF-Expand (RFC 5869) with `prk` as the pseudo-random key. */
export function expand(prk: Uint8Array, info: Uint8Array, n: number): Buffer {
  const out: Buffer[] = []
  let t: Buffer = Buffer.alloc(0)
  for (let i = 1; Buffer.concat(out).length < n; i++) {
    t = hmac(prk, t, info, Buffer.of(i))
    out.push(t)
  }
  return Buffer.concat(out).subarray(0, n)
}

// DER prefixes around a raw 32-byte X25519 key (RFC 8410).
const SPKI = Buffer.from('302a300506032b656e032100', 'hex')
const PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex')

/** An X25519 key pair, fresh or from a raw secret (the test vector's). */
export function x25519(secret?: Uint8Array): { priv: KeyObject; pub: Buffer } {
  const priv =
    secret === undefined
      ? generateKeyPairSync('x25519').privateKey
      : createPrivateKey({ key: Buffer.concat([PKCS8, secret]), format: 'der', type: 'pkcs8' })
  const pub = createPublicKey(priv).export({ format: 'der', type: 'spki' }).subarray(SPKI.length)
  return { priv, pub }
}

function dh(priv: KeyObject, peer: Uint8Array): Buffer {
  return diffieHellman({
    privateKey: priv,
    publicKey: createPublicKey({ key: Buffer.concat([SPKI, peer]), format: 'der', type: 'spki' }),
  })
}

function seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array): Buffer {
  const c = createCipheriv('aes-128-gcm', key, nonce)
  c.setAAD(aad)
  return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()])
}

function open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Buffer {
  const d = createDecipheriv('aes-128-gcm', key, nonce)
  d.setAAD(aad)
  d.setAuthTag(sealed.subarray(sealed.length - 16))
  return Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()])
}

/** A handshake nonce: the IV with its last byte XORed with the counter. */
function hsNonce(iv: Uint8Array, counter: number): Buffer {
  const n = Buffer.from(iv)
  n[11] ^= counter
  return n
}

/** One direction's frame keys of epoch 0. */
class Direction {
  readonly key: Buffer
  readonly iv: Buffer
  counter = 0n
  constructor(secret: Uint8Array) {
    this.key = expand(secret, text('SL1 key'), 16)
    this.iv = expand(secret, text('SL1 iv'), 12)
  }
  nonce(): Buffer {
    const n = Buffer.from(this.iv)
    const c = Buffer.alloc(8)
    c.writeBigUInt64BE(this.counter++)
    for (let i = 0; i < 8; i++) n[4 + i] ^= c[i]
    return n
  }
}

/** What the client side of a handshake chose and sent (fixed for the test vector, random otherwise). */
export interface ClientChoice {
  secret?: Uint8Array
  challenge?: Uint8Array
  instance?: Uint8Array
}

/** The client side of the SL1 handshake as pure steps over M1 and M3. */
export function clientHandshake(cookie: Uint8Array, m1: Buffer, choice: ClientChoice = {}) {
  if (m1.subarray(0, 4).toString('latin1') !== 'SL1\0') throw new Error('not SL1')
  const n = m1[4]
  const versions = [...m1.subarray(5, 5 + n)]
  if (!versions.includes(1)) throw new Error(`no common version in ${versions}`)
  const xs = m1.subarray(5 + n, 37 + n)
  const { priv, pub: xc } = x25519(choice.secret)
  const prk = hmac(cookie, dh(priv, xs))
  const h1 = H(m1, xc)
  const c2s = expand(prk, Buffer.concat([text('SL1 hs c2s'), h1]), 28)
  const s2c = expand(prk, Buffer.concat([text('SL1 hs s2c'), h1]), 28)
  const authC = expand(prk, Buffer.concat([text('SL1 auth c'), h1]), 32)
  const authS = expand(prk, Buffer.concat([text('SL1 auth s'), h1]), 32)
  const v = Buffer.of(1)
  const nc = Buffer.from(choice.challenge ?? randomBytes(32))
  const ic = Buffer.from(choice.instance ?? randomBytes(16))
  const pc = hmac(authC, text('SL1 client proof'), H(m1, xc, v, nc, ic))
  const m2 = Buffer.concat([
    xc,
    seal(c2s.subarray(0, 16), hsNonce(c2s.subarray(16), 0), text('SL1 M2'), Buffer.concat([v, nc, ic, pc])),
  ])
  return {
    m2,
    /** Checks M3 (the server's proof) and makes M4 and the traffic keys. */
    finish(m3: Buffer): { m4: Buffer; send: Direction; receive: Direction } {
      const ps = open(s2c.subarray(0, 16), hsNonce(s2c.subarray(16), 0), text('SL1 M3'), m3)
      if (!ps.equals(hmac(authS, text('SL1 server proof'), H(m1, m2)))) throw new Error('bad server proof')
      const m4 = seal(c2s.subarray(0, 16), hsNonce(c2s.subarray(16), 1), text('SL1 M4'), Buffer.of(1))
      const t = H(m1, m2, m3, m4)
      return {
        m4,
        send: new Direction(expand(prk, Buffer.concat([text('SL1 data c2s'), t]), 32)),
        receive: new Direction(expand(prk, Buffer.concat([text('SL1 data s2c'), t]), 32)),
      }
    },
  }
}

/** A sealed data frame of type `type` (0: a whole message). */
export function sealFrame(d: Direction, type: number, payload: Uint8Array): Buffer {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(1 + payload.length + 16)
  return Buffer.concat([len, seal(d.key, d.nonce(), len, Buffer.concat([Buffer.of(type), payload]))])
}

/** Reads exact byte counts from a socket. */
class Reader {
  #buf = Buffer.alloc(0)
  #wait: (() => void) | null = null
  #ended = false
  constructor(s: Socket) {
    s.on('data', (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d])
      this.#wait?.()
    })
    const end = () => {
      this.#ended = true
      this.#wait?.()
    }
    s.on('close', end)
    s.on('error', end)
  }
  async take(n: number): Promise<Buffer> {
    while (this.#buf.length < n) {
      if (this.#ended) throw new Error('the node closed the connection')
      await new Promise<void>((r) => {
        this.#wait = r
      })
      this.#wait = null
    }
    const out = this.#buf.subarray(0, n)
    this.#buf = this.#buf.subarray(n)
    return out
  }
}

const str = (s: string): Buffer => {
  const b = Buffer.from(s, 'utf8')
  const n = Buffer.alloc(2)
  n.writeUInt16LE(b.length)
  return Buffer.concat([n, b])
}
const u64 = (v: number | bigint): Buffer => {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE(BigInt(v))
  return b
}

/** Distribution frames (PROTOCOL.md section 3), built byte by byte so a test can send what no node would. */
export const frames = {
  send: (to: number, msg: Uint8Array) => Buffer.concat([Buffer.of(1), u64(to), msg]),
  sendName: (name: string, msg: Uint8Array) => Buffer.concat([Buffer.of(2), str(name), msg]),
  exit: (from: number, to: number, viaExit: boolean, reason: Uint8Array) =>
    Buffer.concat([Buffer.of(3), u64(from), u64(to), Buffer.of(viaExit ? 1 : 0), reason]),
  down: (watcher: number, ref: number, target: number, reason: Uint8Array) =>
    Buffer.concat([Buffer.of(8), u64(watcher), u64(ref), u64(target), reason]),
  reply: (to: number, msg: Uint8Array) => Buffer.concat([Buffer.of(9), u64(to), msg]),
  ask: (what: 1 | 2, from: number, ref: number, flags: number, body: Uint8Array) =>
    Buffer.concat([Buffer.of(10), Buffer.of(what), u64(from), u64(ref), Buffer.of(flags), body]),
  hello: (name: string, addr: string) => Buffer.concat([Buffer.of(12), str(name), str(addr)]),
}

/** The payload of an SL1 batch frame (type 4, PROTOCOL.md): `[count: u16 BE]`, then `[len: u16 BE][message]` per
 * message; `count` overrides the real count (to forge one). */
export function batchPayload(messages: Uint8Array[], count = messages.length): Buffer {
  const head = Buffer.alloc(2)
  head.writeUInt16BE(count)
  const parts = messages.flatMap((m) => {
    const n = Buffer.alloc(2)
    n.writeUInt16BE(m.length)
    return [n, Buffer.from(m)]
  })
  return Buffer.concat([head, ...parts])
}

/** An authenticated link to a node, as a peer named `name`. */
export interface FakePeer {
  /** Sends one distribution frame (one SL1 message of one fragment). */
  send(frame: Uint8Array): void
  /** Seals `payload` as one SL1 frame of type `type` (4: a batch), whatever it holds. */
  sendFrame(type: number, payload: Uint8Array): void
  /** The next message from the node (its distribution frame), or null when the node closed the link. */
  next(): Promise<Buffer | null>
  /** Whether the node has closed the connection. */
  readonly closed: boolean
  close(): void
}

/** Connects to the node at `addr` ('host:port') with `cookie`, says Hello as `name` and waits for HelloAck. */
export async function fakePeer(addr: string, cookie: Uint8Array, name: string): Promise<FakePeer> {
  const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))]
  const s = connect({ host, port })
  s.setNoDelay(true)
  let closed = false
  s.on('close', () => {
    closed = true
  })
  s.on('error', () => {})
  const r = new Reader(s)
  const hsMessage = async () => r.take((await r.take(2)).readUInt16BE(0))
  const hsSend = (body: Buffer) => {
    const n = Buffer.alloc(2)
    n.writeUInt16BE(body.length)
    s.write(Buffer.concat([n, body]))
  }
  const hs = clientHandshake(cookie, Buffer.from(await hsMessage()))
  hsSend(hs.m2)
  const { m4, send, receive } = hs.finish(Buffer.from(await hsMessage()))
  hsSend(m4)
  const next = async (): Promise<Buffer | null> => {
    let message = Buffer.alloc(0)
    for (;;) {
      let len: Buffer
      try {
        len = await r.take(4)
      } catch {
        return null
      }
      const body = open(receive.key, receive.nonce(), len, await r.take(len.readUInt32BE(0)))
      if (body[0] === 2 || body[0] === 3) continue // heartbeat; a key update would end this fake peer
      message = Buffer.concat([message, body.subarray(1)])
      if (body[0] === 0) return message
    }
  }
  const peer: FakePeer = {
    send: (frame) => {
      for (let o = 0; o < frame.length || o === 0; o += 16384) {
        const part = frame.subarray(o, o + 16384)
        s.write(sealFrame(send, o + 16384 >= frame.length ? 0 : 1, part))
      }
    },
    sendFrame: (type, payload) => {
      s.write(sealFrame(send, type, payload))
    },
    next,
    get closed() {
      return closed
    },
    close: () => s.destroy(),
  }
  peer.send(frames.hello(name, '127.0.0.1:1'))
  const ack = await next()
  if (ack === null || ack[0] !== 13 || ack[1] !== 1)
    throw new Error(`no HelloAck from ${addr}: ${ack?.toString('hex')}`)
  return peer
}
