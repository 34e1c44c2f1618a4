// The namespace cluster (tools/cluster/run.ts, `npm run cluster`), short:
// 6 nodes, each a separate OS process in its own network namespace on a
// bridge, under real faults (random packet loss, a node killed, a link
// taken down, a partition by nftables). Checks what must hold, never a
// time: the mesh forms, each fault is seen by every node and healed,
// process-group membership follows, and no message is lost on a link that
// stayed up. Needs root and Debian's iproute2 and nftables
// (scripts/ensure-cluster-tools.sh); every namespace it makes is removed.
import { execFile, execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import test from 'ava'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const RUN = fileURLToPath(new URL('../tools/cluster/run.ts', import.meta.url))

interface Summary {
  nodes: number
  connectionsPerNode: { median: number; min: number; max: number }
  throughput: { sent: number; lost: number }
  killed: { detectMs: { max: number } }
  linkDown: { detectMs: { max: number } }
  partition: { halves: [number, number]; detectMs: { max: number } }
  stream: { linksStayedUp: number; messages: number; lost: number }
}

test('6 nodes in network namespaces: mesh, faults seen and healed, nothing lost on links that stayed up', async (t) => {
  t.timeout(240_000)
  if (process.getuid?.() !== 0) t.fail('network namespaces need root')
  let pid = 0
  const out = await new Promise<string>((resolve, reject) => {
    pid = Number(
      execFile(
        process.execPath,
        ['--import=tsx', RUN, '--nodes', '6', '--idle-ms', '2000', '--flood-ms', '1000', '--json'],
        { cwd: ROOT, timeout: 220_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout)),
      ).pid,
    )
  })
  const lines = out.trim().split('\n')
  const s = JSON.parse(lines[0]) as Summary
  t.regex(lines[lines.length - 1], /^cluster: 6 nodes, 0 lost, detect \d+ ms, heal \d+ ms$/)
  t.is(s.connectionsPerNode.min, 5, 'a full mesh: one connection per other node')
  t.is(s.connectionsPerNode.max, 5)
  t.true(s.throughput.sent > 0)
  t.is(s.throughput.lost, 0)
  t.deepEqual(s.partition.halves, [2, 3])
  t.true(s.stream.linksStayedUp > 0 && s.stream.messages > 0)
  t.is(s.stream.lost, 0)
  const left = execFileSync('/usr/sbin/ip', ['netns', 'list']).toString()
  t.false(
    left.split('\n').some((l) => l.startsWith(`bfc${pid}`)),
    'every namespace the run made is gone',
  )
})
