//! The binding of user messages to remote processes and services, and
//! of their credit (bfly-cluster's credit.rs): what a send did, the grants a
//! drain owes, and the per-tick flush. Ids come in the thread's argument
//! block, as in cluster.rs: slot 0 is the peer node's id.

use crate::block::with_block;
use crate::cluster::{RemoteCode, CLUSTER};
use crate::slots;
use bfly_cluster::envelope::Frame;
use bfly_cluster::Sent;
use bfly_core::Id;
use napi::bindgen_prelude::Float64Array;
use napi_derive::napi;

/// Writes what this thread's remote sends queued (JS calls it once per
/// tick after sending).
#[napi]
pub fn cluster_flush() {
    if let Some(d) = CLUSTER.get() {
        d.flush_thread();
    }
}

/// A message for process `to` of node `node`, within that process's
/// credit: 0 sent, a positive token when held for credit (a wake-up with
/// it comes once sent), or a `RemoteCode` (`OutOfCredit` only when
/// `refuse` is 1: the sender would not wait). Not sent then. The message
/// is the first `len` bytes of the thread's byte block (block.rs).
#[napi]
pub fn cluster_send() -> f64 {
    let [node, to, refuse, len] = slots();
    let code = |c: RemoteCode| f64::from(c as i32);
    let Some(d) = CLUSTER.get() else {
        return code(RemoteCode::NotANode);
    };
    let Some(frame) = with_block(0, len, |msg| Frame::Send { to, msg }.encode()) else {
        return code(RemoteCode::NotANode);
    };
    let thread = crate::current_thread();
    match d.send_user(node as u32, to, frame, thread, refuse == 1) {
        Sent::Now => 0.0,
        Sent::Held(token) => token as f64,
        Sent::NotNode => code(RemoteCode::NotANode),
        Sent::Full => code(RemoteCode::OutOfCredit),
    }
}

/// Returns credit to node `node` for user messages its processes' mailboxes
/// took: `pairs` is (process id, count) after each other; count 0 says the
/// process is gone. Deferred: it leaves with the thread's next `cluster_flush`.
#[napi]
pub fn cluster_grant(node: u32, pairs: Float64Array) {
    let Some(d) = CLUSTER.get() else { return };
    let list = pairs
        .chunks_exact(2)
        .map(|p| (p[0] as Id, p[1] as u32))
        .collect();
    d.grant_deferred(node, list);
}

/// A message for the process registered as `name` on node `node`: the
/// message is the first `len` bytes of the thread's byte block, the name's
/// UTF-8 the `name_len` after them. False when this runtime is not a node.
#[napi]
pub fn cluster_send_name() -> bool {
    let [node, len, name_len] = slots();
    let frame = with_block(0, len + name_len, |b| {
        let (msg, name) = b.split_at(len as usize);
        let name = std::str::from_utf8(name).ok()?;
        Some(Frame::SendName { name, msg }.encode())
    });
    match (CLUSTER.get(), frame.flatten()) {
        (Some(d), Some(frame)) => d.send_deferred(node as u32, frame),
        _ => false,
    }
}
