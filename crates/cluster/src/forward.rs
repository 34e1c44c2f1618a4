//! Monitors this node forwarded on behalf of a peer: a monitor by name
//! that arrives for an alias (a name registered here for a service of
//! another node, `registerService(name, remoteService(...))`) goes on to
//! that node. Should that node be unreachable, or its link be lost, the
//! watcher hears it from here at once, with reason
//! `['noconnection', node]`, as a direct call hears it from its own link;
//! otherwise it would wait for its call's timeout.

use crate::envelope::Frame;
use crate::node::Cluster;
use crate::peer::Peer;
use bfly_core::{Id, NodeId};
use rmp::encode as e;

/// Forwarded monitors kept per target node; past this the oldest is
/// forgotten (its watcher falls back to its own timeout). Entries leave
/// when the watcher demonitors (a call that got its answer does).
const MAX_PER_NODE: usize = 4096;

/// One forwarded monitor: who watches (node and process) and its ref.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Forwarded {
    pub(crate) origin: NodeId,
    pub(crate) watcher: Id,
    pub(crate) r: Id,
}

impl Cluster {
    /// Monitor `f` was forwarded to node `to`.
    pub(crate) fn forwarded(&self, to: NodeId, f: Forwarded) {
        let Some(p) = self.peer(to) else { return };
        let mut list = p.forwarded.lock();
        if list.len() >= MAX_PER_NODE {
            list.remove(0);
        }
        list.push(f);
    }

    /// Monitor `r` of node `origin`, forwarded to node `to`, was ended.
    pub(crate) fn unforwarded(&self, to: NodeId, origin: NodeId, r: Id) {
        if let Some(p) = self.peer(to) {
            p.forwarded
                .lock()
                .retain(|f| !(f.origin == origin && f.r == r));
        }
    }

    /// `peer` is unreachable: each monitor forwarded to it gets its DOWN
    /// from here. Sent from a task, after the caller has let go of the
    /// peer's state (sending locks the watcher's node).
    pub(crate) fn forwards_lost(&'static self, peer: &Peer) {
        let lost = std::mem::take(&mut *peer.forwarded.lock());
        if lost.is_empty() {
            return;
        }
        let mut reason = Vec::with_capacity(16 + peer.name.len());
        let _ = e::write_array_len(&mut reason, 2);
        let _ = e::write_str(&mut reason, "noconnection");
        let _ = e::write_str(&mut reason, &peer.name);
        let gone = peer.id;
        self.rt.spawn(async move {
            // A watcher on the lost node itself hears of it from its own link.
            for f in lost.into_iter().filter(|f| f.origin != gone) {
                let down = Frame::Down {
                    watcher: f.watcher,
                    r: f.r,
                    target: 0,
                    reason: &reason,
                };
                self.send(f.origin, &down.encode());
            }
        });
    }
}
