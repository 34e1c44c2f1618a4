//! SL1 links over real TCP sockets on 127.0.0.1: the handshake, data, and
//! the attack list of the link issue. Every attack must close the link and
//! deliver nothing to the application.

use bfly_net::frame::{KeyLimits, Kind, Sealer};
use bfly_net::handshake::{client_on_m1, Randomness, Session};
use bfly_net::keys::Cookie;
use bfly_net::link::{connect, Limits, Link};
use bfly_net::listener::Listener;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

mod common;
use common::{raw_client, read_hs, write_hs};

fn cookie(b: u8) -> Cookie {
    Cookie::new(&[b; 32]).unwrap()
}

fn fast() -> Limits {
    Limits {
        handshake: Duration::from_millis(500),
        heartbeat: Duration::from_millis(50),
        idle: Duration::from_millis(400),
        ..Limits::default()
    }
}

async fn listener(c: Cookie, limits: Limits) -> Listener {
    Listener::bind("127.0.0.1:0", c, [1; 16], limits)
        .await
        .unwrap()
}

/// Accepts one link, or None when nothing authenticated arrives in time.
async fn accept_within(l: &mut Listener, ms: u64) -> Option<Link> {
    timeout(Duration::from_millis(ms), l.accept())
        .await
        .ok()
        .and_then(Result::ok)
}

/// The server side fails (closes) within `ms` instead of delivering a message.
async fn server_closes(link: &mut Link, ms: u64) {
    let r = timeout(Duration::from_millis(ms), link.recv()).await;
    assert!(
        matches!(r, Ok(Err(_))),
        "the link delivered or hung: {:?}",
        r.map(|x| x.map(|m| m.len()))
    );
}

#[tokio::test]
async fn messages_both_ways_including_a_fragmented_megabyte() {
    let mut l = listener(cookie(1), Limits::default()).await;
    let addr = l.local_addr();
    let client = tokio::spawn(async move {
        connect(addr, &cookie(1), [2; 16], Limits::default())
            .await
            .unwrap()
    });
    let mut server = l.accept().await.unwrap();
    let mut client = client.await.unwrap();
    let big: Vec<u8> = (0..1_000_000u32).map(|i| i as u8).collect();
    client.send(b"hello").await.unwrap();
    client.send(&big).await.unwrap();
    client.send(b"").await.unwrap();
    assert_eq!(server.recv().await.unwrap(), b"hello");
    assert_eq!(server.recv().await.unwrap(), big);
    assert_eq!(server.recv().await.unwrap(), b"");
    server.send(b"back").await.unwrap();
    assert_eq!(client.recv().await.unwrap(), b"back");
    assert_eq!(server.peer, [2; 16]);
}

#[tokio::test]
async fn wrong_cookie_on_either_side_gets_nothing() {
    let mut l = listener(cookie(1), fast()).await;
    let addr = l.local_addr();
    let r = connect(addr, &cookie(2), [2; 16], fast()).await;
    assert!(r.is_err());
    assert!(accept_within(&mut l, 300).await.is_none());
}

#[tokio::test]
async fn short_cookies_are_refused() {
    assert!(Cookie::new(&[1; 16]).is_err());
}

#[tokio::test]
async fn bad_lengths_close_the_link_at_once() {
    for len in [0u32, 1, 16, 16 * 1024 + 18, u32::MAX] {
        let mut l = listener(cookie(1), Limits::default()).await;
        let addr = l.local_addr();
        let (mut raw, _) = raw_client(addr, &cookie(1)).await;
        let mut server = l.accept().await.unwrap();
        raw.write_all(&len.to_be_bytes()).await.unwrap();
        // Closed on the header alone: no body is awaited or allocated.
        server_closes(&mut server, 1000).await;
    }
}

#[tokio::test]
async fn flipped_truncated_reordered_duplicated_dropped_and_spliced_frames_close_the_link() {
    let sealed = |s: &mut Session, k: Kind, m: &[u8]| {
        let mut out = vec![];
        s.tx.seal(k, m, &mut out).unwrap();
        out
    };
    type Attack = fn(Vec<Vec<u8>>, Vec<u8>) -> Vec<u8>;
    let attacks: Vec<(&str, Attack)> = vec![
        ("flipped bit", |f, _| {
            let mut x = f[0].clone();
            x[10] ^= 0x80;
            x
        }),
        ("duplicated", |f, _| [f[0].clone(), f[0].clone()].concat()),
        ("reordered", |f, _| [f[1].clone(), f[0].clone()].concat()),
        ("dropped", |f, _| [f[0].clone(), f[2].clone()].concat()),
        ("spliced from another session", |_, other| other),
    ];
    for (name, attack) in attacks {
        let mut l = listener(cookie(1), Limits::default()).await;
        let addr = l.local_addr();
        let (mut raw, mut session) = raw_client(addr, &cookie(1)).await;
        let (_, mut other) = raw_client(addr, &cookie(1)).await;
        let mut server = l.accept().await.unwrap();
        let _second = l.accept().await.unwrap();
        let frames: Vec<Vec<u8>> = (0..3u8)
            .map(|i| sealed(&mut session, Kind::Last, &[i]))
            .collect();
        let spliced = sealed(&mut other, Kind::Last, b"x");
        let wire = attack(frames.clone(), spliced);
        // The first frame of the duplicated/dropped cases is genuine.
        raw.write_all(&wire).await.unwrap();
        let mut delivered = vec![];
        loop {
            match timeout(Duration::from_millis(1000), server.recv()).await {
                Ok(Ok(m)) => delivered.push(m),
                Ok(Err(_)) => break,
                Err(_) => panic!("{name}: link neither delivered nor closed"),
            }
        }
        assert!(delivered.len() <= 1, "{name}: delivered {delivered:?}");
        assert!(
            delivered.iter().all(|m| m == &[0u8]),
            "{name}: delivered a forged message"
        );
    }
}

#[tokio::test]
async fn a_truncated_frame_and_a_stall_inside_a_frame_close_the_link() {
    let mut l = listener(cookie(1), fast()).await;
    let addr = l.local_addr();
    let (mut raw, mut session) = raw_client(addr, &cookie(1)).await;
    let mut server = l.accept().await.unwrap();
    let mut f = vec![];
    session.tx.seal(Kind::Last, b"partial", &mut f).unwrap();
    raw.write_all(&f[..f.len() - 3]).await.unwrap();
    server_closes(&mut server, 2000).await;
}

#[tokio::test]
async fn keys_rotate_on_time_even_when_idle() {
    let limits = Limits {
        keys: KeyLimits {
            frames: 1 << 20,
            age: Duration::from_millis(100),
            grace: Duration::from_millis(400),
        },
        ..fast()
    };
    let mut l = listener(cookie(1), limits).await;
    let addr = l.local_addr();
    let c = tokio::spawn(async move { connect(addr, &cookie(1), [2; 16], limits).await.unwrap() });
    let mut server = l.accept().await.unwrap();
    let mut client = c.await.unwrap();
    // Nothing is sent by the application for a while; both sides keep reading.
    let s = tokio::spawn(async move {
        let r = timeout(Duration::from_millis(700), server.recv()).await;
        (r.is_err(), server)
    });
    let _ = timeout(Duration::from_millis(700), client.recv()).await;
    let (quiet, server) = s.await.unwrap();
    assert!(quiet, "no message should have been delivered");
    let (ctx, crx) = client.epochs().await;
    let (stx, srx) = server.epochs().await;
    assert!(
        ctx >= 3 && stx >= 3,
        "epochs advanced: client {ctx}, server {stx}"
    );
    // Each receiver followed its sender (a key update may still be in flight).
    assert!(
        crx <= stx && crx + 1 >= stx,
        "client receives epoch {crx}, server sends {stx}"
    );
    assert!(
        srx <= ctx && srx + 1 >= ctx,
        "server receives epoch {srx}, client sends {ctx}"
    );
}

#[tokio::test]
async fn a_peer_that_never_rotates_is_cut_off() {
    let limits = Limits {
        keys: KeyLimits {
            frames: 1 << 20,
            age: Duration::from_millis(100),
            grace: Duration::from_millis(100),
        },
        ..fast()
    };
    let mut l = listener(cookie(1), limits).await;
    let addr = l.local_addr();
    let (mut raw, session) = raw_client(addr, &cookie(1)).await;
    let mut server = l.accept().await.unwrap();
    // A sealer with lax limits: it keeps heartbeating under its first key.
    let mut lax: Sealer = session.tx;
    let hb = tokio::spawn(async move {
        for _ in 0..20 {
            let mut f = vec![];
            if lax.seal(Kind::Heartbeat, &[], &mut f).is_err() || raw.write_all(&f).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    });
    server_closes(&mut server, 2000).await;
    hb.abort();
}

#[tokio::test]
async fn slowloris_clients_do_not_keep_others_out() {
    let mut l = listener(cookie(1), fast()).await;
    let addr = l.local_addr();
    // 50 connections that never answer the server's challenge.
    let mut idle = vec![];
    for _ in 0..50 {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    let good = tokio::spawn(async move { connect(addr, &cookie(1), [2; 16], fast()).await });
    assert!(accept_within(&mut l, 2000).await.is_some());
    assert!(good.await.unwrap().is_ok());
    // The slow ones are closed at the handshake deadline.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut buf = [0u8; 256];
    let mut s = idle.pop().unwrap();
    let mut closed = false;
    for _ in 0..4 {
        match timeout(Duration::from_millis(300), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed = true;
                break;
            }
            _ => {}
        }
    }
    assert!(closed, "a silent client outlived the handshake deadline");
}

#[tokio::test]
async fn a_connection_flood_evicts_the_oldest_handshakes_and_existing_links_keep_working() {
    let limits = Limits {
        max_pending: 8,
        handshake: Duration::from_secs(2),
        ..Limits::default()
    };
    let mut l = listener(cookie(1), limits).await;
    let addr = l.local_addr();
    let c = tokio::spawn(async move { connect(addr, &cookie(1), [2; 16], limits).await.unwrap() });
    let mut server = l.accept().await.unwrap();
    let client = c.await.unwrap();
    let flood: Vec<TcpStream> = futures_connect(addr, 200).await;
    // Serve the accept loop so it sees the flood.
    let _ = accept_within(&mut l, 300).await;
    // Each got the server's first message; all but the newest 8 were then
    // closed (evicted), long before the 2 s deadline.
    let mut closed = 0;
    for mut s in flood {
        if closed_within(&mut s, 20).await {
            closed += 1;
        }
    }
    assert!(
        closed >= 150,
        "only {closed} of 200 flood connections were evicted"
    );
    client.send(b"still here").await.unwrap();
    assert_eq!(server.recv().await.unwrap(), b"still here");
}

/// Whether the server closes `s` within `ms` (reading what it sent first).
async fn closed_within(s: &mut TcpStream, ms: u64) -> bool {
    let mut buf = [0u8; 256];
    let end = tokio::time::Instant::now() + Duration::from_millis(ms);
    loop {
        match tokio::time::timeout_at(end, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
            Err(_) => return false,
        }
    }
}

async fn futures_connect(addr: std::net::SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut v = vec![];
    for _ in 0..n {
        if let Ok(s) = TcpStream::connect(addr).await {
            v.push(s);
        }
    }
    v
}

#[tokio::test]
async fn a_replayed_handshake_gets_nothing() {
    // Record a client's messages against one server, replay them to another.
    let l = listener(cookie(1), fast()).await;
    let addr = l.local_addr();
    let mut s = TcpStream::connect(addr).await.unwrap();
    let m1 = read_hs(&mut s).await;
    let (_, m2) = client_on_m1(&cookie(1), Randomness::fresh([9; 16]), &m1).unwrap();
    write_hs(&mut s, &m2).await;
    let _ = read_hs(&mut s).await;
    let mut replay = TcpStream::connect(addr).await.unwrap();
    let _ = read_hs(&mut replay).await;
    write_hs(&mut replay, &m2).await;
    let mut buf = [0u8; 64];
    let r = timeout(Duration::from_millis(1000), replay.read(&mut buf)).await;
    assert!(
        matches!(r, Ok(Ok(0)) | Ok(Err(_))),
        "the replayed handshake got an answer"
    );
    let _ = l.local_addr();
}

#[tokio::test]
async fn what_was_sent_before_drop_is_delivered_then_the_link_closes() {
    let mut l = listener(cookie(1), Limits::default()).await;
    let addr = l.local_addr();
    let c = tokio::spawn(async move {
        let link = connect(addr, &cookie(1), [2; 16], Limits::default())
            .await
            .unwrap();
        for i in 0..1000u32 {
            link.send(&i.to_be_bytes()).await.unwrap();
        }
        drop(link);
    });
    let mut server = l.accept().await.unwrap();
    c.await.unwrap();
    for i in 0..1000u32 {
        assert_eq!(server.recv().await.unwrap(), i.to_be_bytes());
    }
    assert!(
        server.recv().await.is_err(),
        "the link closed after the last message"
    );
}
