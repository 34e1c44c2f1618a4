//! A link read by two readers (bfly_net::reader): a host thread that pumps
//! it, and the runtime that reads when the host does not. Whoever reads,
//! every message arrives once and in order; a host that stalls has its
//! link taken over (messages keep flowing, the peer's loss is still seen).

use bfly_net::link::{Limits, Link};
use bfly_net::reader::{Pumped, Reader, PUMP_BUDGET};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;

thread_local! {
    static HOST: Cell<bool> = const { Cell::new(false) };
}

fn limits() -> Limits {
    Limits {
        heartbeat: Duration::from_millis(50),
        idle: Duration::from_millis(1500),
        ..Limits::default()
    }
}

async fn pair() -> (Link, Link) {
    common::pair(limits()).await
}

/// (sequence number, read by the host) of each message, in arrival order.
type Got = Arc<Mutex<Vec<(u32, bool)>>>;

fn serve(link: Link) -> (Got, Arc<Reader>, tokio::task::JoinHandle<String>) {
    let got: Got = Arc::default();
    let g = got.clone();
    let sink = Box::new(move |m: &[u8]| {
        let seq = u32::from_le_bytes(m[..4].try_into().map_err(|_| "short".to_string())?);
        g.lock().unwrap().push((seq, HOST.with(Cell::get)));
        Ok(())
    });
    let (reader, run) = link.serve(sink);
    (got, reader, tokio::spawn(run))
}

/// A host thread pumping `reader` until `stop`, except while `stalled`.
fn host(
    reader: Arc<Reader>,
    stalled: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        HOST.with(|h| h.set(true));
        while !stop.load(Ordering::Relaxed) {
            if !stalled.load(Ordering::Relaxed) && reader.host_pump(PUMP_BUDGET) == Pumped::Ended {
                return;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_host_is_taken_over_and_every_message_arrives_once_in_order() {
    let (a, b) = pair().await;
    let (got, reader, run) = serve(b);
    let (stalled, stop) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let h = host(reader.clone(), stalled.clone(), stop.clone());
    let tx = a.sender();
    const N: u32 = 6000;
    for i in 0..N {
        let mut m = i.to_le_bytes().to_vec();
        m.resize(100, 0xa5);
        tx.send_now(&m).unwrap();
        if i == N / 3 {
            // The host's loop blocks for far longer than the watch tick.
            tokio::time::sleep(Duration::from_millis(20)).await;
            stalled.store(true, Ordering::Relaxed);
        }
        if i == 2 * N / 3 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            stalled.store(false, Ordering::Relaxed);
        }
        if i % 500 == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let end = Instant::now() + Duration::from_secs(10);
    while got.lock().unwrap().len() < N as usize && Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::Relaxed);
    h.join().unwrap();
    let got = got.lock().unwrap().clone();
    let seqs: Vec<u32> = got.iter().map(|g| g.0).collect();
    assert_eq!(seqs, (0..N).collect::<Vec<_>>(), "once each, in order");
    let by_host = got.iter().filter(|g| g.1).count();
    assert!(by_host > 0, "the host read some");
    assert!(
        by_host < N as usize,
        "the runtime read while the host stalled"
    );
    assert!(!reader.ended(), "the link is still up");
    drop(a);
    let why = tokio::time::timeout(Duration::from_secs(5), run)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(why, "connection lost");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_lost_while_the_host_is_blocked_ends_the_link() {
    let (a, b) = pair().await;
    let (_got, reader, run) = serve(b);
    // The host pumps once (it owns the link), then blocks for good.
    assert_eq!(reader.host_pump(PUMP_BUDGET), Pumped::Idle);
    assert!(reader.host_reads());
    drop(a);
    let why = tokio::time::timeout(Duration::from_secs(5), run).await;
    assert_eq!(why.unwrap().unwrap(), "connection lost");
    assert!(reader.ended());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_reads_nothing_for_a_while_keeps_a_live_peer_past_the_idle_limit() {
    let (a, b) = pair().await;
    let (got, reader, run) = serve(b);
    let tx = a.sender();
    const N: u32 = 100;
    for i in 0..N {
        tx.send_now(&i.to_le_bytes()).unwrap();
    }
    // Pumps that may read nothing (the host is behind its drains) for twice
    // the idle limit, while the peer's messages and heartbeats wait unread.
    let r = reader.clone();
    let held = std::thread::spawn(move || {
        let until = Instant::now() + 2 * limits().idle;
        while Instant::now() < until {
            assert_ne!(r.host_pump(0), Pumped::Ended, "the link ended while held");
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    tokio::task::spawn_blocking(move || held.join().unwrap())
        .await
        .unwrap();
    assert!(!reader.ended(), "a peer whose bytes wait is not silent");
    let r = reader.clone();
    tokio::task::spawn_blocking(move || {
        let end = Instant::now() + Duration::from_secs(5);
        while r.host_pump(PUMP_BUDGET) != Pumped::Ended && Instant::now() < end {
            if got_all(&got, N) {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let seqs: Vec<u32> = got.lock().unwrap().iter().map(|g| g.0).collect();
        assert_eq!(
            seqs,
            (0..N).collect::<Vec<_>>(),
            "then all, once each, in order"
        );
    })
    .await
    .unwrap();
    drop(a);
    let why = tokio::time::timeout(Duration::from_secs(5), run).await;
    assert_eq!(why.unwrap().unwrap(), "connection lost");
}

fn got_all(got: &Got, n: u32) -> bool {
    got.lock().unwrap().len() >= n as usize
}

/// A pump hands over no more than its budget read, plus what it had read
/// before (at most one frame not yet whole): a host sizes where it routes
/// one pump's messages by it. A read of a whole buffer past the budget
/// handed over up to 64 KiB here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pump_reads_no_more_than_its_budget() {
    use bfly_net::frame::MAX_SEALED;
    use std::sync::atomic::AtomicUsize;
    let (a, b) = pair().await;
    let handed = Arc::new(AtomicUsize::new(0));
    let h = handed.clone();
    let sink = Box::new(move |m: &[u8]| {
        h.fetch_add(m.len(), Ordering::Relaxed);
        Ok(())
    });
    let (reader, run) = b.serve(sink);
    let run = tokio::spawn(run);
    // The host owns the link before anything is sent.
    assert_eq!(reader.host_pump(PUMP_BUDGET), Pumped::Idle);
    const BUDGET: usize = 8 << 10;
    const TOTAL: usize = 4_000_000;
    let r = reader.clone();
    let pumps = std::thread::spawn(move || {
        let (mut most, mut limited) = (0, 0);
        let end = Instant::now() + Duration::from_secs(20);
        while handed.load(Ordering::Relaxed) < TOTAL && Instant::now() < end {
            let before = handed.load(Ordering::Relaxed);
            let p = r.host_pump(BUDGET);
            assert_ne!(p, Pumped::Ended);
            limited += usize::from(p == Pumped::More);
            most = most.max(handed.load(Ordering::Relaxed) - before);
            std::thread::sleep(Duration::from_micros(200));
        }
        (most, limited, handed.load(Ordering::Relaxed))
    });
    let m = vec![7u8; 1000];
    for _ in 0..TOTAL / m.len() {
        a.send(&m).await.unwrap();
    }
    let (most, limited, total) = tokio::task::spawn_blocking(move || pumps.join().unwrap())
        .await
        .unwrap();
    assert!(total >= TOTAL, "only {total} bytes arrived");
    assert!(
        limited > 0,
        "no pump ran out of budget: the test proves nothing"
    );
    assert!(
        most <= BUDGET + MAX_SEALED,
        "a pump of budget {BUDGET} handed over {most} bytes"
    );
    drop(a);
    let _ = tokio::time::timeout(Duration::from_secs(5), run).await;
}
