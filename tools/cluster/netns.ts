// A network of Linux network namespaces for a real cluster on one machine:
// a hub namespace holding a bridge, and one namespace per node joined to it
// by a veth pair (the node's end is its eth0). Nothing is attached to the
// machine's own namespace, so no packet of it can leave the machine.
// Faults are real: a node's link taken down at the bridge, packets between
// two groups dropped by nftables in each node's namespace, random loss by
// nftables, and (where the kernel has sch_netem) latency by tc.
// Needs root and Debian's iproute2 and nftables
// (scripts/ensure-cluster-tools.sh).
import { execFileSync } from 'node:child_process'

/** Debian's tools by path: under npm, node_modules/.bin comes first on PATH (and has an unrelated `nft`). */
const IP = '/usr/sbin/ip'
const NFT = '/usr/sbin/nft'
const TC = '/usr/sbin/tc'

/** The subnet the nodes live on, inside the namespaces only. */
const SUBNET = '10.77.0'

function run(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { input, stdio: ['pipe', 'pipe', 'pipe'] }).toString()
}

/** Runs and ignores failure (cleanup of what may already be gone). */
function tryRun(cmd: string, args: string[]): void {
  try {
    run(cmd, args)
  } catch {}
}

/** One node's place in the network. */
export interface Slot {
  /** Its namespace. */
  ns: string
  /** Its address on the bridge. */
  ip: string
  /** The bridge-side end of its veth pair (in the hub namespace). */
  port: string
}

/** Namespaces this module makes are named `bfc<pid>...`, so one left by a run that died can be told and removed. */
const PREFIX = 'bfc'

/** Removes namespaces left by runs whose process is gone. */
export function sweepStale(): void {
  const list = run(IP, ['netns', 'list'])
  for (const line of list.split('\n')) {
    const ns = line.split(' ')[0]
    const m = new RegExp(`^${PREFIX}(\\d+)`).exec(ns)
    if (m === null) continue
    let alive = true
    try {
      process.kill(Number(m[1]), 0)
    } catch {
      alive = false
    }
    if (!alive) tryRun(IP, ['netns', 'del', ns])
  }
}

/** Whether this kernel has tc's netem qdisc (latency and loss at the link); checked in a scratch namespace. */
export function hasNetem(): boolean {
  const ns = `${PREFIX}${process.pid}probe`
  try {
    run(IP, ['netns', 'add', ns])
    run(IP, ['-n', ns, 'link', 'set', 'lo', 'up'])
    run(IP, ['netns', 'exec', ns, TC, 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms'])
    return true
  } catch {
    return false
  } finally {
    tryRun(IP, ['netns', 'del', ns])
  }
}

/** The hub and `n` node namespaces. `destroy()` removes every one of them. */
export class Network {
  readonly hub = `${PREFIX}${process.pid}hub`
  readonly slots: Slot[]
  #made: string[] = []

  constructor(n: number) {
    if (n < 2 || n > 250) throw new RangeError('Network: 2 to 250 nodes')
    this.slots = Array.from({ length: n }, (_, i) => ({
      ns: `${PREFIX}${process.pid}n${i}`,
      ip: `${SUBNET}.${i + 2}`,
      port: `p${i}`,
    }))
  }

  /** Makes the namespaces, the bridge and the veth pairs, and brings them up. */
  create(): void {
    this.#add(this.hub)
    run(IP, ['-n', this.hub, 'link', 'add', 'br0', 'type', 'bridge'])
    run(IP, ['-n', this.hub, 'link', 'set', 'br0', 'up'])
    for (const s of this.slots) {
      this.#add(s.ns)
      run(IP, ['-n', s.ns, 'link', 'set', 'lo', 'up'])
      run(IP, ['-n', s.ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', s.port, 'netns', this.hub])
      run(IP, ['-n', s.ns, 'addr', 'add', `${s.ip}/24`, 'dev', 'eth0'])
      run(IP, ['-n', s.ns, 'link', 'set', 'eth0', 'up'])
      run(IP, ['-n', this.hub, 'link', 'set', s.port, 'master', 'br0'])
      run(IP, ['-n', this.hub, 'link', 'set', s.port, 'up'])
    }
  }

  #add(ns: string): void {
    run(IP, ['netns', 'add', ns])
    this.#made.push(ns)
  }

  /** Removes every namespace made (their veth pairs and the bridge go with them). */
  destroy(): void {
    for (const ns of this.#made.splice(0)) tryRun(IP, ['netns', 'del', ns])
  }

  /** The command line that runs `argv` inside node `i`'s namespace. */
  exec(i: number, argv: string[]): string[] {
    return [IP, 'netns', 'exec', this.slots[i].ns, ...argv]
  }

  /** Takes node `i`'s link down at the bridge (`up` false) or brings it back. */
  setLink(i: number, up: boolean): void {
    run(IP, ['-n', this.hub, 'link', 'set', this.slots[i].port, up ? 'up' : 'down'])
  }

  /** Drops every packet between the nodes of `a` and those of `b`, in both directions (nftables in each node's
   * namespace). */
  partition(a: readonly number[], b: readonly number[]): void {
    const block = (from: readonly number[], to: readonly number[]) => {
      const ips = to.map((i) => this.slots[i].ip).join(', ')
      for (const i of from)
        this.#nft(
          i,
          `table inet bflycut {
  chain in { type filter hook input priority 0; ip saddr { ${ips} } drop; }
  chain out { type filter hook output priority 0; ip daddr { ${ips} } drop; }
}`,
        )
    }
    block(a, b)
    block(b, a)
  }

  /** Drops `percent` % of the packets node `i` sends, at random (nftables). */
  lose(i: number, percent: number): void {
    this.#nft(
      i,
      `table inet bflyloss {
  chain out { type filter hook output priority 0; meta l4proto tcp numgen random mod 100 < ${percent} drop; }
}`,
    )
  }

  /** Removes every cut and loss rule. */
  heal(): void {
    for (let i = 0; i < this.slots.length; i++) {
      tryRun(IP, ['netns', 'exec', this.slots[i].ns, NFT, 'delete', 'table', 'inet', 'bflycut'])
      tryRun(IP, ['netns', 'exec', this.slots[i].ns, NFT, 'delete', 'table', 'inet', 'bflyloss'])
    }
  }

  #nft(i: number, script: string): void {
    run(IP, ['netns', 'exec', this.slots[i].ns, NFT, '-f', '-'], script)
  }

  /** Established TCP connections in node `i`'s namespace (IPv4 and IPv6, from /proc/net/tcp*). */
  established(i: number): number {
    let n = 0
    for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
      const text = run(IP, ['netns', 'exec', this.slots[i].ns, 'cat', f])
      for (const line of text.split('\n').slice(1)) if (line.trim().split(/\s+/)[3] === '01') n++
    }
    return n
  }

  /** Bytes node `i` has sent on its eth0 (every packet, headers included). */
  txBytes(i: number): number {
    const j = JSON.parse(run(IP, ['-n', this.slots[i].ns, '-s', '-j', 'link', 'show', 'eth0'])) as {
      stats64: { tx: { bytes: number } }
    }[]
    return j[0].stats64.tx.bytes
  }
}
