//! The busy state of a link (outbox.rs, Erlang's `busy_dist_port`): past
//! `Limits::busy` queued bytes a deferred send says the link is busy, it
//! stays busy until what is queued drains under half of that, and then
//! every waiter of `calm` is woken by the same drain. A lost link wakes
//! them too. Real links over loopback; the "slow" peer is one that does not
//! call `recv` until told to.

use bfly_net::link::{Limits, Link, LinkSender};
use std::time::Duration;
use tokio::time::timeout;

const MAX_QUEUED: usize = 4 << 20;
const CHUNK: usize = 64 << 10;

fn limits() -> Limits {
    Limits {
        max_queued: MAX_QUEUED,
        heartbeat: Duration::from_millis(50),
        ..Limits::default()
    }
}

mod common;

/// A sending link and its peer, which reads nothing until the test says.
async fn pair() -> (Link, Link) {
    common::pair(limits()).await
}

/// Sends deferred chunks until one says the link is busy: the bytes sent.
async fn fill_until_busy(tx: &LinkSender) -> usize {
    let chunk = vec![3u8; CHUNK];
    let mut sent = 0;
    loop {
        let busy = tx
            .send_deferred(&chunk)
            .expect("the link is not lost while filling");
        sent += CHUNK;
        tx.flush();
        if busy {
            return sent;
        }
        assert!(sent < 256 << 20, "256 MiB queued and never busy");
        // The writer fills the socket buffers meanwhile.
        if sent.is_multiple_of(1 << 20) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

#[tokio::test]
async fn a_link_whose_peer_does_not_read_turns_busy_then_calm_once_read() {
    assert_eq!(limits().busy(), MAX_QUEUED / 8);
    let (client, mut server) = pair().await;
    let tx = client.sender();
    assert!(!tx.busy(), "a fresh link is not busy");
    // Not busy: calm resolves at once.
    timeout(Duration::from_secs(1), tx.calm()).await.unwrap();

    let sent = fill_until_busy(&tx).await;
    assert!(tx.busy());
    // Busy is sticky: the link stays busy (the peer reads nothing), sends
    // keep saying so, and waiters wait.
    assert!(tx.send_deferred(b"more").unwrap());
    let waiters: Vec<_> = (0..8)
        .map(|_| {
            let tx = tx.clone();
            tokio::spawn(async move { tx.calm().await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(tx.busy(), "still busy while nothing is read");
    assert!(
        waiters.iter().all(|w| !w.is_finished()),
        "nobody woken while busy"
    );

    // The peer reads: the queue drains, and one drain wakes every waiter.
    let reader = tokio::spawn(async move {
        let mut got = 0usize;
        while got < sent {
            got += server.recv().await.unwrap().len();
        }
        server
    });
    for w in waiters {
        timeout(Duration::from_secs(10), w)
            .await
            .expect("a waiter woken once the link drained")
            .unwrap();
    }
    assert!(!tx.busy(), "calm again");
    let _server = timeout(Duration::from_secs(10), reader)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_sender_that_waits_while_busy_never_reaches_the_bound() {
    let (client, mut server) = pair().await;
    let tx = client.sender();
    // 16 times the bound, through a peer that reads slowly.
    let total = 16 * MAX_QUEUED / CHUNK;
    let reader = tokio::spawn(async move {
        for i in 0..total {
            let m = server.recv().await.expect("the link is never lost");
            assert_eq!(m[..4], (i as u32).to_le_bytes(), "in order");
            if i % 16 == 0 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    });
    let mut chunk = vec![5u8; CHUNK];
    let mut waited = 0;
    for i in 0..total {
        chunk[..4].copy_from_slice(&(i as u32).to_le_bytes());
        if tx.send_deferred(&chunk).expect("never over the bound") {
            tx.flush();
            waited += 1;
            tx.calm().await;
        }
    }
    tx.flush();
    timeout(Duration::from_secs(30), reader)
        .await
        .unwrap()
        .unwrap();
    assert!(waited > 0, "the sender outran the reader and waited");
}

#[tokio::test]
async fn a_lost_link_wakes_whoever_waits_for_it_to_calm() {
    let (client, server) = pair().await;
    let tx = client.sender();
    fill_until_busy(&tx).await;
    let waiter = tokio::spawn({
        let tx = tx.clone();
        async move { tx.calm().await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiter.is_finished());
    // The peer goes away: the write fails, the link is lost.
    drop(server);
    timeout(Duration::from_secs(10), waiter)
        .await
        .expect("woken by the loss")
        .unwrap();
    // Calm on a lost link resolves at once.
    timeout(Duration::from_secs(1), tx.calm()).await.unwrap();
}
