//! Two nodes in one OS process, over real SL1 links on 127.0.0.1: routing
//! into inboxes, one link per pair, loss firing each relation once, who may
//! link. (The JS tests run nodes as separate OS processes.)

mod common;

use bfly_cluster::envelope::Frame;
use bfly_cluster::Allow;
use bfly_core::departure::{exit_signal_term, str_term};
use bfly_core::Lane;
use bfly_net::keys::Cookie;
use common::*;
use std::time::{Duration, Instant};

#[test]
fn messages_arrive_in_order_and_loss_fires_relations_once() {
    let (a, b, pb) = two("t");
    let target = b.t.spawn(b.thread);
    for i in 0..1000u32 {
        let msg = rmp_u32(i);
        assert!(a.d.send(
            pb,
            &Frame::Send {
                to: target,
                msg: &msg
            }
            .encode()
        ));
    }
    let got = wait_for(&b, |g| g.iter().filter(|d| d.to == target).count() == 1000);
    let seq: Vec<Vec<u8>> = got
        .iter()
        .filter(|d| d.to == target)
        .map(|d| body(d).to_vec())
        .collect();
    assert_eq!(seq, (0..1000).map(rmp_u32).collect::<Vec<_>>());

    // A link from a process of A to `target`, then B stops: A's process
    // gets one EXIT noconnection.
    let pa = a.t.spawn(a.thread);
    a.t.link_remote(pa, pb, target).unwrap();
    a.d.send(
        pb,
        &Frame::Link {
            from: pa,
            to: target,
        }
        .encode(),
    );
    let end = Instant::now() + Duration::from_secs(5);
    while b.t.related_to(b.d.intern("a@t")) == 0 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(b.t.related_to(b.d.intern("a@t")), 1);
    b.d.stop();
    let want = exit_signal_term("b@t", target, &str_term("noconnection"), false);
    let got = wait_for(&a, |g| g.iter().any(|d| d.to == pa && d.payload == want));
    assert_eq!(got.iter().filter(|d| d.to == pa).count(), 1);
    assert_eq!(a.t.related_to(pb), 0);
}

#[test]
fn simultaneous_connects_keep_one_link() {
    let cookie = Cookie::generate();
    let a = node("a@s", &cookie, Allow::default());
    let b = node("b@s", &cookie, Allow::default());
    a.d.set_address("b@s", &b.addr);
    b.d.set_address("a@s", &a.addr);
    let (ta, tb) = (a.t.spawn(a.thread), b.t.spawn(b.thread));
    let (pb, pa) = (a.d.intern("b@s"), b.d.intern("a@s"));
    for i in 0..200u32 {
        let m = rmp_u32(i);
        a.d.send(pb, &Frame::Send { to: tb, msg: &m }.encode());
        b.d.send(pa, &Frame::Send { to: ta, msg: &m }.encode());
    }
    for (n, to) in [(&a, ta), (&b, tb)] {
        let got = wait_for(n, |g| {
            g.iter()
                .filter(|d| d.to == to && matches!(d.lane, Lane::User | Lane::Remote))
                .count()
                == 200
        });
        let seq: Vec<Vec<u8>> = got
            .iter()
            .filter(|d| d.to == to)
            .map(|d| body(d).to_vec())
            .collect();
        assert_eq!(seq, (0..200).map(rmp_u32).collect::<Vec<_>>());
    }
    assert!(a.d.peers().iter().all(|p| p.state == "up"));
    assert!(b.d.peers().iter().all(|p| p.state == "up"));
}

#[test]
fn a_wrong_cookie_fails_the_connection_with_a_reason() {
    let a = node("a@c", &Cookie::generate(), Allow::default());
    let b = node("b@c", &Cookie::generate(), Allow::default());
    a.d.set_address("b@c", &b.addr);
    let pb = a.d.intern("b@c");
    let w = a.t.spawn(a.thread);
    let r = a.t.monitor_remote(w, pb, 5).unwrap();
    a.d.send(
        pb,
        &Frame::Monitor {
            origin: "",
            watcher: w,
            r,
            target: 5,
            name: "",
        }
        .encode(),
    );
    wait_for(&a, |g| {
        g.iter().any(|d| d.to == w && d.lane == Lane::Signal)
    });
    let info = a.d.peers().into_iter().find(|p| p.name == "b@c").unwrap();
    assert_eq!(info.state, "down");
    assert!(info.error.unwrap().contains("wrong cookie"));
    assert!(b.d.peers().is_empty(), "b never learned of a");
}

#[test]
fn the_allow_list_refuses_links_with_not_allowed() {
    let cookie = Cookie::generate();
    let a = node("a@l", &cookie, Allow::default());
    let b = node(
        "b@l",
        &cookie,
        Allow {
            default: 0,
            peers: Default::default(),
        },
    );
    a.d.set_address("b@l", &b.addr);
    let pb = a.d.intern("b@l");
    let target = b.t.spawn(b.thread);
    let pa = a.t.spawn(a.thread);
    a.t.link_remote(pa, pb, target).unwrap();
    a.d.send(
        pb,
        &Frame::Link {
            from: pa,
            to: target,
        }
        .encode(),
    );
    let want = exit_signal_term("b@l", target, &str_term("not_allowed"), false);
    wait_for(&a, |g| g.iter().any(|d| d.to == pa && d.payload == want));
    assert_eq!(b.t.related_to(b.d.intern("a@l")), 0);
}
