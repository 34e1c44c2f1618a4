//! The life of a link once the Hello exchange kept it (hello.rs): making
//! it the peer's, serving its frames, and what a failure or a loss fires.

use crate::agent;
use crate::credit::Credit;
use crate::envelope::{Frame, FEAT_BATCH, FEAT_CREDIT, MAX_GOSSIP};
use crate::node::{Cluster, Local};
use crate::peer::{Conn, Peer};
use crate::posts::RouteSink;
use bfly_core::departure::{down_signal_term, exit_signal_term, str_term};
use bfly_core::{Lane, NodeState};
use bfly_net::link::{Link, LinkSender};
use std::sync::atomic::Ordering;
use std::sync::Arc;

impl Cluster {
    /// Makes `tx` the peer's link: gossip first, then what was queued, in
    /// order, before any later send (the caller holds the state's lock).
    /// `credit` when both sides count it; otherwise frames held while
    /// connecting go out now, after the queue.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn up(
        &self,
        local: &Local,
        peer: &Peer,
        c: &mut Conn,
        tx: LinkSender,
        instance: [u8; 16],
        incoming: bool,
        agreed: u8,
    ) -> u64 {
        let credit = agreed & FEAT_CREDIT != 0;
        let gen = match c {
            Conn::Connecting { gen, .. } => *gen,
            _ => self.gen.fetch_add(1, Ordering::Relaxed),
        };
        // A hidden node tells no one of the nodes it knows.
        if !local.hidden {
            let known = self.gossip(peer.id, MAX_GOSSIP);
            let list = known
                .iter()
                .map(|(n, a)| (n.as_str(), a.as_str()))
                .collect();
            let _ = tx.send_now(&Frame::Nodes { list }.encode());
        }
        let mut windows = Credit::new(self.threads, local.credit);
        if let Conn::Connecting { queue, credit, .. } = c {
            for f in queue.drain(..) {
                let _ = tx.send_now(&f);
            }
            std::mem::swap(&mut windows, credit);
        }
        if !credit {
            for f in windows.turn_off() {
                let _ = tx.send_now(&f);
            }
        }
        peer.grants.store(credit, Ordering::Relaxed);
        // From here on, what this node's threads send in a burst may leave
        // in batch frames (the Hello exchange went unbatched).
        tx.batch(agreed & FEAT_BATCH != 0);
        *c = Conn::Up {
            gen,
            tx,
            instance,
            incoming,
            credit: windows,
        };
        peer.touch(true);
        *peer.error.lock() = None;
        self.table.set_node_state(&peer.name, NodeState::Up);
        self.notify(local, agent::node_up(&peer.name));
        let hidden = peer.hidden.load(Ordering::Relaxed);
        let news = !hidden && !local.hidden && !peer.told.swap(true, Ordering::Relaxed);
        if let Some(addr) = peer.addr.lock().clone().filter(|_| news) {
            let news = Frame::Nodes {
                list: vec![(&peer.name, &addr)],
            }
            .encode();
            let linked = |p: &&Arc<Peer>| p.id != peer.id && p.linked.load(Ordering::Relaxed);
            for p in self.dir.read().all().filter(linked) {
                if let Some(Conn::Up { tx, .. }) = p.conn.try_lock().as_deref() {
                    let _ = tx.send_now(&news);
                }
            }
        }
        gen
    }

    /// Reads and routes the link's frames until it fails: on the runtime,
    /// or on the host's thread when it takes the link (see `set_host`). A
    /// frame that does not decode exactly (a value included) closes the
    /// link: the reason, with the peer's name, is in its 'nodedown' notice.
    pub(crate) async fn serve(
        &'static self,
        local: Arc<Local>,
        peer: Arc<Peer>,
        link: Link,
        gen: u64,
    ) {
        let sink = Box::new(RouteSink::new(self, local.clone(), peer.clone()));
        let (reader, run) = link.serve(sink);
        if let Some(host) = self.host.read().as_ref() {
            host(reader);
        }
        let why = run.await;
        let mut c = peer.conn.lock();
        if matches!(&*c, Conn::Up { gen: g, .. } if *g == gen) {
            *c = Conn::Down;
            *peer.error.lock() = Some(why.clone());
            self.fire_down(&local, &peer, &why);
        }
    }

    /// A connection attempt for `gen` failed: what was queued is dropped
    /// and relations made meanwhile fire.
    pub(crate) fn failed(&'static self, local: &Local, peer: &Peer, gen: u64, why: &str) {
        let mut c = peer.conn.lock();
        let quiet = match &*c {
            Conn::Connecting {
                gen: g,
                mesh,
                queue,
                ..
            } if *g == gen => *mesh && queue.is_empty(),
            _ => return,
        };
        *c = Conn::Down;
        *peer.error.lock() = Some(why.to_string());
        // A mesh attempt nothing was sent on lost no link: nothing to tell.
        self.lose(local, peer, why, !quiet);
    }

    /// Every relation with `peer` fires once with 'noconnection', and so do
    /// the monitors forwarded to it for an alias (forward.rs).
    pub(crate) fn fire_down(&'static self, local: &Local, peer: &Peer, why: &str) {
        self.lose(local, peer, why, true);
    }

    /// As `fire_down`; the agent hears of it only when `tell`.
    fn lose(&'static self, local: &Local, peer: &Peer, why: &str, tell: bool) {
        peer.touch(false);
        peer.told.store(false, Ordering::Relaxed);
        self.forwards_lost(peer);
        self.table.set_node_state(&peer.name, NodeState::Down);
        peer.grants.store(false, Ordering::Relaxed);
        let loss = self.table.node_down(peer.id);
        let reason = str_term("noconnection");
        for (id, r) in loss.exits {
            self.post(
                id,
                Lane::Signal,
                exit_signal_term(&peer.name, r, &reason, false),
            );
        }
        for (w, r, t) in loss.downs {
            self.post(
                w,
                Lane::Signal,
                down_signal_term(&local.name, r, &peer.name, t, &reason),
            );
        }
        if tell {
            self.notify(local, agent::node_down(&peer.name, why));
        }
    }
}
