// startNode's cookie (issue 16, item 8): the content of the file `bfly
// cookie --out` writes, as read (its newline and surrounding whitespace
// ignored), or its 32 bytes; anything else is a TypeError that says so.
// The node started with the file's text reaches a peer that was given the
// same cookie as hex, so both parse to the same bytes.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'ava'
import { call, registerServer, remoteService, startNode } from '../index.ts'
import { startPeer } from './nodes.ts'

const BIN = fileURLToPath(new URL('../bin/bfly.mjs', import.meta.url))
const file = join(mkdtempSync(join(tmpdir(), 'bfly-cookie-')), 'cookie')
execFileSync(process.execPath, [BIN, 'cookie', '--out', file])
const text = readFileSync(file, 'utf8')
const opts = { listen: '127.0.0.1:0', quiet: true }

test.serial(
  'the cookie file as read (with its newline) starts a node that reaches a peer with that cookie',
  async (t) => {
    t.regex(text, /^[0-9a-f]{64}\n$/, 'what bfly cookie writes')
    const peer = await startPeer('ck-peer@127.0.0.1', text.trim())
    try {
      const node = await startNode({ ...opts, name: 'ck-a@127.0.0.1', cookie: readFileSync(file, 'utf8') })
      registerServer(peer.name, peer.addr)
      t.is(await call(remoteService(peer.name, { name: 'ECHO' }), 'over the link'), 'over the link')
      node.stop()
      const spaced = await startNode({
        ...opts,
        name: 'ck-b@127.0.0.1',
        cookie: `  \t${text.trim().toUpperCase()}\r\n\n`,
      })
      registerServer(peer.name, peer.addr)
      t.is(
        await call(remoteService(peer.name, { name: 'ECHO' }), 'again'),
        'again',
        'whitespace and case do not matter',
      )
      spaced.stop()
      const bytes = await startNode({ ...opts, name: 'ck-c@127.0.0.1', cookie: Buffer.from(text.trim(), 'hex') })
      registerServer(peer.name, peer.addr)
      t.is(await call(remoteService(peer.name, { name: 'ECHO' }), 'bytes'), 'bytes', 'the same 32 bytes')
      bytes.stop()
    } finally {
      await peer.kill()
    }
  },
)

test.serial('a cookie that is neither 32 bytes nor 64 hex characters is a TypeError showing both forms', async (t) => {
  const hex = text.trim()
  for (const [cookie, got] of [
    [hex.slice(2), /got a string of 62 characters/],
    [`${hex} x`, /got a string of 66 characters/],
    [`${hex.slice(1)}g`, /not all hex/],
    [new Uint8Array(31), /got 31 bytes/],
    [42, /got number/],
  ] as const) {
    const e = await t.throwsAsync(startNode({ ...opts, name: 'ck-bad@127.0.0.1', cookie: cookie as never }), {
      instanceOf: TypeError,
    })
    t.regex(
      e?.message ?? '',
      /^startNode: cookie must be 32 bytes: a Uint8Array\(32\), or 64 hex characters such as a cookie file's content/,
    )
    t.regex(e?.message ?? '', got)
  }
})
