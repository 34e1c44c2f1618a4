// Finding the other nodes of a cluster: a static list of seed addresses,
// and DNS (SRV records, or a name's A/AAAA records with a default port,
// which is what a Kubernetes headless service gives), looked up again
// every round so nodes that come and go are found. Each address found is
// probed (native `clusterProbe`): linked with unless a link to it is up or
// being made; its node's name comes from its answer to the Hello.
import { Resolver } from 'node:dns/promises'
import { isIP } from 'node:net'
import { native } from '../native/index.js'

/** How a node finds the others (`startNode({ seeds, discover })`). */
export interface DiscoverOptions {
  /** A DNS name: its SRV records (each a target and port) when it has
   * any, else its A and AAAA records, each at `port`. Looked up every
   * `everyMs`. */
  dns: string
  /** The port for addresses from A/AAAA records (default: the port this node listens on). */
  port?: number
  /** DNS servers to ask, as 'ip' or 'ip:port' (default: the system's). */
  servers?: readonly string[]
  /** How often the name is looked up again, and seeds and addresses found
   * that have no link are tried again (default 5000 ms). */
  everyMs?: number
}

/** What discovery found in its last round. */
export interface DiscoveryStatus {
  /** The addresses ('host:port') the last round found (seeds included). */
  found: string[]
  /** Why the last DNS lookup failed, or null. */
  error: string | null
  /** Rounds run so far. */
  rounds: number
}

/** 'host:port', with an IPv6 address in brackets. */
function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`
}

/** Checks `d` (throws a TypeError naming what is wrong). */
export function checkDiscover(d: unknown): asserts d is DiscoverOptions {
  const o = d as DiscoverOptions
  if (o === null || typeof o !== 'object' || typeof o.dns !== 'string' || o.dns.length === 0)
    throw new TypeError("startNode: discover must be { dns: 'name', port?, servers?, everyMs? }")
  if (o.port !== undefined && (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535))
    throw new TypeError(`startNode: discover.port must be a port number, got ${String(o.port)}`)
  if (o.everyMs !== undefined && (!Number.isInteger(o.everyMs) || o.everyMs < 50))
    throw new TypeError(`startNode: discover.everyMs must be an integer of at least 50, got ${String(o.everyMs)}`)
  if (o.servers !== undefined && (!Array.isArray(o.servers) || !o.servers.every((s) => typeof s === 'string')))
    throw new TypeError('startNode: discover.servers must be a list of strings')
}

/** Checks `seeds` (throws a TypeError naming what is wrong). */
export function checkSeeds(seeds: unknown): asserts seeds is readonly string[] {
  if (!Array.isArray(seeds) || !seeds.every((s) => typeof s === 'string' && /^.+:\d{1,5}$/.test(s)))
    throw new TypeError(`startNode: seeds must be a list of 'host:port' addresses, got ${JSON.stringify(seeds)}`)
}

/** Discovery of one node: runs a round at once, then every `everyMs`, until stopped. */
export class Discovery {
  /** What the last round found, and why its DNS lookup failed, if it did. */
  readonly status: DiscoveryStatus = { found: [], error: null, rounds: 0 }
  #timer: NodeJS.Timeout | null = null
  #resolver: Resolver | null = null
  #running = false

  /** @internal startNode makes it, from its `seeds` and `discover`. */
  constructor(
    private readonly seeds: readonly string[],
    private readonly dns: DiscoverOptions | undefined,
    /** The port this node listens on: the default for A/AAAA records. */
    private readonly ownPort: number,
  ) {
    if (dns !== undefined) {
      this.#resolver = new Resolver({ timeout: 2000, tries: 2 })
      if (dns.servers !== undefined) this.#resolver.setServers([...dns.servers])
    }
    const every = dns?.everyMs ?? 5000
    this.#timer = setInterval(() => void this.round(), every).unref()
    void this.round()
  }

  /** Stops looking. */
  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    this.#resolver?.cancel()
  }

  /** Runs one round now: resolve, then link with every address found that has no link. Rounds never overlap (a
   * round asked for while one runs does nothing). */
  async round(): Promise<void> {
    if (this.#running || this.#timer === null) return
    this.#running = true
    try {
      const found = [...this.seeds]
      if (this.dns !== undefined && this.#resolver !== null) {
        try {
          found.push(...(await this.resolve(this.#resolver, this.dns)))
          this.status.error = null
        } catch (e) {
          this.status.error = `${this.dns.dns}: ${(e as Error).message}`
        }
      }
      this.status.found = found
      this.status.rounds++
      if (this.#timer !== null) for (const addr of found) native.clusterProbe(addr)
    } finally {
      this.#running = false
    }
  }

  /** The addresses `d.dns` stands for now. */
  private async resolve(r: Resolver, d: DiscoverOptions): Promise<string[]> {
    // No SRV records (whatever the server says of the SRV question): the
    // name's own addresses, at the default port.
    const srv = await r.resolveSrv(d.dns).catch(() => [])
    if (srv.length > 0) {
      const each = await Promise.all(
        srv.map(async (s) => (await this.addresses(r, s.name)).map((h) => hostPort(h, s.port))),
      )
      return each.flat()
    }
    return (await this.addresses(r, d.dns)).map((h) => hostPort(h, d.port ?? this.ownPort))
  }

  /** A host's IPv4 and IPv6 addresses (a literal address is itself). */
  private async addresses(r: Resolver, host: string): Promise<string[]> {
    if (isIP(host) !== 0) return [host]
    const [v4, v6] = await Promise.allSettled([r.resolve4(host), r.resolve6(host)])
    const out = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])]
    if (out.length === 0 && v4.status === 'rejected') throw v4.reason
    return out
  }
}
