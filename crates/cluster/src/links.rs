//! The life of each link: accepting and dialing, the Hello exchange that
//! keeps one link per node pair, serving frames, and what a loss fires.

use crate::agent;
use crate::credit::Credit;
use crate::envelope::{Frame, FEAT_CREDIT};
use crate::node::{Dist, Local};
use crate::peer::{valid_name, Conn, Peer};
use bfly_core::departure::{down_signal_term, exit_signal_term, str_term};
use bfly_core::{Lane, NodeState};
use bfly_net::link::{connect, Link, LinkSender, Listener};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::time::timeout;

impl Dist {
    pub(crate) async fn accept_loop(&'static self, mut listener: Listener) {
        while let Ok(link) = listener.accept().await {
            self.rt.spawn(self.accepted(link));
        }
    }

    /// A peer connected: read its Hello, keep or refuse the link, then
    /// serve it.
    async fn accepted(&'static self, mut link: Link) {
        let Some(local) = self.local() else { return };
        let Ok(Ok(hello)) = timeout(local.limits.handshake, link.recv()).await else {
            return;
        };
        let Ok(Frame::Hello {
            name,
            addr,
            features,
        }) = Frame::decode(&hello)
        else {
            return;
        };
        if !valid_name(name) || name == local.name {
            return;
        }
        let peer = match self.peer(self.intern(name)) {
            Some(p) => p,
            None => return,
        };
        if !addr.is_empty() {
            *peer.addr.lock() = Some(addr.to_string());
        }
        let tx = link.sender();
        let gen = {
            let mut c = peer.conn.lock();
            let ok = match &*c {
                // Our own link crossed the peer's dial (both connected at
                // once, and ours came up first): the peer keeps ours.
                Conn::Up {
                    instance,
                    incoming: false,
                    ..
                } if *instance == link.peer => false,
                Conn::Up {
                    tx: old, instance, ..
                } => {
                    // The peer opened the link we have, and dials only when
                    // it has none: it restarted, or found that link dead
                    // (it was stopped, or the path cut) before this side did.
                    old.close();
                    let why = if *instance == link.peer {
                        "peer reconnected"
                    } else {
                        "peer restarted"
                    };
                    *c = Conn::Down;
                    self.fire_down(&local, &peer, why);
                    true
                }
                // Both sides connected at once: the link opened by the
                // node with the smaller name is the one both keep.
                Conn::Connecting { .. } => peer.name < local.name,
                Conn::Down => true,
            };
            // A dialer from before features gets the HelloAck it knows.
            let ack = Frame::HelloAck {
                ok,
                name: &local.name,
                addr: &local.addr,
                features: features.map(|_| local.features()),
            };
            if tx.send_now(&ack.encode()).is_err() || !ok {
                return;
            }
            let credit = local.features() & features.unwrap_or(0) & FEAT_CREDIT != 0;
            self.up(&local, &peer, &mut c, tx, link.peer, true, credit)
        };
        self.serve(local, peer, link, gen).await;
    }

    /// Connects to `peer` for the frames queued under `gen`.
    pub(crate) async fn dial(&'static self, local: Arc<Local>, peer: Arc<Peer>, gen: u64) {
        match self.dial_link(&local, &peer, gen).await {
            Ok(Some(link)) => self.serve(local, peer, link, gen).await,
            Ok(None) => {}
            Err(why) => self.failed(&local, &peer, gen, &why),
        }
    }

    async fn dial_link(
        &'static self,
        local: &Arc<Local>,
        peer: &Arc<Peer>,
        gen: u64,
    ) -> Result<Option<Link>, String> {
        let addr = peer.addr.lock().clone().ok_or_else(|| {
            format!(
                "no address is known for node '{0}'; call registerServer('{0}', 'host:port')",
                peer.name
            )
        })?;
        let mut link = connect(addr.as_str(), &local.cookie, local.instance, local.limits)
            .await
            .map_err(|f| match f.0 {
                "connect failed" => format!("cannot connect to '{}' at {addr}", peer.name),
                why => format!(
                    "the SL1 handshake with '{}' at {addr} failed ({why}): wrong cookie, or not a bfly node",
                    peer.name
                ),
            })?;
        let hello = Frame::Hello {
            name: &local.name,
            addr: &local.addr,
            features: Some(local.features()),
        };
        link.send(&hello.encode())
            .await
            .map_err(|f| f.to_string())?;
        let ack = timeout(local.limits.handshake, link.recv())
            .await
            .map_err(|_| format!("'{}' did not answer the Hello", peer.name))?
            .map_err(|f| f.to_string())?;
        let Ok(Frame::HelloAck {
            ok, name, features, ..
        }) = Frame::decode(&ack)
        else {
            return Err(format!(
                "'{}' answered the Hello with something else",
                peer.name
            ));
        };
        if name != peer.name {
            return Err(format!(
                "the node at {addr} is '{name}', not '{}'",
                peer.name
            ));
        }
        if !ok {
            // The peer keeps its own link to us; if it never comes, fail.
            let wait = local.limits.handshake * 2;
            let (local, peer) = (local.clone(), peer.clone());
            self.rt.spawn(async move {
                tokio::time::sleep(wait).await;
                self.failed(
                    &local,
                    &peer,
                    gen,
                    "the peer kept its own link, which never came up",
                );
            });
            return Ok(None);
        }
        let mut c = peer.conn.lock();
        if !matches!(&*c, Conn::Connecting { gen: g, .. } if *g == gen) {
            return Ok(None);
        }
        let credit = local.features() & features.unwrap_or(0) & FEAT_CREDIT != 0;
        self.up(local, peer, &mut c, link.sender(), link.peer, false, credit);
        Ok(Some(link))
    }

    /// Makes `tx` the peer's link: gossip first, then what was queued, in
    /// order, before any later send (the caller holds the state's lock).
    /// `credit` when both sides count it; otherwise frames held while
    /// connecting go out now, after the queue.
    #[allow(clippy::too_many_arguments)]
    fn up(
        &self,
        local: &Local,
        peer: &Peer,
        c: &mut Conn,
        tx: LinkSender,
        instance: [u8; 16],
        incoming: bool,
        credit: bool,
    ) -> u64 {
        let gen = match c {
            Conn::Connecting { gen, .. } => *gen,
            _ => self.gen.fetch_add(1, Ordering::Relaxed),
        };
        let known: Vec<(String, String)> = self
            .peers
            .read()
            .iter()
            .filter(|p| p.id != peer.id)
            .filter_map(|p| p.addr.lock().clone().map(|a| (p.name.clone(), a)))
            .collect();
        let list = known
            .iter()
            .map(|(n, a)| (n.as_str(), a.as_str()))
            .collect();
        let _ = tx.send_now(&Frame::Nodes { list }.encode());
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
        *c = Conn::Up {
            gen,
            tx,
            instance,
            incoming,
            credit: windows,
        };
        *peer.error.lock() = None;
        self.table.set_node_state(&peer.name, NodeState::Up);
        self.notify(local, agent::node_up(&peer.name));
        if let Some(addr) = peer.addr.lock().clone() {
            let news = Frame::Nodes {
                list: vec![(&peer.name, &addr)],
            }
            .encode();
            for p in self.peers.read().iter().filter(|p| p.id != peer.id) {
                if let Some(Conn::Up { tx, .. }) = p.conn.try_lock().as_deref() {
                    let _ = tx.send_now(&news);
                }
            }
        }
        gen
    }

    /// Reads and routes the link's frames until it fails.
    async fn serve(&'static self, local: Arc<Local>, peer: Arc<Peer>, mut link: Link, gen: u64) {
        let why = loop {
            match link.recv().await {
                Ok(m) => {
                    if let Err(e) = self.route(&local, &peer, &m) {
                        break format!("malformed frame from '{}': {}", peer.name, e.0);
                    }
                }
                Err(f) => break f.to_string(),
            }
        };
        let mut c = peer.conn.lock();
        if matches!(&*c, Conn::Up { gen: g, .. } if *g == gen) {
            *c = Conn::Down;
            *peer.error.lock() = Some(why.clone());
            self.fire_down(&local, &peer, &why);
        }
    }

    /// A connection attempt for `gen` failed: what was queued is dropped
    /// and relations made meanwhile fire.
    pub(crate) fn failed(&self, local: &Local, peer: &Peer, gen: u64, why: &str) {
        let mut c = peer.conn.lock();
        if !matches!(&*c, Conn::Connecting { gen: g, .. } if *g == gen) {
            return;
        }
        *c = Conn::Down;
        *peer.error.lock() = Some(why.to_string());
        self.fire_down(local, peer, why);
    }

    /// Every relation with `peer` fires once with 'noconnection'.
    pub(crate) fn fire_down(&self, local: &Local, peer: &Peer, why: &str) {
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
        self.notify(local, agent::node_down(&peer.name, why));
    }
}
