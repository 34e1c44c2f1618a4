//! The peer directory: node names to `NodeId`s and back, and forgetting
//! the peers nothing needs any more (issue 14, finding 3).
//!
//! A peer is kept while it has a link or a connection attempt, a relation
//! in the process table (a link or monitor with one of its processes), a
//! monitor forwarded to it for an alias (forward.rs), or an address this
//! node's program registered. Otherwise it is idle, and an
//! idle peer is forgotten after `FORGET_AFTER`, or sooner, oldest first,
//! when more than `MAX_IDLE` are idle: every name that ever said Hello or
//! came in gossip no longer stays for the life of the OS process.
//!
//! Ids are never reused. JS threads cache ids by name (src/peers.ts); a
//! forgotten peer's id still resolves, through `retired`, to whatever the
//! name is now interned as, and `epoch` tells JS to drop its cache. Ops
//! that make relations hold the `gate` for reading, so a sweep (which
//! holds it for writing) never forgets a peer a relation is being made to.

use crate::node::Cluster;
use crate::peer::{now_ms, Conn, Peer};
use bfly_core::NodeId;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Idle peers kept at most; past this, the oldest are forgotten.
pub const MAX_IDLE: usize = 1024;
/// How long an idle peer is kept.
pub const FORGET_AFTER: Duration = Duration::from_secs(60);
/// Forgotten ids that still resolve by name (for JS caches not yet cleared).
const RETIRED: usize = 16_384;
/// How often idle peers are looked for.
pub(crate) const SWEEP_EVERY: Duration = Duration::from_secs(10);

#[derive(Default)]
pub(crate) struct Directory {
    by_id: FxHashMap<NodeId, Arc<Peer>>,
    by_name: FxHashMap<String, NodeId>,
    last: NodeId,
    retired: FxHashMap<NodeId, String>,
    retired_order: VecDeque<NodeId>,
    /// The size past which an intern sweeps.
    sweep_at: usize,
}

impl Directory {
    pub(crate) fn all(&self) -> impl Iterator<Item = &Arc<Peer>> {
        self.by_id.values()
    }

    fn retire(&mut self, id: NodeId, name: String) {
        self.by_id.remove(&id);
        self.by_name.remove(&name);
        self.retired.insert(id, name);
        self.retired_order.push_back(id);
        while self.retired_order.len() > RETIRED {
            if let Some(old) = self.retired_order.pop_front() {
                self.retired.remove(&old);
            }
        }
    }
}

impl Cluster {
    /// The id of node `name`, interning it on first use.
    pub fn intern(&self, name: &str) -> NodeId {
        if let Some(&id) = self.dir.read().by_name.get(name) {
            return id;
        }
        let (id, sweep) = {
            let mut d = self.dir.write();
            if let Some(&id) = d.by_name.get(name) {
                return id;
            }
            d.last += 1;
            let id = d.last;
            d.by_id.insert(id, Arc::new(Peer::new(id, name)));
            d.by_name.insert(name.to_string(), id);
            (id, d.by_id.len() > d.sweep_at.max(MAX_IDLE))
        };
        if sweep {
            // The sweeper task runs it (here a lock of the caller's could be held).
            self.sweeper.notify_one();
        }
        id
    }

    /// Peer `id`; a forgotten id resolves to its name's peer now.
    pub(crate) fn peer(&self, id: NodeId) -> Option<Arc<Peer>> {
        let name = {
            let d = self.dir.read();
            if let Some(p) = d.by_id.get(&id) {
                return Some(p.clone());
            }
            d.retired.get(&id)?.clone()
        };
        let id = self.intern(&name);
        self.dir.read().by_id.get(&id).cloned()
    }

    /// The live id of `id` (itself unless it was forgotten).
    pub fn live(&self, id: NodeId) -> NodeId {
        self.peer(id).map_or(id, |p| p.id)
    }

    /// Bumped whenever peers are forgotten: JS drops its cached ids.
    pub fn epoch(&self) -> u32 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Peers in the directory (tests, metrics).
    pub fn known(&self) -> usize {
        self.dir.read().by_id.len()
    }

    /// Runs `f` (which makes a relation with node `id`) where no sweep can
    /// forget that node meanwhile; `f` gets the live id.
    pub fn relate<T>(&self, id: NodeId, f: impl FnOnce(NodeId) -> T) -> T {
        let _gate = self.gate.read_recursive();
        f(self.live(id))
    }

    /// Sweeps every `SWEEP_EVERY`, and when an intern finds the directory
    /// past its size (runs on the node's runtime until stopped).
    pub(crate) async fn sweeper(&'static self) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(SWEEP_EVERY) => {}
                _ = self.sweeper.notified() => {}
            }
            self.sweep();
        }
    }

    /// Forgets the idle peers (see the module doc); returns how many. Not
    /// to be called with the gate held.
    pub fn sweep(&self) -> usize {
        let _gate = self.gate.write();
        let peers: Vec<Arc<Peer>> = self.dir.read().all().cloned().collect();
        let mut idle: Vec<(u64, Arc<Peer>)> = peers
            .into_iter()
            .filter(|p| !p.registered.load(Ordering::Relaxed))
            .filter(|p| matches!(p.conn.try_lock().as_deref(), Some(Conn::Down)))
            .filter(|p| self.table.related_to(p.id) == 0 && p.forwarded.lock().is_empty())
            .map(|p| (p.since(), p))
            .collect();
        idle.sort_by_key(|(since, _)| *since);
        let over = idle.len().saturating_sub(MAX_IDLE * 3 / 4);
        let now = now_ms();
        let mut gone = Vec::new();
        for (i, (since, p)) in idle.into_iter().enumerate() {
            if i >= over && now.saturating_sub(since) < FORGET_AFTER.as_millis() as u64 {
                break;
            }
            // Still idle now that its state is locked? (A send may have
            // started a connection since.)
            let Some(c) = p.conn.try_lock() else { continue };
            if !matches!(*c, Conn::Down) || p.since() != since {
                continue;
            }
            p.forgotten.store(true, Ordering::Release);
            drop(c);
            gone.push(p);
        }
        {
            let mut d = self.dir.write();
            for p in &gone {
                d.retire(p.id, p.name.clone());
            }
            d.sweep_at = d.by_id.len() + MAX_IDLE / 4;
        }
        for p in &gone {
            self.table.forget_node(&p.name);
        }
        if !gone.is_empty() {
            self.epoch.fetch_add(1, Ordering::AcqRel);
        }
        gone.len()
    }

    /// Up to `max` (name, address) pairs for a new link's gossip: peers
    /// with a link first, then registered ones, then the most recent.
    pub(crate) fn gossip(&self, exclude: NodeId, max: usize) -> Vec<(String, String)> {
        let mut known: Vec<(u8, std::cmp::Reverse<u64>, Arc<Peer>)> = self
            .dir
            .read()
            .all()
            .filter(|p| p.id != exclude && !p.hidden.load(Ordering::Relaxed))
            .map(|p| {
                let rank = if p.linked.load(Ordering::Relaxed) {
                    0
                } else if p.registered.load(Ordering::Relaxed) {
                    1
                } else {
                    2
                };
                (rank, std::cmp::Reverse(p.since()), p.clone())
            })
            .collect();
        // The best `max` (with an address) without sorting them all.
        let key = |x: &(u8, std::cmp::Reverse<u64>, Arc<Peer>)| (x.0, x.1);
        let mut out = Vec::with_capacity(max.min(known.len()));
        while out.len() < max && !known.is_empty() {
            let want = (max - out.len()).min(known.len());
            if want < known.len() {
                known.select_nth_unstable_by_key(want - 1, key);
            }
            let rest = known.split_off(want);
            out.extend(
                known
                    .drain(..)
                    .filter_map(|(_, _, p)| Some((p.name.clone(), p.addr.lock().clone()?))),
            );
            known = rest;
        }
        out
    }
}
