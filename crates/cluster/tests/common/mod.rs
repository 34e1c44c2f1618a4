//! What the two- and three-node tests share: nodes in one OS process over
//! real SL1 links on 127.0.0.1, and ways to wait for what they deliver.
#![allow(dead_code)] // each test file uses some of these

use bfly_cluster::{Allow, Cluster, Config};
use bfly_core::{Lane, ProcessTable, Threads};
use bfly_net::keys::Cookie;
use std::time::{Duration, Instant};

pub struct Node {
    pub d: &'static Cluster,
    pub t: &'static ProcessTable,
    pub th: &'static Threads,
    pub thread: u32,
    pub addr: String,
}

pub fn node(name: &str, cookie: &Cookie, allow: Allow) -> Node {
    let t: &'static ProcessTable = Box::leak(Box::new(ProcessTable::new()));
    let th: &'static Threads = Box::leak(Box::new(Threads::new()));
    let d: &'static Cluster = Box::leak(Box::new(Cluster::new(t, th).unwrap()));
    let thread = th.add(Box::new(|| {}));
    let agent = t.spawn(thread);
    let addr = d
        .start(Config {
            allow,
            ..Config::new(name, "127.0.0.1:0", cookie.clone(), agent)
        })
        .unwrap();
    Node {
        d,
        t,
        th,
        thread,
        addr,
    }
}

/// A user message's bytes: a `Lane::Remote` delivery starts with the
/// sending node's id (its credit is owed to that node).
pub fn body(d: &bfly_core::Delivery) -> &[u8] {
    if d.lane == Lane::Remote {
        &d.payload[4..]
    } else {
        &d.payload
    }
}

/// Nodes a@`h` and b@`h`, A knowing B's address, and B's id on A.
pub fn two(h: &str) -> (Node, Node, bfly_core::NodeId) {
    let cookie = Cookie::generate();
    let [a, b] = ["a", "b"].map(|n| node(&format!("{n}@{h}"), &cookie, Allow::default()));
    a.d.set_address(&format!("b@{h}"), &b.addr);
    let pb = a.d.intern(&format!("b@{h}"));
    (a, b, pb)
}

/// Drains `n`'s inbox until `pred` holds for what was collected.
pub fn wait_for(
    n: &Node,
    mut pred: impl FnMut(&[bfly_core::Delivery]) -> bool,
) -> Vec<bfly_core::Delivery> {
    let mut got = Vec::new();
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        got.extend(n.th.inbox(n.thread).unwrap().drain());
        if pred(&got) {
            return got;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("timed out; got {} deliveries", got.len());
}

/// Nodes a, b and c at host `h` (one cookie, everything allowed), where a
/// knows b's address and b knows c's: c is reached from a only through b.
pub fn chain(h: &str) -> (Node, Node, Node) {
    let cookie = Cookie::generate();
    let [a, b, c] = ["a", "b", "c"].map(|n| node(&format!("{n}@{h}"), &cookie, Allow::default()));
    a.d.set_address(&format!("b@{h}"), &b.addr);
    b.d.set_address(&format!("c@{h}"), &c.addr);
    (a, b, c)
}

pub fn rmp_u32(i: u32) -> Vec<u8> {
    let mut v = Vec::new();
    rmp::encode::write_uint(&mut v, i as u64).unwrap();
    v
}
