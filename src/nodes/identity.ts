// Node identity keys (docs/PROTOCOL.md, 2.8): a static X25519 key per
// node, proven over each link, and pinned by peers so that a node name
// (and what `allow` grants it) belongs to whoever holds its key, not to any
// holder of the cookie that says the name.
import { native } from '../native/index.js'
import { cookieFromText } from './cookie.js'

/** A node's identity key pair, as 64 hex characters each. */
export interface IdentityKeys {
  /** The secret: give it to this node only (`startNode({ identity: { key } })`); store it in a file only the
   * node's user can read. */
  secret: string
  /** The public key: give it to the peers that pin this node (`identity.peers`). */
  publicKey: string
}

/** A fresh identity key pair for `startNode({ identity })`. */
export function newIdentity(): IdentityKeys {
  const secret = native.identityGenerate()
  return { secret: secret.toString('hex'), publicKey: native.identityPublic(secret).toString('hex') }
}

/** 32 bytes from a Uint8Array(32) or 64 hex characters (in the cookie's text form: a key file's content read as
 * it is will do); throws a TypeError naming `what` otherwise. */
export function keyBytes(k: unknown, what: string): Uint8Array {
  if (k instanceof Uint8Array && k.length === 32) return k
  const bytes = typeof k === 'string' ? cookieFromText(k) : undefined
  if (bytes !== undefined) return bytes
  throw new TypeError(`${what} must be 32 bytes, as a Uint8Array(32) or 64 hex characters`)
}

/** The public key (64 hex characters) of identity secret `secret` (a Uint8Array(32) or 64 hex characters).
 * @throws a TypeError when `secret` is not 32 bytes. */
export function identityPublicKey(secret: string | Uint8Array): string {
  return native.identityPublic(keyBytes(secret, 'identityPublicKey: the secret')).toString('hex')
}
