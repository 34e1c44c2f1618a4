//! Credit across a link, the node's side of credit.rs's windows: grants
//! coming in (units back, frames that waited for them go out), grants
//! going out for messages this node's mailboxes took, and what a JS
//! thread's send batch may queue within a window.

use crate::envelope::{Frame, MAX_GRANTS};
use crate::node::Cluster;
use crate::peer::{Conn, Peer};
use crate::send::defer;
use bfly_core::{Id, NodeId};
use std::sync::atomic::Ordering;

impl Cluster {
    /// How many more user messages to process `to` of `node` would be
    /// sent at once now, one after another: what is left of its credit
    /// window (u32::MAX when the peer counts none; 0 while messages to it
    /// wait for credit, or while `node` is not being connected to).
    pub fn credit_left(&'static self, node: NodeId, to: Id) -> u32 {
        let Some(peer) = self.peer(node) else {
            return 0;
        };
        let mut c = peer.conn.lock();
        c.credit().map_or(0, |credit| credit.left(to))
    }

    /// A `Grant` from `peer`: credit back for its processes, and frames
    /// that waited for it go out.
    pub(crate) fn granted(&self, peer: &Peer, list: &[(Id, u32)]) {
        let mut c = peer.conn.lock();
        if let Conn::Up { tx, credit, .. } = &mut *c {
            for &(to, n) in list {
                credit.grant(to, n, tx);
            }
            tx.flush();
            credit.wake();
        }
    }

    /// Process `id` of `peer` is gone (its exit signal or DOWN came): what
    /// waits for it is dropped.
    pub(crate) fn gone(&self, peer: &Peer, id: Id) {
        if let Some(credit) = peer.conn.lock().credit() {
            credit.forget(id);
            credit.wake();
        }
    }

    /// Frames held for want of credit toward node `node` (tests, metrics).
    pub fn held(&self, node: NodeId) -> usize {
        self.peer(node)
            .and_then(|p| p.conn.lock().credit().map(|c| c.held()))
            .unwrap_or(0)
    }

    /// Grants `list` to `node` (messages to dead processes, from the reader).
    pub fn grant(&'static self, node: NodeId, list: Vec<(Id, u32)>) {
        self.grant_as(node, list, false);
    }

    /// Grants `list` to `node` from a JS thread whose drain took those
    /// messages: deferred to that thread's `flush_thread`, so a grant rides
    /// in the same write as what the thread sends back (a grant sent at
    /// once woke the writer task per drained batch).
    pub fn grant_deferred(&'static self, node: NodeId, list: Vec<(Id, u32)>) {
        self.grant_as(node, list, true);
    }

    fn grant_as(&'static self, node: NodeId, list: Vec<(Id, u32)>, deferred: bool) {
        let Some(p) = self.peer(node) else { return };
        if list.is_empty() || !p.grants.load(Ordering::Relaxed) {
            return;
        }
        // Only over the link the messages came by: a new link starts afresh.
        let c = p.conn.lock();
        if let Conn::Up { tx, .. } = &*c {
            for part in list.chunks(MAX_GRANTS) {
                let f = Frame::Grant {
                    list: part.to_vec(),
                }
                .encode();
                if deferred {
                    defer(tx, &f);
                } else {
                    let _ = tx.send_now(&f);
                }
            }
        }
    }
}
