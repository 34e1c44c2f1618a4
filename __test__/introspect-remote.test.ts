// processInfo across nodes: links and monitors with processes of another
// node (a separate OS process) are reported with that node's name.
import test from 'ava'
import { call, type Pid, processInfo, registerServer, remoteService } from '../index.ts'
import { run } from './helpers.ts'
import { newCookie, startPeer, thisNode } from './nodes.ts'

test('a link and a monitor to a process of another node show as its pid on that node', async (t) => {
  const cookie = newCookie()
  const peer = await startPeer(`ir-a-${process.pid}@127.0.0.1`, cookie)
  try {
    await thisNode(`ir-b-${process.pid}@127.0.0.1`, cookie)
    registerServer(peer.name, peer.addr)
    const echo = await call<Pid>(remoteService(peer.name, { name: 'CTL' }), ['whereis', 'ECHO'], { timeout: 20_000 })
    t.is(echo.node, peer.name)
    await run(async (p) => {
      p.link(echo)
      p.monitor(echo)
      // link and monitor record the relation in the table as they send the request.
      const me = processInfo(p.self)
      t.deepEqual(me?.links.map(String), [String(echo)])
      t.deepEqual(me?.monitors.map(String), [String(echo)])
      p.unlink(echo)
      t.deepEqual(processInfo(p.self)?.links, [])
    })
  } finally {
    await peer.kill()
  }
})
