//! The binding of user messages to remote processes and services, and
//! of their credit (bfly-cluster's credit.rs): what a send did, the grants a
//! drain owes, and the per-tick flush. Ids come in the thread's argument
//! block, as in cluster.rs: slot 0 is the peer node's id.

use crate::block::with_block;
use crate::cluster::{with_encoded, with_split, RemoteCode, CLUSTER, SPLIT_OVER};
use crate::slots;
use bfly_cluster::envelope::Frame;
use bfly_cluster::Sent;
use bfly_core::Id;
use napi_derive::napi;

/// Writes what this thread's remote sends queued (JS calls it once per
/// tick after sending).
#[napi]
pub fn cluster_flush() {
    if let Some(d) = CLUSTER.get() {
        d.flush_thread();
        crate::wake::sent();
    }
}

/// A message for process `to` of node `node`, within that process's
/// credit: 0 sent, a positive token when held for credit (a wake-up with
/// it comes once sent), `RemoteCode::Busy` when sent to a busy link, or
/// another `RemoteCode`, not sent (`OutOfCredit` and `LinkFull` only
/// when `refuse` is 1: the sender would not wait). The message is the
/// first `len` bytes of the thread's byte block (block.rs).
#[napi]
pub fn cluster_send() -> f64 {
    let [node, to, refuse, len] = slots();
    let Some(d) = CLUSTER.get() else {
        return outcome(None);
    };
    let thread = crate::current_thread();
    if len > SPLIT_OVER {
        let sent = with_block(0, len, |msg| {
            with_split(&Frame::Send { to, msg }, |head, body| {
                d.send_user_parts(node as u32, to, head, body, thread, refuse == 1)
            })
        });
        return outcome(sent);
    }
    let sent = with_block(0, len, |msg| {
        with_encoded(&Frame::Send { to, msg }, |frame| {
            d.send_user(node as u32, to, frame, thread, refuse == 1)
        })
    });
    outcome(sent)
}

/// What a user message's send did, as `cluster_send` returns it.
pub(crate) fn outcome(sent: Option<Sent>) -> f64 {
    let code = |c: RemoteCode| f64::from(c as i32);
    match sent {
        Some(Sent::Now) => 0.0,
        Some(Sent::Held(token)) => token as f64,
        Some(Sent::Busy) => code(RemoteCode::Busy),
        Some(Sent::LinkFull) => code(RemoteCode::LinkFull),
        Some(Sent::NotNode) | None => code(RemoteCode::NotANode),
        Some(Sent::Full) => code(RemoteCode::OutOfCredit),
    }
}

/// `Cluster::calm` for this thread; 0 when this runtime is not a node.
#[napi]
pub fn cluster_calm() -> f64 {
    let [node] = slots();
    let Some(d) = CLUSTER.get() else { return 0.0 };
    d.calm(node as u32, crate::current_thread()) as f64
}

/// Writes what the calling JS thread deferred for its node links before
/// its loop next polls, for frames nobody waits for (a call's demonitor).
/// False when it cannot (no libuv, or `BFLY_SPIN_US=0`): JS then flushes
/// from an immediate.
#[napi]
pub fn cluster_flush_later() -> bool {
    crate::wake::flush_at_prepare()
}

/// Returns credit to node `node` for user messages its processes' mailboxes
/// took: the thread's byte block holds `pairs` (process id, count) pairs of
/// native-endian f64s; count 0 says the process is gone. Deferred: it
/// leaves with the thread's next `cluster_flush`.
#[napi]
pub fn cluster_grant() {
    let [node, pairs] = slots();
    let Some(d) = CLUSTER.get() else { return };
    let f = |b: &[u8]| {
        let mut x = [0u8; 8];
        x.copy_from_slice(b);
        f64::from_ne_bytes(x)
    };
    let list = with_block(0, pairs.saturating_mul(16), |b| {
        b.chunks_exact(16)
            .map(|p| (f(&p[..8]) as Id, f(&p[8..]) as u32))
            .collect()
    });
    if let Some(list) = list {
        d.grant_deferred(node as u32, list);
    }
}

/// A message for the process registered as `name` on node `node`: the
/// message is the first `len` bytes of the thread's byte block, the name's
/// UTF-8 the `name_len` after them. As `cluster_send` answers, without
/// credit: 0, `Busy`, or not sent (`LinkFull` only when `refuse` is 1,
/// `NotANode` when this runtime is not a node).
#[napi]
pub fn cluster_send_name() -> f64 {
    let [node, len, name_len, refuse] = slots();
    let Some(d) = CLUSTER.get() else {
        return outcome(None);
    };
    let sent = with_block(0, len + name_len, |b| {
        let (msg, name) = b.split_at(len as usize);
        let name = std::str::from_utf8(name).ok()?;
        if len > SPLIT_OVER {
            return Some(with_split(&Frame::SendName { name, msg }, |head, body| {
                d.send_uncredited_parts(node as u32, head, body, refuse == 1)
            }));
        }
        Some(with_encoded(&Frame::SendName { name, msg }, |frame| {
            d.send_uncredited(node as u32, frame, refuse == 1)
        }))
    });
    outcome(sent.flatten())
}
