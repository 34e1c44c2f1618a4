//! Links that no send asked for: probes of addresses whose node is not
//! known yet (seeds, discovery), and the full mesh (`connect_all`), which
//! dials every node a linked peer names. Both make their links through
//! hello.rs.

use crate::agent;
use crate::credit::Credit;
use crate::hello::Answer;
use crate::node::{Cluster, Local};
use crate::peer::{Conn, Peer};
use std::sync::atomic::Ordering;
use std::sync::Arc;

impl Cluster {
    /// Links with the node at `addr`, whose name is not known yet (a seed,
    /// or an address discovery resolved): its HelloAck names it. Nothing
    /// happens when a peer at that address is linked or being linked, or
    /// a probe of it is under way. A failure to connect is quiet (the next
    /// round of discovery tries again); a refusal is reported, as it says
    /// something is wrong (this node's name is taken, its key not pinned).
    pub fn probe(&'static self, addr: &str) {
        let Some(local) = self.local() else { return };
        if addr == local.addr {
            return;
        }
        let busy = self.dir.read().all().any(|p| {
            p.addr.lock().as_deref() == Some(addr)
                && !matches!(p.conn.try_lock().as_deref(), Some(Conn::Down))
        });
        if busy || !self.probing.lock().insert(addr.to_string()) {
            return;
        }
        let addr = addr.to_string();
        self.rt.spawn(async move {
            let a = self.hello(&local, &addr, None).await;
            self.probing.lock().remove(&addr);
            match a {
                Ok(a) => self.probed(local, a).await,
                Err(why) if why.contains("refused the link") => {
                    self.notify(&local, agent::notice("discover", &addr, &why))
                }
                Err(_) => {}
            }
        });
    }

    /// A probe's answer: the link becomes its node's, unless that node
    /// has one already (or keeps its own link to this one).
    async fn probed(&'static self, local: Arc<Local>, a: Answer) {
        if !a.ok || a.name == local.name {
            return;
        }
        let Some(peer) = self.peer(self.intern(&a.name)) else {
            return;
        };
        let gen = {
            let mut c = peer.conn.lock();
            if peer.forgotten() || matches!(&*c, Conn::Up { .. }) {
                return;
            }
            *peer.addr.lock() = Some(a.addr.clone());
            self.adopt(&local, &peer, &mut c, &a)
        };
        self.serve(local, peer, a.link, gen).await;
    }

    /// Starts a link to `peer` for the mesh (`connect_all`) unless it has
    /// one or one is being made.
    pub(crate) fn mesh(&'static self, peer: Arc<Peer>) {
        let Some(local) = self.local() else { return };
        let gen = {
            let mut c = peer.conn.lock();
            if peer.forgotten() || !matches!(&*c, Conn::Down) {
                return;
            }
            let gen = self.gen.fetch_add(1, Ordering::Relaxed);
            *c = Conn::Connecting {
                gen,
                queue: Vec::new(),
                bytes: 0,
                credit: Credit::new(self.threads, local.credit),
                mesh: true,
            };
            gen
        };
        self.rt.spawn(self.dial(local, peer, gen));
    }
}
