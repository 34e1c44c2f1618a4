// `npm run cluster:sim [-- --sizes 16,32,64,100] [--hubs 4]`: what a
// cluster costs past the 16 nodes of `npm run cluster`. Runs
// crates/cluster/examples/meshsim.rs (N real nodes in one OS process: the
// membership code itself, on loopback) in a network namespace of its own
// for each size, as a full mesh and as a partial mesh of K hubs; then
// projects to 1,000 nodes from the per-link costs it measured (the model:
// a full mesh has N-1 links per node, and idle bytes, idle CPU and memory
// grow with the links). Prints a table and the projection; with --json,
// one JSON object. Needs root (the namespace); removes it at the end.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { sweepStale } from './netns.ts'

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '16,32,64,100' },
    hubs: { type: 'string', default: '4' },
    'idle-ms': { type: 'string', default: '4000' },
    json: { type: 'boolean', default: false },
  },
})
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const IP = '/usr/sbin/ip'
const sizes = values.sizes.split(',').map(Number)
const hubs = Number(values.hubs)

interface Run {
  nodes: number
  hubs: number
  heartbeatMs: number
  joinMs: number
  joinBytesPerNode: number
  joinCpuMsPerLink: number
  linksPerNode: { min: number; max: number; mean: number }
  idleBytesPerSecPerNode: number
  idleBytesPerSecPerLink: number
  idleCpuPerNode: number
  rssBytesPerNode: number
  threads: number
}

if (process.getuid?.() !== 0) {
  console.error('npm run cluster:sim: the network namespace needs root')
  process.exit(2)
}
execFileSync('cargo', ['build', '-q', '--release', '-p', 'bfly-cluster', '--example', 'meshsim'], {
  cwd: ROOT,
  stdio: 'inherit',
})
const BIN = `${ROOT}target/release/examples/meshsim`
sweepStale()
const ns = `bfc${process.pid}sim`
execFileSync(IP, ['netns', 'add', ns])
const runs: Run[] = []
try {
  execFileSync(IP, ['-n', ns, 'link', 'set', 'lo', 'up'])
  const sim = (n: number, k: number): Run =>
    JSON.parse(
      execFileSync(IP, ['netns', 'exec', ns, BIN, String(n), '--hubs', String(k), '--idle-ms', values['idle-ms']], {
        maxBuffer: 1 << 20,
      }).toString(),
    ) as Run
  for (const n of sizes) runs.push(sim(n, 0))
  if (hubs > 0) runs.push(sim(sizes[sizes.length - 1], hubs))
} finally {
  execFileSync(IP, ['netns', 'del', ns])
}

const mesh = runs.filter((r) => r.hubs === 0)
const big = mesh[mesh.length - 1]
/** Per-link constants from the largest full mesh measured. */
const perLink = {
  bytesPerSec: big.idleBytesPerSecPerLink,
  cpu: big.idleCpuPerNode / big.linksPerNode.mean,
  rss: big.rssBytesPerNode / big.linksPerNode.mean,
  joinCpuMs: big.joinCpuMsPerLink,
}
/** A full mesh (`hubs` 0), or `hubs` meshed hubs that every other node links with. */
const project = (n: number, links: number, k = 0) => ({
  nodes: n,
  linksPerNode: links,
  tcpConnections: k === 0 ? (n * links) / 2 : (n - k) * k + (k * (k - 1)) / 2,
  idleBytesPerSecPerNode: Math.round(links * perLink.bytesPerSec),
  idleCpuPerNode: links * perLink.cpu,
  linkMemoryPerNode: Math.round(links * perLink.rss),
  /** CPU of the handshakes a cold start of the whole cluster makes, summed over nodes, in seconds. */
  coldStartCpuSeconds: (k === 0 ? (n * links) / 2 : (n - k) * k + (k * (k - 1)) / 2) * (perLink.joinCpuMs / 1000),
})
const projection = [project(100, 99), project(1000, 999), ...(hubs > 0 ? [project(1000, hubs, hubs)] : [])]

if (values.json) console.log(JSON.stringify({ runs, perLink, projection }))
const pad = (s: string | number, w: number) => String(s).padStart(w)
console.log('measured (real nodes in one process, loopback, heartbeat after 1 s idle)')
console.log('  nodes  hubs  links/node  join ms  idle B/s/node  idle CPU/node  RSS/node')
for (const r of runs)
  console.log(
    `  ${pad(r.nodes, 5)}  ${pad(r.hubs || '-', 4)}  ${pad(r.linksPerNode.mean.toFixed(1), 10)}  ${pad(r.joinMs, 7)}  ${pad(
      r.idleBytesPerSecPerNode,
      13,
    )}  ${pad(`${(r.idleCpuPerNode * 100).toFixed(3)} %`, 13)}  ${pad(`${(r.rssBytesPerNode / 1024).toFixed(0)} KiB`, 8)}`,
  )
console.log(
  `per link: ${perLink.bytesPerSec.toFixed(1)} B/s idle, ${(perLink.cpu * 100).toFixed(4)} % of a core idle, ${(perLink.rss / 1024).toFixed(1)} KiB, ${perLink.joinCpuMs.toFixed(2)} ms CPU to set up`,
)
console.log('projected from the per-link costs')
for (const p of projection)
  console.log(
    `  ${pad(p.nodes, 5)} nodes, ${pad(p.linksPerNode, 3)} links/node: ${p.tcpConnections} connections, ${(p.idleBytesPerSecPerNode / 1024).toFixed(1)} KiB/s and ${(p.idleCpuPerNode * 100).toFixed(2)} % of a core idle per node, ${(p.linkMemoryPerNode / 1048576).toFixed(1)} MiB of links per node, ${p.coldStartCpuSeconds.toFixed(1)} CPU-s of handshakes for a cold start`,
  )
