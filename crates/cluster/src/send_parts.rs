//! User messages sent as a frame's head and its message, never joined:
//! on an established link the two are sealed straight into the link's
//! queue (one copy of the message, into its frames), where encoding the
//! frame first copied a 64 KiB message once more. Whatever is not that
//! plain case (no link yet, a forgotten peer, no credit left) joins the
//! parts and takes send.rs's path, which copies there anyway.

use crate::credit::Sent;
use crate::node::Cluster;
use crate::peer::Conn;
use crate::send::{before, defer_all};
use bfly_core::{Id, NodeId, ThreadId};

impl Cluster {
    /// `send_uncredited` of the frame that is `head` then `body`.
    pub fn send_uncredited_parts(
        &'static self,
        node: NodeId,
        head: &[u8],
        body: &[u8],
        refuse: bool,
    ) -> Sent {
        if let Some(sent) = self.defer_up(node, None, &[head, body], refuse) {
            return sent;
        }
        self.send_uncredited(node, &[head, body].concat(), refuse)
    }

    /// `send_user` of the `Send` frame that is `head` then `body`.
    pub fn send_user_parts(
        &'static self,
        node: NodeId,
        to: Id,
        head: &[u8],
        body: &[u8],
        thread: ThreadId,
        refuse: bool,
    ) -> Sent {
        if let Some(sent) = self.defer_up(node, Some(to), &[head, body], refuse) {
            return sent;
        }
        self.send_user(node, to, &[head, body].concat(), thread, refuse)
    }

    /// Defers `parts` on `node`'s established link, taking a credit toward
    /// `to` first when given, and says what that did; None (nothing done)
    /// when the link is not up, its peer was forgotten or credit is out:
    /// the caller then takes the general path, which does each of those.
    fn defer_up(
        &'static self,
        node: NodeId,
        to: Option<Id>,
        parts: &[&[u8]],
        refuse: bool,
    ) -> Option<Sent> {
        // What this thread queued earlier goes first (send.rs, `before_sending`).
        before();
        let local = self.local()?;
        let peer = self.peer(node)?;
        let mut c = peer.conn.lock();
        if peer.forgotten() || !matches!(*c, Conn::Up { .. }) {
            return None;
        }
        if refuse && c.busy(local.limits.busy()) {
            return Some(Sent::LinkFull);
        }
        if let (Some(to), Some(credit)) = (to, c.credit()) {
            if !credit.take(to) {
                return None;
            }
        }
        let Conn::Up { tx, .. } = &*c else {
            return None;
        };
        Some(if defer_all(tx, std::iter::once(parts)) {
            Sent::Busy
        } else {
            Sent::Now
        })
    }
}
