//! What a link's reads route on the node that reads them: names resolved
//! once per read and forwarded through aliases, a run to one name checked
//! message by message, and a reading host thread's own messages stored where
//! it drains. Two and three nodes in one OS process, over real SL1 links.

mod common;

use bfly_cluster::envelope::Frame;
use bfly_core::Lane;
use common::*;
use std::time::{Duration, Instant};

#[test]
fn names_forward_through_an_alias_to_a_third_node() {
    let (a, b, c) = chain("f");
    let svc = c.t.spawn(c.thread);
    c.t.register("S", svc).unwrap();
    b.t.register_alias("X", "c@f", "S").unwrap();
    let m = rmp_u32(42);
    a.d.send(
        a.d.intern("b@f"),
        &Frame::SendName { name: "X", msg: &m }.encode(),
    );
    let got = wait_for(&c, |g| g.iter().any(|d| d.to == svc));
    assert_eq!(body(got.iter().find(|d| d.to == svc).unwrap()), m);
    // C learned A's address from B's gossip, so it can answer A directly.
    let ca = c.d.peers().into_iter().find(|p| p.name == "a@f").unwrap();
    assert_eq!(ca.addr.as_deref(), Some(a.addr.as_str()));
}

/// A name each read resolves once (posts.rs) still follows the registry
/// from one read to the next, keeps each sender's order when names and an
/// alias alternate within a read, and drops what goes to an unknown name.
#[test]
fn names_resolved_per_read_follow_re_registration_and_keep_order() {
    let (a, b, c) = chain("r");
    let pb = a.d.intern("b@r");
    let (p1, p2, q) = (
        b.t.spawn(b.thread),
        b.t.spawn(b.thread),
        b.t.spawn(b.thread),
    );
    let far = c.t.spawn(c.thread);
    b.t.register("S", p1).unwrap();
    b.t.register("T", q).unwrap();
    c.t.register("F", far).unwrap();
    b.t.register_alias("X", "c@r", "F").unwrap();
    let send = |name: &str, i: u32| {
        let m = rmp_u32(i);
        a.d.send(pb, &Frame::SendName { name, msg: &m }.encode());
    };
    // Back to back, so many share a read: T, the alias X, an unknown name
    // and S interleaved (S last, so a read that remembered it past its
    // end would send the messages below to p1).
    for i in 0..2000u32 {
        send(["T", "X", "nobody", "S"][i as usize % 4], i);
    }
    let seq_of = |g: &[bfly_core::Delivery], to| -> Vec<Vec<u8>> {
        g.iter()
            .filter(|d| d.to == to)
            .map(|d| body(d).to_vec())
            .collect()
    };
    let got = wait_for(&b, |g| {
        seq_of(g, p1).len() == 500 && seq_of(g, q).len() == 500
    });
    assert_eq!(
        seq_of(&got, p1),
        (3..2000).step_by(4).map(rmp_u32).collect::<Vec<_>>()
    );
    assert_eq!(
        seq_of(&got, q),
        (0..2000).step_by(4).map(rmp_u32).collect::<Vec<_>>()
    );
    let far_got = wait_for(&c, |g| seq_of(g, far).len() == 500);
    assert_eq!(
        seq_of(&far_got, far),
        (1..2000).step_by(4).map(rmp_u32).collect::<Vec<_>>()
    );
    // S names a new process each round: later reads deliver there, in
    // order, and nothing to an earlier one. A new pid each time, over more
    // rounds than the runtime has threads reading links, so a thread that
    // remembered S past its read would deliver some round to an old pid.
    let mut old = vec![p1];
    for round in 0..6u32 {
        let now = if round == 0 { p2 } else { b.t.spawn(b.thread) };
        b.t.unregister("S");
        b.t.register("S", now).unwrap();
        for i in 0..300u32 {
            send("S", i);
        }
        let got = wait_for(&b, |g| seq_of(g, now).len() == 300);
        assert_eq!(seq_of(&got, now), (0..300).map(rmp_u32).collect::<Vec<_>>());
        for &o in &old {
            assert!(
                seq_of(&got, o).is_empty(),
                "round {round}: a message went to an old pid"
            );
        }
        old.push(now);
    }
}

/// A run of messages to one name is matched by its head after the first
/// (posts.rs), but each message is still checked whole: a bad one in the
/// middle of a run ends the link with the reason, the messages before it
/// are delivered in order, none after it, and the node lives on (a new
/// link delivers again).
#[test]
fn a_bad_message_inside_a_run_to_one_name_ends_the_link_not_the_node() {
    let (a, b, pb) = two("m");
    let p = b.t.spawn(b.thread);
    b.t.register("S", p).unwrap();
    let send = |msg: &[u8]| a.d.send(pb, &Frame::SendName { name: "S", msg }.encode());
    for i in 0..200u32 {
        send(&rmp_u32(i));
    }
    // 0xc1 is the one byte MessagePack never uses.
    send(&[0xc1]);
    for i in 200..300u32 {
        send(&rmp_u32(i));
    }
    let seq_of = |g: &[bfly_core::Delivery]| -> Vec<Vec<u8>> {
        g.iter()
            .filter(|d| d.to == p)
            .map(|d| body(d).to_vec())
            .collect()
    };
    let got = wait_for(&b, |g| seq_of(g).len() >= 200);
    let end = Instant::now() + Duration::from_secs(10);
    let error = loop {
        let peer = b.d.peers().into_iter().find(|p| p.name == "a@m");
        if let Some(e) = peer
            .and_then(|p| p.error)
            .filter(|e| e.contains("malformed"))
        {
            break e;
        }
        assert!(Instant::now() < end, "the link did not end");
        std::thread::sleep(Duration::from_millis(5));
    };
    assert!(error.contains("reserved byte"), "{error}");
    let mut got = got;
    std::thread::sleep(Duration::from_millis(50));
    got.extend(b.th.inbox(b.thread).unwrap().drain());
    assert_eq!(seq_of(&got), (0..200).map(rmp_u32).collect::<Vec<_>>());
    // Node B still serves: a later message arrives over a new link.
    let again = Instant::now() + Duration::from_secs(10);
    let later = rmp_u32(7777);
    loop {
        send(&later);
        let g: Vec<_> = b.th.inbox(b.thread).unwrap().drain();
        if seq_of(&g).contains(&later) {
            break;
        }
        assert!(Instant::now() < again, "no new link delivered");
        std::thread::sleep(Duration::from_millis(20));
    }
}

thread_local! {
    /// What `store` took: (to, lane, payload).
    static STORED: std::cell::RefCell<Vec<(u64, Lane, Vec<u8>)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A host thread's place for its own deliveries, with room for 40.
fn store(to: u64, lane: Lane, parts: &[&[u8]]) -> bool {
    STORED.with_borrow_mut(|s| {
        s.len() < 40 && {
            s.push((to, lane, parts.concat()));
            true
        }
    })
}

/// A thread that reads its links itself (as a JS thread does) gets the
/// messages for its own processes stored at once (posts.rs) until one is
/// for another thread or there is no room, and only by reads that begin
/// with its inbox empty: taking what was stored before its inbox, each
/// process gets its messages once, in order.
#[test]
fn a_host_thread_gets_its_messages_stored_at_once_and_in_order() {
    let (a, b, pb) = two("h");
    let offered = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let o = offered.clone();
    b.d.set_host(Some(Box::new(move |r| o.lock().unwrap().push(r))));
    // The host thread's inbox gets only p's messages (not the agent's).
    let (host, other) = (b.th.add(Box::new(|| {})), b.th.add(Box::new(|| {})));
    bfly_cluster::deliver_here(Some((host, store)));
    let (p, q) = (b.t.spawn(host), b.t.spawn(other));
    let inbox = b.th.inbox(host).unwrap();
    let send = |to, i: u32| {
        a.d.send(
            pb,
            &Frame::Send {
                to,
                msg: &rmp_u32(i),
            }
            .encode(),
        )
    };
    let (mut seq, mut stored) = (Vec::new(), 0);
    // Reads (once at least: the host claims the link) until `n` messages
    // in all were stored, taken or queued, taking what was stored after
    // each read, as a JS thread does.
    let mut read = |seq: &mut Vec<Vec<u8>>, n: usize| {
        let end = Instant::now() + Duration::from_secs(10);
        loop {
            for r in offered.lock().unwrap().iter() {
                r.host_pump(bfly_net::reader::PUMP_BUDGET);
            }
            let s = STORED.with_borrow_mut(std::mem::take);
            stored += s.len();
            seq.extend(s.into_iter().map(|d| d.2[4..].to_vec()));
            if seq.len() + inbox.backlog().0 >= n && !offered.lock().unwrap().is_empty() {
                break;
            }
            assert!(Instant::now() < end, "{} of {n} arrived", seq.len());
            std::thread::sleep(Duration::from_millis(2));
        }
    };
    let take_inbox = |seq: &mut Vec<Vec<u8>>| {
        seq.extend(inbox.drain().iter().map(|d| body(d).to_vec()));
    };
    // The first message makes the link, which the host then reads.
    send(p, 0);
    read(&mut seq, 1);
    take_inbox(&mut seq);
    // More than there is room for, one for another thread among them,
    // then more while the inbox still holds some.
    for i in 1..100 {
        send(p, i);
    }
    send(q, 0);
    read(&mut seq, 100);
    for i in 100..300 {
        send(p, i);
    }
    read(&mut seq, 300);
    take_inbox(&mut seq);
    assert_eq!(seq, (0..300).map(rmp_u32).collect::<Vec<_>>());
    assert!(stored > 0, "nothing was stored at once");
    assert!(stored < 300, "the room was never short");
    assert_eq!(wait_for_thread(&b, other), vec![rmp_u32(0)]);
    bfly_cluster::deliver_here(None);
}

/// What `thread` of `n` got, once something has.
fn wait_for_thread(n: &Node, thread: u32) -> Vec<Vec<u8>> {
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let got = n.th.inbox(thread).unwrap().drain();
        if !got.is_empty() {
            return got.iter().map(|d| body(d).to_vec()).collect();
        }
        assert!(Instant::now() < end, "nothing arrived");
        std::thread::sleep(Duration::from_millis(5));
    }
}
