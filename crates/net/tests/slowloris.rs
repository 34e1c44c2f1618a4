//! Handshake slots under a slowloris, with real sockets (issue 14, finding
//! 5): 2,000 connections that never answer the server's challenge, each
//! reopened as soon as the server closes it, from one source address
//! (127.0.0.2) and then from forty. Meanwhile a correct peer (from
//! 127.0.0.1) must complete its handshake within 1 s (its own deadline),
//! every time it tries. Server, attacker and peer each run on their own
//! tokio runtime, as they would on their own machines (they share this
//! one's cores).

use bfly_net::keys::Cookie;
use bfly_net::link::{connect, Limits};
use bfly_net::listener::Listener;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::net::TcpSocket;

/// Descriptors this process may open, from /proc (soft limit).
fn fd_limit() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3)?.parse().ok())
        })
        .unwrap_or(1024)
}

/// One slowloris connection, reopened whenever the server closes it, until `stop`.
async fn loris(
    target: SocketAddr,
    from: Ipv4Addr,
    stop: Arc<AtomicBool>,
    opened: Arc<AtomicUsize>,
) {
    let mut buf = [0u8; 512];
    while !stop.load(Ordering::Relaxed) {
        let Ok(sock) = TcpSocket::new_v4() else {
            return;
        };
        if sock.bind(SocketAddr::new(IpAddr::V4(from), 0)).is_err() {
            return;
        }
        let Ok(mut s) = sock.connect(target).await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        opened.fetch_add(1, Ordering::Relaxed);
        // Read the server's challenge and never answer it.
        loop {
            tokio::select! {
                r = s.read(&mut buf) => if !matches!(r, Ok(n) if n > 0) { break },
                _ = tokio::time::sleep(Duration::from_millis(100)) => {
                    if stop.load(Ordering::Relaxed) { return }
                }
            }
        }
    }
}

/// Runs `n` lorises spread over `sources` against a listener, then has a
/// correct peer connect five times with a 1 s handshake deadline; returns
/// each attempt's time.
fn under_slowloris(n: usize, sources: &[Ipv4Addr]) -> Vec<Result<Duration, String>> {
    let runtime = |name: &str| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(name)
            .enable_all()
            .build()
            .unwrap()
    };
    let (server, attacker, peer) = (runtime("server"), runtime("attacker"), runtime("peer"));
    let cookie = Cookie::new(&[7; 32]).unwrap();
    let mut l = server
        .block_on(Listener::bind(
            "127.0.0.1:0",
            cookie.clone(),
            [1; 16],
            Limits::default(),
        ))
        .unwrap();
    let target = l.local_addr();
    server.spawn(async move { while l.accept().await.is_ok() {} });
    let stop = Arc::new(AtomicBool::new(false));
    let opened = Arc::new(AtomicUsize::new(0));
    let lorises: Vec<_> = (0..n)
        .map(|i| {
            let from = sources[i % sources.len()];
            attacker.spawn(loris(target, from, stop.clone(), opened.clone()))
        })
        .collect();
    let out = peer.block_on(async {
        // Let the flood build up before the correct peer tries.
        while opened.load(Ordering::Relaxed) < n {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let client = Limits {
            handshake: Duration::from_secs(1),
            ..Limits::default()
        };
        let mut out = vec![];
        for _ in 0..5 {
            let t0 = Instant::now();
            let r = connect(target, &cookie, [2; 16], client).await;
            out.push(r.map(|_| t0.elapsed()).map_err(|f| f.to_string()));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        out
    });
    eprintln!(
        "{n} lorises from {} address(es), {} connections opened in all: {out:?}",
        sources.len(),
        opened.load(Ordering::Relaxed)
    );
    stop.store(true, Ordering::Relaxed);
    attacker.block_on(async {
        for t in lorises {
            let _ = t.await;
        }
    });
    out
}

fn lorises() -> usize {
    2000.min(fd_limit().saturating_sub(300) / 2)
}

/// One test, so the two floods never overlap.
#[test]
fn a_correct_peer_connects_during_a_slowloris_from_one_address_or_forty() {
    let out = under_slowloris(lorises(), &[Ipv4Addr::new(127, 0, 0, 2)]);
    assert!(out.iter().all(Result::is_ok), "one address: {out:?}");
    let forty: Vec<_> = (2..42).map(|i| Ipv4Addr::new(127, 0, 0, i)).collect();
    let out = under_slowloris(lorises(), &forty);
    assert!(out.iter().all(Result::is_ok), "forty addresses: {out:?}");
}
