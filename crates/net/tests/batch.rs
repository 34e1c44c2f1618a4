//! Batch frames (SL1 type 4, src/batch.rs) over real sockets: what a
//! sender that batches puts on the wire, the order of batched and
//! unbatched messages, and a receiver refusing batches it was not offered
//! or that break the layout (a trust boundary: the link closes and
//! nothing of the batch is delivered).

use bfly_net::batch::MAX_BATCH;
use bfly_net::frame::{sealed_len, Kind};
use bfly_net::handshake::Session;
use bfly_net::keys::Cookie;
use bfly_net::link::{connect, Limits, Link};
use bfly_net::listener::Listener;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

mod common;
use common::raw_client;

fn cookie() -> Cookie {
    Cookie::new(&[1; 32]).unwrap()
}

async fn pair(server: Limits) -> (Link, Link) {
    let mut l = Listener::bind("127.0.0.1:0", cookie(), [1; 16], server)
        .await
        .unwrap();
    let addr = l.local_addr();
    let client =
        tokio::spawn(async move { connect(addr, &cookie(), [2; 16], Limits::default()).await });
    let server = l.accept().await.unwrap();
    (server, client.await.unwrap().unwrap())
}

/// A link accepted from a hand-driven client (`common::raw_client`).
async fn raw_pair() -> (TcpStream, Session, Link) {
    let mut l = Listener::bind("127.0.0.1:0", cookie(), [1; 16], Limits::default())
        .await
        .unwrap();
    let (raw, session) = raw_client(l.local_addr(), &cookie()).await;
    (raw, session, l.accept().await.unwrap())
}

/// The next data frame the raw side reads (heartbeats skipped).
async fn raw_frame(s: &mut TcpStream, session: &mut Session) -> (Kind, Vec<u8>) {
    loop {
        let mut header = [0u8; 4];
        s.read_exact(&mut header).await.unwrap();
        let mut body = vec![0u8; sealed_len(header).unwrap()];
        s.read_exact(&mut body).await.unwrap();
        let (kind, len) = session.rx.open(header, &mut body, Instant::now()).unwrap();
        if kind != Kind::Heartbeat {
            return (kind, body[1..1 + len].to_vec());
        }
    }
}

fn msg(i: u32) -> Vec<u8> {
    // Sizes 1..=300, and every 97th over the batch item limit.
    let n = if i.is_multiple_of(97) {
        5000
    } else {
        1 + (i as usize * 7) % 300
    };
    let mut m = vec![(i % 251) as u8; n];
    m[0] = (i & 0xff) as u8;
    if n >= 4 {
        m[..4].copy_from_slice(&i.to_le_bytes());
    }
    m
}

#[tokio::test]
async fn batched_deferred_messages_and_immediate_ones_arrive_whole_and_in_link_order() {
    let (mut server, client) = pair(Limits::default()).await;
    let tx = client.sender();
    tx.batch(true);
    let n = 5000u32;
    for i in 0..n {
        // Every 500th goes at once (as a signal would), between batched ones.
        if i % 500 == 250 {
            tx.send_now(&msg(i)).unwrap();
        } else {
            tx.send_deferred(&msg(i)).unwrap();
        }
        if i % 1000 == 999 {
            tx.flush();
        }
    }
    tx.flush();
    for i in 0..n {
        let got = timeout(Duration::from_secs(5), server.recv())
            .await
            .expect("delivered in time")
            .unwrap();
        assert_eq!(got, msg(i), "message {i}");
    }
}

#[tokio::test]
async fn a_burst_leaves_in_one_batch_frame_and_a_lone_message_in_an_ordinary_one() {
    let (mut raw, mut session, server) = raw_pair().await;
    let tx = server.sender();
    tx.send_deferred(b"before batching").unwrap();
    tx.send_deferred(b"is on").unwrap();
    tx.flush();
    assert_eq!(
        raw_frame(&mut raw, &mut session).await,
        (Kind::Last, b"before batching".to_vec())
    );
    assert_eq!(
        raw_frame(&mut raw, &mut session).await,
        (Kind::Last, b"is on".to_vec())
    );
    tx.batch(true);
    for i in 0..10u8 {
        tx.send_deferred(&[i; 3]).unwrap();
    }
    tx.flush();
    let (kind, p) = raw_frame(&mut raw, &mut session).await;
    assert_eq!(kind, Kind::Batch);
    let mut want = vec![0, 10];
    for i in 0..10u8 {
        want.extend([0, 3, i, i, i]);
    }
    assert_eq!(p, want, "the layout of docs/PROTOCOL.md");
    tx.send_deferred(b"lone").unwrap();
    tx.flush();
    assert_eq!(
        raw_frame(&mut raw, &mut session).await,
        (Kind::Last, b"lone".to_vec())
    );
    // A message sent at once seals what waits in the batch first.
    tx.send_deferred(b"a").unwrap();
    tx.send_deferred(b"b").unwrap();
    tx.send_now(b"now").unwrap();
    let (kind, p) = raw_frame(&mut raw, &mut session).await;
    assert_eq!((kind, p), (Kind::Batch, vec![0, 2, 0, 1, b'a', 0, 1, b'b']));
    assert_eq!(
        raw_frame(&mut raw, &mut session).await,
        (Kind::Last, b"now".to_vec())
    );
}

#[tokio::test]
async fn a_receiver_not_offered_batches_refuses_them() {
    let (mut server, client) = pair(Limits {
        batches: false,
        ..Limits::default()
    })
    .await;
    let tx = client.sender();
    // This sender ignores what the peer offered.
    tx.batch(true);
    tx.send_deferred(b"one").unwrap();
    tx.send_deferred(b"two").unwrap();
    tx.flush();
    let r = timeout(Duration::from_secs(2), server.recv()).await;
    assert!(matches!(r, Ok(Err(_))), "delivered or hung: {r:?}");
}

#[tokio::test]
async fn malformed_batches_close_the_link_and_deliver_nothing_of_them() {
    let entries = |list: &[&[u8]]| {
        let mut v = (list.len() as u16).to_be_bytes().to_vec();
        for m in list {
            v.extend((m.len() as u16).to_be_bytes());
            v.extend_from_slice(m);
        }
        v
    };
    let good = entries(&[b"x", b"y"]);
    let with = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut v = good.clone();
        f(&mut v);
        v
    };
    // What is sealed, frame by frame, for each attack.
    type Frames = Vec<(Kind, Vec<u8>)>;
    let attacks: Vec<(&str, Frames)> = vec![
        ("count 0", vec![(Kind::Batch, vec![0, 0])]),
        (
            "count above the entries",
            vec![(Kind::Batch, with(&|v| v[1] = 3))],
        ),
        (
            "count below the entries",
            vec![(Kind::Batch, with(&|v| v[1] = 1))],
        ),
        ("a trailing byte", vec![(Kind::Batch, with(&|v| v.push(7)))]),
        (
            "a truncated entry",
            vec![(
                Kind::Batch,
                with(&|v| {
                    v.pop();
                }),
            )],
        ),
        ("an empty entry", vec![(Kind::Batch, entries(&[b"x", b""]))]),
        ("no count", vec![(Kind::Batch, vec![])]),
        (
            "an oversized count",
            vec![(Kind::Batch, {
                let mut v = ((MAX_BATCH + 1) as u16).to_be_bytes().to_vec();
                v.extend((0..=MAX_BATCH).flat_map(|_| [0, 1, 7]));
                v
            })],
        ),
        (
            "a batch inside a fragmented message",
            vec![(Kind::More, b"half".to_vec()), (Kind::Batch, good.clone())],
        ),
    ];
    for (what, frames) in attacks {
        let (mut raw, mut session, mut server) = raw_pair().await;
        let mut wire = vec![];
        for (k, p) in &frames {
            session.tx.seal(*k, p, &mut wire).unwrap();
        }
        raw.write_all(&wire).await.unwrap();
        let r = timeout(Duration::from_secs(2), server.recv()).await;
        assert!(matches!(r, Ok(Err(_))), "{what}: delivered or hung: {r:?}");
    }
    // The well-formed one is delivered whole, in order.
    let (mut raw, mut session, mut server) = raw_pair().await;
    let mut wire = vec![];
    session.tx.seal(Kind::Batch, &good, &mut wire).unwrap();
    raw.write_all(&wire).await.unwrap();
    assert_eq!(server.recv().await.unwrap(), b"x");
    assert_eq!(server.recv().await.unwrap(), b"y");
}
