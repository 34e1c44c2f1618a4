//! The send bound before a link is up: a peer that accepts TCP connections
//! but never answers the handshake cannot make this node queue without
//! end; past `Limits::max_queued` bytes the attempt fails like a lost link.

use bfly_cluster::envelope::Frame;
use bfly_cluster::{Cluster, Config};
use bfly_core::{NodeId, ProcessTable, ThreadId, Threads};
use bfly_net::keys::Cookie;
use bfly_net::link::Limits;
use std::time::Duration;

/// A node `name` (a 1 MiB bound, a 30 s handshake deadline) that knows
/// "deaf@127.0.0.1" at `deaf`'s address: the node, its JS thread's id, and
/// the deaf peer's id.
fn node_and_deaf_peer(
    name: &str,
    deaf: &std::net::TcpListener,
) -> (&'static Cluster, &'static Threads, ThreadId, NodeId) {
    let t: &'static ProcessTable = Box::leak(Box::new(ProcessTable::new()));
    let th: &'static Threads = Box::leak(Box::new(Threads::new()));
    let d: &'static Cluster = Box::leak(Box::new(Cluster::new(t, th).unwrap()));
    let thread = th.add(Box::new(|| {}));
    let agent = t.spawn(thread);
    d.start(Config {
        limits: limits(),
        ..Config::new(name, "127.0.0.1:0", Cookie::new(&[1; 32]).unwrap(), agent)
    })
    .unwrap();
    d.set_address("deaf@127.0.0.1", &deaf.local_addr().unwrap().to_string());
    (d, th, thread, d.intern("deaf@127.0.0.1"))
}

fn limits() -> Limits {
    Limits {
        handshake: Duration::from_secs(30),
        max_queued: 1 << 20,
        ..Limits::default()
    }
}

#[test]
fn frames_for_a_peer_that_never_answers_are_bounded() {
    // The kernel completes connects into the backlog; nobody ever reads.
    let deaf = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (d, _, _, id) = node_and_deaf_peer("a@127.0.0.1", &deaf);
    let frame = Frame::Send {
        to: 1,
        msg: &[0; 64 << 10],
    }
    .encode();
    // 16 MiB for a peer whose handshake never finishes (deadline 30 s).
    for _ in 0..256 {
        assert!(d.send(id, &frame.clone()));
    }
    let p = d
        .peers()
        .into_iter()
        .find(|p| p.name == "deaf@127.0.0.1")
        .unwrap();
    assert_eq!(
        p.error.as_deref(),
        Some("peer not reading: send queue over its limit"),
        "state {}",
        p.state
    );
}

/// Before that bound, the attempt's queue is busy past `Limits::busy`
/// (an eighth of it), as a link is: user messages say so (`Sent::Busy`),
/// a sender that would not wait is refused (`Sent::LinkFull`, nothing
/// queued), and a waiter's token is woken once nothing is busy any more
/// (here: the node stops, and what waited is dropped).
#[test]
fn an_attempt_queue_past_its_busy_limit_says_so_and_wakes_its_waiters_when_it_ends() {
    use bfly_cluster::Sent;
    use bfly_core::Lane;
    let deaf = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (d, th, thread, id) = node_and_deaf_peer("b@127.0.0.1", &deaf);
    let frame = Frame::SendName {
        name: "SINK",
        msg: &[0; 64 << 10],
    }
    .encode();
    // A calm node: the token is woken at once.
    let token = d.calm(id, thread);
    let woken = |token: u64| {
        for _ in 0..500 {
            if th
                .inbox(thread)
                .unwrap()
                .drain()
                .iter()
                .any(|x| x.lane == Lane::Wake && x.to == token)
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    };
    assert!(woken(token), "a calm node's waiter is woken at once");
    let per_busy = limits().busy() / frame.len();
    for i in 0..per_busy {
        assert_eq!(d.send_uncredited(id, &frame, false), Sent::Now, "frame {i}");
    }
    assert_eq!(d.send_uncredited(id, &frame, false), Sent::Busy);
    assert_eq!(
        d.send_uncredited(id, &frame, false),
        Sent::Busy,
        "busy is not a one-off"
    );
    assert_eq!(d.send_uncredited(id, &frame, true), Sent::LinkFull);
    let token = d.calm(id, thread);
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        !th.inbox(thread)
            .unwrap()
            .drain()
            .iter()
            .any(|x| x.to == token),
        "not woken while the queue is busy"
    );
    d.stop();
    assert!(woken(token), "woken once the attempt is gone");
}
