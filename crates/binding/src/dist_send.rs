//! The binding of user messages to remote processes and services, and
//! of their credit (bfly-cluster's credit.rs): what a send did, the grants a
//! drain owes, and the per-tick flush. Ids come in the thread's argument
//! block, as in dist.rs: slot 0 is the peer node's id.

use crate::arg;
use crate::dist::{send, DIST};
use bfly_cluster::envelope::Frame;
use bfly_cluster::Sent;
use bfly_core::Id;
use napi::bindgen_prelude::{Float64Array, Uint8Array};
use napi_derive::napi;

/// Writes what this thread's remote sends queued (JS calls it once per
/// tick after sending).
#[napi]
pub fn dist_flush() {
    if let Some(d) = DIST.get() {
        d.flush_thread();
    }
}

/// A message for process args[1] of node args[0], within that process's
/// credit: 0 sent, a positive token when held for credit (a wake-up with
/// it comes once sent), -1 when not a node, -2 when out of credit and
/// args[2] is 1 (the sender refuses to wait): not sent.
#[napi]
pub fn dist_send(msg: Uint8Array) -> f64 {
    let Some(d) = DIST.get() else { return -1.0 };
    let frame = Frame::Send {
        to: arg(1),
        msg: &msg,
    }
    .encode();
    let thread = crate::current_thread();
    match d.send_user(arg(0) as u32, arg(1), frame, thread, arg(2) == 1) {
        Sent::Now => 0.0,
        Sent::Held(token) => token as f64,
        Sent::NotNode => -1.0,
        Sent::Full => -2.0,
    }
}

/// Returns credit to node `node` for user messages its processes' mailboxes
/// took: `pairs` is (process id, count) after each other; count 0 says the
/// process is gone.
#[napi]
pub fn dist_grant(node: u32, pairs: Float64Array) {
    let Some(d) = DIST.get() else { return };
    let list = pairs
        .chunks_exact(2)
        .map(|p| (p[0] as Id, p[1] as u32))
        .collect();
    d.grant(node, list);
}

#[napi]
pub fn dist_send_name(name: String, msg: Uint8Array) -> bool {
    send(Frame::SendName {
        name: &name,
        msg: &msg,
    })
}
