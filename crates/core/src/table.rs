//! The process table: which pids are alive, which thread owns each, and the
//! links and monitors between them.
//!
//! Every operation takes one lock, so a link, a monitor or a spawn-and-link
//! is all-or-none with respect to a concurrent exit: a process that is being
//! removed either sees the new link in its exit effects, or the caller is
//! told the target is gone (`NoProc`). Nothing is ever half-linked.

use crate::remote::{NodeId, RemoteRel};
use crate::systable::SysTable;
use bfly_stm::{Stm, Wake};
use parking_lot::Mutex;
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// A process id, unique for the life of the OS process (never reused).
/// Kept below 2^53 so it round-trips through a JS number.
pub type Id = u64;
/// A monitor or call reference, unique for the life of the OS process.
pub type RefId = u64;
/// The JS thread (N-API environment) that runs a process (defined in
/// `bfly_stm`, the lowest crate that names threads).
pub use bfly_stm::ThreadId;

/// The target of a link or monitor is not (or no longer) alive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoProc;

/// What a process leaves behind when it exits: whom to signal.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Exited {
    /// Processes linked to the one that exited (each gets an exit signal).
    pub links: Vec<Id>,
    /// Monitors on the one that exited: `(ref, watcher)`; each gets one DOWN.
    pub monitors: Vec<(RefId, Id)>,
    /// Names that were registered to it and are now free.
    pub names: Vec<Box<str>>,
    /// Its relations with processes on other nodes, if it had any.
    pub remote: Option<Box<RemoteRel>>,
}

#[derive(Default)]
pub(crate) struct Relations {
    pub(crate) links: Vec<Id>,
    /// Monitors others hold on this process: (ref, watcher).
    pub(crate) monitored_by: Vec<(RefId, Id)>,
    /// Monitors this process holds on others: (ref, target).
    pub(crate) watching: Vec<(RefId, Id)>,
    pub(crate) names: Vec<Box<str>>,
    pub(crate) remote: Option<Box<RemoteRel>>,
}

pub(crate) struct Entry {
    pub(crate) owner: ThreadId,
    /// Boxed and absent for the common idle process with no relations, so
    /// an entry costs 16 bytes plus the map's slot.
    pub(crate) rel: Option<Box<Relations>>,
}

impl Entry {
    pub(crate) fn rel(&mut self) -> &mut Relations {
        self.rel.get_or_insert_with(Default::default)
    }
}

pub(crate) struct Inner {
    pub(crate) procs: FxHashMap<Id, Entry>,
    /// For each remote node, the local processes with relations to it.
    pub(crate) by_node: FxHashMap<NodeId, FxHashSet<Id>>,
}

impl Inner {
    /// Adds live process `id` owned by `owner`, linked both ways to
    /// `parent` when given; `NoProc` (and nothing added) when the parent is
    /// dead. The one place a process enters the table with relations.
    pub(crate) fn insert(
        &mut self,
        id: Id,
        owner: ThreadId,
        parent: Option<Id>,
    ) -> Result<&mut Entry, NoProc> {
        let mut e = Entry { owner, rel: None };
        if let Some(parent) = parent {
            self.procs
                .get_mut(&parent)
                .ok_or(NoProc)?
                .rel()
                .links
                .push(id);
            e.rel().links.push(parent);
        }
        Ok(self.procs.entry(id).or_insert(e))
    }
}

/// The table of every live process of this OS process, across all threads.
pub struct ProcessTable {
    pub(crate) inner: Mutex<Inner>,
    next_id: AtomicU64,
    /// Registered names and aliases, written under `inner`'s lock.
    pub(crate) names: SysTable,
    /// The node table (`nodetable`).
    pub(crate) nodes: SysTable,
    /// Posts `retry` wake-ups that a write to a system table caused.
    waker: OnceLock<fn(Vec<Wake>)>,
}

/// Buckets of the names table: a few dozen names per bucket at 10,000.
const NAME_BUCKETS: usize = 256;
/// Buckets of the node table (clusters have tens of nodes, not thousands).
const NODE_BUCKETS: usize = 16;

impl Default for ProcessTable {
    fn default() -> Self {
        Self::new()
    }
}

impl ProcessTable {
    /// An empty table with its own STM. Ids start at 1 (0 is reserved for
    /// "no process").
    pub fn new() -> Self {
        Self::with_stm(Arc::new(Stm::new()))
    }

    /// An empty table whose system tables live in `stm` (the store user
    /// transactions use, so that they can read names with their TVars).
    pub fn with_stm(stm: Arc<Stm>) -> Self {
        ProcessTable {
            inner: Mutex::new(Inner {
                procs: FxHashMap::default(),
                by_node: FxHashMap::default(),
            }),
            next_id: AtomicU64::new(1),
            names: SysTable::new(stm.clone(), NAME_BUCKETS),
            nodes: SysTable::new(stm, NODE_BUCKETS),
            waker: OnceLock::new(),
        }
    }

    /// The STM holding this table's system tables.
    pub fn stm(&self) -> &Arc<Stm> {
        self.names.stm()
    }

    /// Sets how `retry` waiters woken by a system-table write are posted
    /// (the binding sends them to their threads). Only the first call counts.
    pub fn set_waker(&self, f: fn(Vec<Wake>)) {
        let _ = self.waker.set(f);
    }

    /// Posts `wakes` (never under the table lock).
    pub fn wake(&self, wakes: Vec<Wake>) {
        if wakes.is_empty() {
            return;
        }
        if let Some(f) = self.waker.get() {
            f(wakes)
        }
    }

    /// Reserves `n` consecutive fresh ids (for refs minted without the
    /// lock) and returns the first.
    pub fn reserve(&self, n: u64) -> Id {
        self.next_id.fetch_add(n, Ordering::Relaxed)
    }

    /// Adds a new live process owned by `owner` and returns its id.
    pub fn spawn(&self, owner: ThreadId) -> Id {
        let id = self.reserve(1);
        self.inner
            .lock()
            .procs
            .insert(id, Entry { owner, rel: None });
        id
    }

    /// Spawns a process linked to `parent` in one step: if `parent` is not
    /// alive nothing is created.
    pub fn spawn_link(&self, owner: ThreadId, parent: Id) -> Result<Id, NoProc> {
        let id = self.reserve(1);
        self.inner.lock().insert(id, owner, Some(parent))?;
        Ok(id)
    }

    /// Links `a` and `b` both ways. Idempotent; `a == b` does nothing.
    /// `Err(NoProc)` when either is gone (nothing changes then).
    pub fn link(&self, a: Id, b: Id) -> Result<(), NoProc> {
        let mut g = self.inner.lock();
        if !g.procs.contains_key(&a) || !g.procs.contains_key(&b) {
            return Err(NoProc);
        }
        if a == b {
            return Ok(());
        }
        let ra = g.procs.get_mut(&a).ok_or(NoProc)?.rel();
        if ra.links.contains(&b) {
            return Ok(());
        }
        ra.links.push(b);
        g.procs.get_mut(&b).ok_or(NoProc)?.rel().links.push(a);
        Ok(())
    }

    /// Removes the link between `a` and `b` if there is one.
    pub fn unlink(&self, a: Id, b: Id) {
        let mut g = self.inner.lock();
        for (x, y) in [(a, b), (b, a)] {
            if let Some(r) = g.procs.get_mut(&x).and_then(|e| e.rel.as_mut()) {
                r.links.retain(|&l| l != y);
            }
        }
    }

    /// `watcher` starts monitoring `target`; returns the monitor's ref.
    /// `Err(NoProc)` when `target` is gone (the caller then delivers
    /// `DOWN noproc` itself with a fresh ref).
    pub fn monitor(&self, watcher: Id, target: Id) -> Result<RefId, NoProc> {
        let mut g = self.inner.lock();
        if !g.procs.contains_key(&target) {
            return Err(NoProc);
        }
        let r = self.reserve(1);
        g.procs
            .get_mut(&target)
            .ok_or(NoProc)?
            .rel()
            .monitored_by
            .push((r, watcher));
        // A watcher outside the table (e.g. a caller that is not a process)
        // simply keeps no back reference.
        if let Some(w) = g.procs.get_mut(&watcher) {
            w.rel().watching.push((r, target));
        }
        Ok(r)
    }

    /// Removes the monitor `r` held by `watcher`. Returns whether it was
    /// still active (false once its DOWN was produced).
    pub fn demonitor(&self, watcher: Id, r: RefId) -> bool {
        let mut g = self.inner.lock();
        let target = g
            .procs
            .get_mut(&watcher)
            .and_then(|e| e.rel.as_mut())
            .and_then(|rel| {
                let i = rel.watching.iter().position(|&(x, _)| x == r)?;
                Some(rel.watching.swap_remove(i).1)
            });
        let Some(target) = target else { return false };
        match g.procs.get_mut(&target).and_then(|e| e.rel.as_mut()) {
            Some(rel) => {
                let before = rel.monitored_by.len();
                rel.monitored_by.retain(|&(x, _)| x != r);
                rel.monitored_by.len() != before
            }
            None => false,
        }
    }

    /// Removes `id` from the table and returns whom to notify. `None` when
    /// it was already gone (an exit happens once). Links and monitors are
    /// removed from the other side too, so no stale relation outlives it.
    pub fn exit(&self, id: Id) -> Option<Exited> {
        let (x, wakes) = self.remove(id)?;
        self.wake(wakes);
        Some(x)
    }

    fn remove(&self, id: Id) -> Option<(Exited, Vec<Wake>)> {
        let mut g = self.inner.lock();
        let e = g.procs.remove(&id)?;
        let Some(rel) = e.rel else {
            return Some((Exited::default(), Vec::new()));
        };
        let Relations {
            links,
            monitored_by,
            watching,
            names,
            remote,
        } = *rel;
        for &l in &links {
            if let Some(r) = g.procs.get_mut(&l).and_then(|e| e.rel.as_mut()) {
                r.links.retain(|&x| x != id);
            }
        }
        for &(r, target) in &watching {
            if let Some(t) = g.procs.get_mut(&target).and_then(|e| e.rel.as_mut()) {
                t.monitored_by.retain(|&(x, _)| x != r);
            }
        }
        for &(r, watcher) in &monitored_by {
            if let Some(w) = g.procs.get_mut(&watcher).and_then(|e| e.rel.as_mut()) {
                w.watching.retain(|&(x, _)| x != r);
            }
        }
        let wakes = self.free_names(&names);
        if let Some(r) = &remote {
            g.forget_remote(id, r);
        }
        let x = Exited {
            links,
            monitors: monitored_by,
            names,
            remote,
        };
        Some((x, wakes))
    }

    /// The thread that owns `id`, if it is alive.
    pub fn owner(&self, id: Id) -> Option<ThreadId> {
        self.inner.lock().procs.get(&id).map(|e| e.owner)
    }

    /// The owner of each of `ids` (None for a dead one), under one lock;
    /// a run of one id (a stream to one process) is looked up once.
    pub fn owners(&self, ids: impl Iterator<Item = Id>) -> Vec<Option<ThreadId>> {
        let g = self.inner.lock();
        let mut last = None;
        ids.map(|id| match last {
            Some((l, owner)) if l == id => owner,
            _ => {
                let owner = g.procs.get(&id).map(|e| e.owner);
                last = Some((id, owner));
                owner
            }
        })
        .collect()
    }

    /// Whether `id` is alive.
    pub fn alive(&self, id: Id) -> bool {
        self.inner.lock().procs.contains_key(&id)
    }

    /// How many processes are alive.
    pub fn len(&self) -> usize {
        self.inner.lock().procs.len()
    }

    /// Whether no process is alive.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The processes linked to `id` (empty when it has none or is gone).
    pub fn links_of(&self, id: Id) -> Vec<Id> {
        let g = self.inner.lock();
        g.procs
            .get(&id)
            .and_then(|e| e.rel.as_ref())
            .map(|r| r.links.clone())
            .unwrap_or_default()
    }

    /// Removes every process owned by `owner` (its thread is gone) and
    /// returns each one's exit effects, for the runtime to signal.
    pub fn exit_thread(&self, owner: ThreadId) -> Vec<(Id, Exited)> {
        let ids: Vec<Id> = {
            let g = self.inner.lock();
            g.procs
                .iter()
                .filter(|(_, e)| e.owner == owner)
                .map(|(&id, _)| id)
                .collect()
        };
        ids.into_iter()
            .filter_map(|id| self.exit(id).map(|x| (id, x)))
            .collect()
    }
}

mod introspect;
pub use introspect::RelationsView;

#[cfg(test)]
mod tests;
