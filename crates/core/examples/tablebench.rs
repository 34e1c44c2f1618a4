//! Rough per-operation cost of the process table (`cargo run --release --example tablebench`).
use bfly_core::ProcessTable;
use std::time::Instant;

fn main() {
    let t = ProcessTable::new();
    for _ in 0..3 {
        let n = 200_000;
        let t0 = Instant::now();
        let ids: Vec<u64> = (0..n).map(|_| t.spawn(1)).collect();
        let t1 = Instant::now();
        for id in ids {
            t.exit(id);
        }
        let t2 = Instant::now();
        println!(
            "spawn {:.0} ns, exit {:.0} ns",
            (t1 - t0).as_nanos() as f64 / n as f64,
            (t2 - t1).as_nanos() as f64 / n as f64
        );
    }
}
