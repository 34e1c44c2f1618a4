//! N real nodes in one OS process on loopback: the membership code itself
//! (seeds probed, the HelloAck naming the node, gossip, the mesh that
//! `connect_all` makes, heartbeats), without JS, to measure what a cluster
//! costs at sizes the namespace cluster (tools/cluster/run.ts) does not
//! run: links per node, how long a join storm takes to settle, bytes on the
//! wire and CPU per node while idle, memory per node. Run it in a network
//! namespace of its own, so that the loopback's byte counter is its alone
//! (tools/cluster/sim.ts does):
//!   meshsim N [--hubs K] [--idle-ms MS] [--heartbeat-ms MS]
//! Every node but the first is given the first's address as its only seed;
//! all join at once. With `--hubs K`, nodes 0..K-1 form a full mesh and the
//! others join it hidden-free but without `connect_all`, seeded with every
//! hub: a partial mesh of K links per node. Prints one JSON line.
use bfly_cluster::{Cluster, Config};
use bfly_core::{ProcessTable, Threads};
use bfly_net::keys::Cookie;
use std::time::{Duration, Instant};

fn arg(args: &[String], flag: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The loopback's transmitted bytes (this network namespace's).
fn lo_bytes() -> u64 {
    std::fs::read_to_string("/sys/class/net/lo/statistics/tx_bytes")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

/// This process's CPU time (user + system), in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th of them.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    (f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0)) as f64 / 100.0
}

/// A field of /proc/self/status (kB for memory), e.g. "VmRSS" or "Threads".
fn status(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(16);
    let hubs = arg(&args, "--hubs", 0) as usize;
    let idle_ms = arg(&args, "--idle-ms", 5000);
    let heartbeat_ms = arg(&args, "--heartbeat-ms", 1000);
    let cookie = Cookie::generate();
    let rss0 = status("VmRSS");
    let threads0 = status("Threads");
    let bytes0 = lo_bytes();
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let mut nodes: Vec<(&'static Cluster, String)> = Vec::with_capacity(n);
    for i in 0..n {
        let t: &'static ProcessTable = Box::leak(Box::new(ProcessTable::new()));
        let th: &'static Threads = Box::leak(Box::new(Threads::new()));
        let d: &'static Cluster = Box::leak(Box::new(Cluster::new(t, th).expect("runtime")));
        let thread = th.add(Box::new(|| {}));
        let agent = t.spawn(thread);
        let mut cfg = Config::new(
            &format!("n{i}@127.0.0.1"),
            "127.0.0.1:0",
            cookie.clone(),
            agent,
        );
        cfg.connect_all = hubs == 0 || i < hubs;
        cfg.limits.heartbeat = Duration::from_millis(heartbeat_ms);
        let addr = d.start(cfg).expect("start");
        nodes.push((d, addr));
    }
    // Everyone joins at once: through the first node, or through every hub.
    let seeds: Vec<String> = if hubs == 0 {
        vec![nodes[0].1.clone()]
    } else {
        nodes[..hubs].iter().map(|(_, a)| a.clone()).collect()
    };
    for (i, (d, _)) in nodes.iter().enumerate() {
        for (k, s) in seeds.iter().enumerate() {
            if hubs == 0 && i == 0 || hubs > 0 && k == i {
                continue;
            }
            d.probe(s);
        }
    }
    let want = |i: usize| if hubs == 0 || i < hubs { n - 1 } else { hubs };
    let up = |d: &Cluster| d.peers().iter().filter(|p| p.state == "up").count();
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut rounds = 0;
    while !nodes.iter().enumerate().all(|(i, (d, _))| up(d) >= want(i)) {
        assert!(
            Instant::now() < deadline,
            "the cluster did not settle in 300 s"
        );
        // Seeds are tried again, as discovery's rounds do.
        rounds += 1;
        if rounds % 20 == 0 {
            for (i, (d, _)) in nodes.iter().enumerate() {
                if up(d) < want(i) {
                    for s in &seeds {
                        d.probe(s);
                    }
                }
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let join_ms = t0.elapsed().as_millis();
    let join_bytes = lo_bytes() - bytes0;
    let join_cpu = cpu_seconds() - cpu0;
    // Let the handshakes that lost a race close, then measure idle.
    std::thread::sleep(Duration::from_millis(1500));
    let links: Vec<usize> = nodes.iter().map(|(d, _)| up(d)).collect();
    let (b1, c1) = (lo_bytes(), cpu_seconds());
    std::thread::sleep(Duration::from_millis(idle_ms));
    let idle_s = idle_ms as f64 / 1000.0;
    let bytes_per_node = (lo_bytes() - b1) as f64 / idle_s / n as f64;
    let cpu_per_node = (cpu_seconds() - c1) / idle_s / n as f64;
    let rss_per_node = (status("VmRSS").saturating_sub(rss0)) as f64 * 1024.0 / n as f64;
    let threads = status("Threads") - threads0;
    let total_links: usize = links.iter().sum();
    println!(
        "{{\"nodes\":{n},\"hubs\":{hubs},\"heartbeatMs\":{heartbeat_ms},\"joinMs\":{join_ms},\"joinBytesPerNode\":{},\"joinCpuMsPerLink\":{:.3},\"linksPerNode\":{{\"min\":{},\"max\":{},\"mean\":{:.1}}},\"idleBytesPerSecPerNode\":{bytes_per_node:.0},\"idleBytesPerSecPerLink\":{:.1},\"idleCpuPerNode\":{cpu_per_node:.5},\"rssBytesPerNode\":{rss_per_node:.0},\"threads\":{threads}}}",
        join_bytes / n as u64,
        join_cpu * 1000.0 / (total_links / 2).max(1) as f64,
        links.iter().min().unwrap_or(&0),
        links.iter().max().unwrap_or(&0),
        total_links as f64 / n as f64,
        bytes_per_node * n as f64 / total_links.max(1) as f64,
    );
    for (d, _) in &nodes {
        d.stop();
    }
}
