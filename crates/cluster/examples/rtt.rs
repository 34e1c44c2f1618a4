//! Round trips between two nodes in one OS process, with Rust threads in
//! place of the JS threads (woken by the inbox waker, draining, answering):
//! the latency of the distribution layer alone, without N-API and JS.
//! Sends are deferred and flushed from the sending thread, as JS does.
//!   cargo run --release -p bfly-cluster --example rtt [-- ROUNDS]
use bfly_cluster::envelope::Frame;
use bfly_cluster::{Cluster, Config};
use bfly_core::{ProcessTable, Threads};
use bfly_net::keys::Cookie;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

struct Side {
    d: &'static Cluster,
    th: &'static Threads,
    thread: u32,
    pid: u64,
    bell: Arc<(Mutex<bool>, Condvar)>,
}

fn side(name: &str, cookie: &Cookie) -> (Side, String) {
    let t: &'static ProcessTable = Box::leak(Box::new(ProcessTable::new()));
    let th: &'static Threads = Box::leak(Box::new(Threads::new()));
    let d: &'static Cluster = Box::leak(Box::new(Cluster::new(t, th).expect("runtime")));
    let bell = Arc::new((Mutex::new(false), Condvar::new()));
    let b = bell.clone();
    let thread = th.add(Box::new(move || {
        *b.0.lock().unwrap() = true;
        b.1.notify_one();
    }));
    let agent = t.spawn(thread);
    let pid = t.spawn(thread);
    let cfg = Config::new(name, "127.0.0.1:0", cookie.clone(), agent);
    let addr = d.start(cfg).expect("start");
    (
        Side {
            d,
            th,
            thread,
            pid,
            bell,
        },
        addr,
    )
}

impl Side {
    fn wait(&self, to: u64) {
        loop {
            {
                let mut rung = self.bell.0.lock().unwrap();
                while !*rung {
                    rung = self.bell.1.wait(rung).unwrap();
                }
                *rung = false;
            }
            if self
                .th
                .inbox(self.thread)
                .unwrap()
                .drain()
                .iter()
                .any(|d| d.to == to)
            {
                return;
            }
        }
    }
}

fn main() {
    let rounds: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let cookie = Cookie::generate();
    let (a, _) = side("a@rtt", &cookie);
    let (b, baddr) = side("b@rtt", &cookie);
    a.d.set_address("b@rtt", &baddr);
    let pb = a.d.intern("b@rtt");
    let msg = vec![0xc4u8, 100]
        .into_iter()
        .chain(std::iter::repeat_n(0xa5, 100))
        .collect::<Vec<_>>();
    let (bpid, apid) = (b.pid, a.pid);
    let pa_from_b = b.d.intern("a@rtt");
    let m2 = msg.clone();
    let echo = std::thread::spawn(move || {
        for _ in 0..rounds + 100 {
            b.wait(bpid);
            b.d.send_deferred(pa_from_b, &Frame::Send { to: apid, msg: &m2 }.encode());
            b.d.flush_thread();
        }
    });
    let round_trip = || {
        a.d.send_deferred(
            pb,
            &Frame::Send {
                to: bpid,
                msg: &msg,
            }
            .encode(),
        );
        a.d.flush_thread();
        a.wait(apid);
    };
    // Warm-up (the echo thread answers `rounds + 100`), then the timed rounds.
    (0..100).for_each(|_| round_trip());
    let t0 = Instant::now();
    (0..rounds).for_each(|_| round_trip());
    let s = t0.elapsed().as_secs_f64();
    println!(
        "{{\"roundtrips_per_s\": {:.0}, \"us_per_roundtrip\": {:.1}}}",
        rounds as f64 / s,
        s * 1e6 / rounds as f64
    );
    echo.join().unwrap();
}
