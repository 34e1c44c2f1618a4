//! Credit between two nodes on 127.0.0.1 (crates/cluster/src/credit.rs): a
//! process that takes nothing holds back only its own senders, grants let
//! held messages go in order, and a peer without credit, a lost link or a
//! dead destination never leaves a sender waiting.

use bfly_cluster::envelope::Frame;
use bfly_cluster::{Cluster, Config, Sent};
use bfly_core::{Delivery, Lane, ProcessTable, Threads};
use bfly_net::keys::Cookie;
use std::time::{Duration, Instant};

struct Node {
    d: &'static Cluster,
    t: &'static ProcessTable,
    th: &'static Threads,
    thread: u32,
}

fn node(name: &str, cookie: &Cookie, credit: u32) -> (Node, String) {
    let t: &'static ProcessTable = Box::leak(Box::new(ProcessTable::new()));
    let th: &'static Threads = Box::leak(Box::new(Threads::new()));
    let d: &'static Cluster = Box::leak(Box::new(Cluster::new(t, th).unwrap()));
    let thread = th.add(Box::new(|| {}));
    let agent = t.spawn(thread);
    let cfg = Config {
        credit,
        ..Config::new(name, "127.0.0.1:0", cookie.clone(), agent)
    };
    let addr = d.start(cfg).unwrap();
    (Node { d, t, th, thread }, addr)
}

/// Nodes a (window `wa`) and b (window `wb`), a knowing b's address; the
/// id each has for the other.
fn pair(tag: &str, wa: u32, wb: u32) -> (Node, Node, u32, u32) {
    let cookie = Cookie::generate();
    let (a, _) = node(&format!("a@{tag}"), &cookie, wa);
    let (b, addr) = node(&format!("b@{tag}"), &cookie, wb);
    a.d.set_address(&format!("b@{tag}"), &addr);
    let (pb, pa) = (
        a.d.intern(&format!("b@{tag}")),
        b.d.intern(&format!("a@{tag}")),
    );
    (a, b, pb, pa)
}

fn msg(i: u8) -> Vec<u8> {
    vec![0x91, i & 0x7f]
}

fn send(a: &Node, pb: u32, to: u64, i: u8) -> Sent {
    let f = Frame::Send { to, msg: &msg(i) }.encode();
    a.d.send_user(pb, to, &f, a.thread, false)
}

/// Drains `n`'s inbox into `got` until `pred` holds (the deadline only
/// turns a hang into a failure).
fn until(n: &Node, got: &mut Vec<Delivery>, mut pred: impl FnMut(&[Delivery]) -> bool) {
    let end = Instant::now() + Duration::from_secs(10);
    while !pred(got) {
        assert!(
            Instant::now() < end,
            "timed out with {} deliveries",
            got.len()
        );
        got.extend(n.th.inbox(n.thread).unwrap().drain());
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Brings the link from `a` to `b` up (a message to a live process of
/// `b`, delivered): sends after it are deferred to `flush_thread`, so no
/// answer from `b` can come between them (before it, frames queued while
/// connecting left when the link came up, on the runtime's threads).
fn connect(a: &Node, b: &Node, pb: u32) {
    let live = b.t.spawn(b.thread);
    assert_eq!(send(a, pb, live, 0), Sent::Now);
    a.d.flush_thread();
    let mut got = Vec::new();
    until(b, &mut got, |g| g.iter().any(|d| d.to == live));
}

fn user_to(got: &[Delivery], to: u64) -> Vec<Vec<u8>> {
    got.iter()
        .filter(|d| d.to == to && d.lane == Lane::Remote)
        .map(|d| d.payload[4..].to_vec())
        .collect()
}

/// The tokens woken, in order: a credit wake-up is `to` 0 with the tokens
/// of one batch as u64 little-endian.
fn woken(got: &[Delivery]) -> Vec<u64> {
    got.iter()
        .filter(|d| d.lane == Lane::Wake && d.to == 0)
        .flat_map(|d| d.payload.chunks_exact(8))
        .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

#[test]
fn a_full_window_holds_only_its_own_process_and_grants_release_in_order() {
    let (a, b, pb, pa) = pair("w", 4, 4);
    let (target, other) = (b.t.spawn(b.thread), b.t.spawn(b.thread));
    let sent: Vec<Sent> = (0..10).map(|i| send(&a, pb, target, i)).collect();
    a.d.flush_thread();
    assert!(sent[..4].iter().all(|s| *s == Sent::Now));
    let tokens: Vec<u64> = sent[4..]
        .iter()
        .map(|s| match s {
            Sent::Held(t) => *t,
            s => panic!("expected a held send, got {s:?}"),
        })
        .collect();
    assert_eq!(a.d.held(pb), 6);
    // With `refuse`, a send out of credit is not made at all.
    let f = Frame::Send {
        to: target,
        msg: &msg(99),
    }
    .encode();
    assert_eq!(a.d.send_user(pb, target, &f, a.thread, true), Sent::Full);
    // Another process behind the same link, and a signal to the full one,
    // do not wait.
    for i in 0..3 {
        assert_eq!(send(&a, pb, other, i), Sent::Now);
    }
    let kill = Frame::Exit {
        from: 1,
        to: target,
        via_exit: true,
        reason: b"\xa4kill",
    };
    a.d.send(pb, &kill.encode());
    a.d.flush_thread();
    let mut got = Vec::new();
    until(&b, &mut got, |g| {
        user_to(g, other).len() == 3 && g.iter().any(|d| d.to == target && d.lane == Lane::Signal)
    });
    assert_eq!(user_to(&got, target), (0..4).map(msg).collect::<Vec<_>>());
    assert_eq!(a.d.held(pb), 6);
    // The receiver returns 4: four more go, in order, and their senders wake.
    b.d.grant(pa, vec![(target, 4)]);
    until(&b, &mut got, |g| user_to(g, target).len() == 8);
    assert_eq!(user_to(&got, target), (0..8).map(msg).collect::<Vec<_>>());
    let mut at_a = Vec::new();
    until(&a, &mut at_a, |g| woken(g).len() == 4);
    assert_eq!(woken(&at_a), tokens[..4]);
    assert_eq!(a.d.held(pb), 2);
    // The receiver says the process is gone: the rest are dropped, their
    // senders woken.
    b.d.grant(pa, vec![(target, 0)]);
    until(&a, &mut at_a, |g| woken(g).len() == 6);
    assert_eq!(woken(&at_a), tokens);
    assert_eq!(a.d.held(pb), 0);
}

#[test]
fn a_peer_that_grants_no_credit_is_never_waited_for() {
    let (a, b, pb, _) = pair("old", 4, 0);
    let target = b.t.spawn(b.thread);
    // Once the link is up and b has said it grants nothing...
    a.d.send(
        pb,
        &Frame::Send {
            to: target,
            msg: &msg(0),
        }
        .encode(),
    );
    let mut got = Vec::new();
    until(&b, &mut got, |g| g.iter().any(|d| d.to == target));
    // ...nothing is counted toward it.
    for i in 1..21 {
        assert_eq!(send(&a, pb, target, i), Sent::Now);
    }
    a.d.flush_thread();
    until(&b, &mut got, |g| {
        g.iter()
            .filter(|d| d.to == target && d.lane == Lane::User)
            .count()
            == 21
    });
    assert_eq!(a.d.held(pb), 0);
}

#[test]
fn messages_held_while_connecting_go_once_the_peer_turns_out_to_grant_none() {
    // The first sends are made before the Hello exchange says b grants
    // nothing: the ones past the window wait, then all go, in order.
    let (a, b, pb, _) = pair("late", 2, 0);
    let target = b.t.spawn(b.thread);
    let sent: Vec<Sent> = (0..6).map(|i| send(&a, pb, target, i)).collect();
    a.d.flush_thread();
    assert!(matches!(sent[5], Sent::Held(_)));
    let mut got = Vec::new();
    until(&b, &mut got, |g| {
        g.iter().filter(|d| d.to == target).count() == 6
    });
    let seq: Vec<Vec<u8>> = got
        .iter()
        .filter(|d| d.to == target)
        .map(|d| d.payload.clone())
        .collect();
    assert_eq!(seq, (0..6).map(msg).collect::<Vec<_>>());
    let mut at_a = Vec::new();
    until(&a, &mut at_a, |g| woken(g).len() == 4);
}

#[test]
fn a_dead_destination_frees_its_window() {
    let (a, b, pb, _) = pair("dead", 2, 2);
    connect(&a, &b, pb);
    let target = b.t.spawn(b.thread);
    b.t.exit(target);
    let sent: Vec<Sent> = (0..5).map(|i| send(&a, pb, target, i)).collect();
    a.d.flush_thread();
    assert_eq!(
        sent.iter().filter(|s| matches!(s, Sent::Held(_))).count(),
        3
    );
    // b drops both messages it got and says the process is gone.
    let mut at_a = Vec::new();
    until(&a, &mut at_a, |g| woken(g).len() == 3);
    assert_eq!(a.d.held(pb), 0);
    // A later send starts a new window.
    assert_eq!(send(&a, pb, target, 9), Sent::Now);
}

#[test]
fn a_lost_link_drops_held_messages_and_wakes_their_senders() {
    let (a, b, pb, _) = pair("lost", 2, 2);
    let target = b.t.spawn(b.thread);
    for i in 0..5 {
        send(&a, pb, target, i);
    }
    a.d.flush_thread();
    let mut got = Vec::new();
    until(&b, &mut got, |g| user_to(g, target).len() == 2);
    assert_eq!(a.d.held(pb), 3);
    b.d.stop();
    let mut at_a = Vec::new();
    until(&a, &mut at_a, |g| woken(g).len() == 3);
    assert_eq!(a.d.held(pb), 0);
}

#[test]
fn an_exit_signal_or_down_from_the_destination_ends_its_window() {
    let (a, b, pb, pa) = pair("sig", 2, 2);
    let (t1, t2) = (b.t.spawn(b.thread), b.t.spawn(b.thread));
    for i in 0..4 {
        send(&a, pb, t1, i);
        send(&a, pb, t2, i);
    }
    a.d.flush_thread();
    let mut got = Vec::new();
    until(&b, &mut got, |g| {
        user_to(g, t1).len() == 2 && user_to(g, t2).len() == 2
    });
    assert_eq!(a.d.held(pb), 4);
    // t1's link signal and t2's DOWN, as b sends them when each exits.
    let reason = b"\xa6normal";
    let exit = Frame::Exit {
        from: t1,
        to: 1,
        via_exit: false,
        reason,
    };
    b.d.send(pa, &exit.encode());
    let down = Frame::Down {
        watcher: 1,
        r: 1,
        target: t2,
        reason,
    };
    b.d.send(pa, &down.encode());
    let mut at_a = Vec::new();
    until(&a, &mut at_a, |g| woken(g).len() == 4);
    assert_eq!(a.d.held(pb), 0);
}
