//! The binding of relations with remote processes (bfly-cluster): exit
//! signals, links and monitors across nodes, and what a departed process
//! owes the nodes it had relations with. Ids come in the thread's argument
//! block, as in cluster.rs: slot 0 is the peer node's id.

use crate::block::with_block;
use crate::cluster::{send, RemoteCode, CLUSTER};
use crate::{slots, TABLE};
use bfly_cluster::envelope::{Frame, NODE_TARGET};
use bfly_cluster::Cluster;
use bfly_core::{Id, RemoteRel};
use napi::bindgen_prelude::Uint8Array;
use napi_derive::napi;
use std::cell::RefCell;

/// Tells the nodes a departed process had relations with.
pub(crate) fn exited(id: Id, rel: &RemoteRel, reason: &[u8]) {
    if let Some(d) = CLUSTER.get() {
        d.exited(id, rel, reason);
    }
}

/// Ends remote monitor `r` of `watcher`; tells the target's node.
/// `deferred`: the frame waits for the thread's next flush (the caller's
/// JS schedules one).
pub(crate) fn demonitor(watcher: Id, r: Id, name: Option<&str>, deferred: bool) -> bool {
    let Some(d) = CLUSTER.get() else { return false };
    let Some((node, target)) = TABLE.demonitor_remote(watcher, r) else {
        return false;
    };
    let name = if target == 0 { name.unwrap_or("") } else { "" };
    let f = Frame::Demonitor {
        origin: "",
        r,
        target,
        name,
    }
    .encode();
    // A call's demonitor rides with the thread's next frames instead of
    // waking the writer task and the peer's reader on its own.
    if deferred {
        d.send_deferred(node, &f);
    } else {
        d.send(node, &f);
    }
    true
}

thread_local! {
    /// The remote relations of this thread's last `proc_exit`.
    static EXITED: RefCell<Option<(Id, Box<RemoteRel>)>> = const { RefCell::new(None) };
}

pub(crate) fn stash_exit(id: Id, rel: Box<RemoteRel>) {
    EXITED.with_borrow_mut(|s| *s = Some((id, rel)));
}

/// Sends the remote effects of this thread's last `proc_exit`, with the
/// exit reason encoded.
#[napi]
pub fn proc_exit_remote(reason: Uint8Array) {
    if let Some((id, rel)) = EXITED.with_borrow_mut(Option::take) {
        exited(id, &rel, &reason);
    }
}

/// The cluster, while this runtime is a node.
fn node() -> Option<&'static Cluster> {
    CLUSTER.get().filter(|d| d.name().is_some())
}

/// `exit()` from local `from` to process `to` of node `node`.
#[napi]
pub fn cluster_exit(reason: Uint8Array) -> bool {
    let [node, from, to] = slots();
    send(
        node,
        Frame::Exit {
            from,
            to,
            via_exit: true,
            reason: &reason,
        },
    )
}

/// Links local `from` with process `to` of node `node`: 1 done, 0 when
/// `from` is dead, or `RemoteCode::NotANode`.
#[napi]
pub fn cluster_link() -> i32 {
    let [node, from, to] = slots();
    let Some(d) = self::node() else {
        return RemoteCode::NotANode as i32;
    };
    match d.relate(node as u32, |n| TABLE.link_remote(from, n, to)) {
        Ok(true) => i32::from(send(node, Frame::Link { from, to })),
        Ok(false) => 1,
        Err(_) => 0,
    }
}

/// Removes the link of local `from` with process `to` of node `node`.
#[napi]
pub fn cluster_unlink() {
    let [node, from, to] = slots();
    let Some(d) = CLUSTER.get() else { return };
    // The live id of the node (a JS cache may hold a forgotten one).
    if TABLE.unlink_remote(from, d.live(node as u32), to) {
        send(node, Frame::Unlink { from, to });
    }
}

/// Local `watcher` monitors `target` (a process id, `NODE_TARGET`, or 0 with
/// a service `name`) of node `node`.
fn monitor(node: u64, watcher: u64, target: u64, name: &str) -> f64 {
    let Some(d) = self::node() else {
        return f64::from(RemoteCode::NotANode as i32);
    };
    match d.relate(node as u32, |n| TABLE.monitor_remote(watcher, n, target)) {
        Ok(r) => {
            send(
                node,
                Frame::Monitor {
                    origin: "",
                    watcher,
                    r,
                    target,
                    name,
                },
            );
            r as f64
        }
        Err(_) => 0.0,
    }
}

/// Local `watcher` monitors process `target` of node `node`: the ref, 0
/// when `watcher` is dead, or `RemoteCode::NotANode`.
#[napi]
pub fn cluster_monitor() -> f64 {
    let [node, watcher, target] = slots();
    monitor(node, watcher, target, "")
}

/// Local `watcher` monitors node `node` itself: its DOWN comes only when the
/// link is lost (reason 'noconnection'). As `cluster_monitor`.
#[napi]
pub fn cluster_monitor_node() -> f64 {
    let [node, watcher] = slots();
    monitor(node, watcher, NODE_TARGET, "")
}

/// Local `watcher` monitors service `name` of node `node` (as
/// `cluster_monitor`): the name's UTF-8 is the `name_len` bytes at
/// `name_at` in the thread's byte block (block.rs; a `String` argument cost
/// a call napi-rs's borrow bookkeeping and a conversion).
#[napi]
pub fn cluster_monitor_name() -> f64 {
    let [node, watcher, name_at, name_len] = slots();
    let not_a_node = f64::from(RemoteCode::NotANode as i32);
    with_block(name_at, name_len, |b| match std::str::from_utf8(b) {
        Ok(name) if !name.is_empty() => monitor(node, watcher, 0, name),
        _ => not_a_node,
    })
    .unwrap_or(not_a_node)
}

/// Ends monitor `monitor` of local `watcher` taken on service `name` (its
/// UTF-8 the first `name_len` bytes of the byte block).
#[napi]
pub fn cluster_demonitor_name() -> bool {
    let [watcher, monitor, name_len] = slots();
    with_block(0, name_len, |b| {
        std::str::from_utf8(b)
            .map(|name| demonitor(watcher, monitor, Some(name), true))
            .unwrap_or(false)
    })
    .unwrap_or(false)
}
