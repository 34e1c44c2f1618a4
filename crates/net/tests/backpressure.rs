//! The write-side bound: an authenticated peer that keeps its link alive
//! (its writer still sends heartbeats) but reads nothing must not make this
//! side queue without end. Past `max_queued` bytes the link is lost, the
//! reader says why, and the socket is closed; other links are unaffected.

use bfly_net::keys::Cookie;
use bfly_net::link::{connect, Limits};
use bfly_net::listener::Listener;
use std::time::Duration;
use tokio::time::timeout;

const LIMIT: usize = 1 << 20;

fn limits() -> Limits {
    Limits {
        heartbeat: Duration::from_millis(50),
        max_queued: LIMIT,
        ..Limits::default()
    }
}

#[tokio::test]
async fn a_peer_that_reads_nothing_loses_its_link_at_the_queue_bound() {
    let c = Cookie::new(&[5; 32]).unwrap();
    let mut l = Listener::bind("127.0.0.1:0", c.clone(), [1; 16], limits())
        .await
        .unwrap();
    let addr = l.local_addr();
    // The deaf peer: a real link whose owner never calls recv (its writer
    // keeps heartbeating, so the idle limit never saves the sender).
    let (deaf, mut server) = tokio::join!(connect(addr, &c, [2; 16], limits()), l.accept());
    let (deaf, server_ref) = (deaf.unwrap(), server.as_mut().unwrap());
    // A healthy peer on the same listener.
    let (good, healthy) = tokio::join!(connect(addr, &c, [3; 16], limits()), l.accept());
    let (good, mut healthy) = (good.unwrap(), healthy.unwrap());

    let tx = server_ref.sender();
    let chunk = vec![7u8; 64 << 10];
    let mut accepted = 0usize;
    let why = loop {
        match tx.send_now(&chunk) {
            Ok(()) => accepted += chunk.len(),
            Err(f) => break f,
        }
        // Give the writer a chance to fill the socket buffers first.
        if accepted.is_multiple_of(1 << 20) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert!(
            accepted < 512 << 20,
            "512 MiB accepted for a peer that reads nothing: unbounded"
        );
    };
    assert_eq!(why.0, "peer not reading: send queue over its limit");
    // Bounded by the limit plus one message plus what the kernel's socket
    // buffers took before the writer blocked.
    println!("accepted {} KiB before the link was lost", accepted >> 10);
    assert!(
        accepted <= LIMIT + chunk.len() + (64 << 20),
        "{accepted} bytes accepted"
    );
    // The reader of that link is woken with the reason, though the peer
    // still sends heartbeats.
    let r = timeout(Duration::from_secs(10), server_ref.recv()).await;
    assert!(matches!(r, Ok(Err(f)) if f.0 == why.0), "reader: {r:?}");
    // Later sends fail at once.
    assert!(tx.send_now(b"x").is_err());
    drop(deaf);

    // The healthy link still works both ways.
    good.send(b"ping").await.unwrap();
    assert_eq!(healthy.recv().await.unwrap(), b"ping");
    healthy.send(b"pong").await.unwrap();
    let mut good = good;
    assert_eq!(good.recv().await.unwrap(), b"pong");
}
