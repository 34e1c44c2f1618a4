//! Relations between local processes and processes on other nodes.
//!
//! Kept in the process table, under its one lock, so that they are
//! all-or-none with respect to a local exit (a process that exits either
//! carries the new relation in its exit effects, or the caller is told it
//! is gone), and so that the loss of a node fires each of them exactly
//! once: [`ProcessTable::node_down`] removes what it reports.
//!
//! A remote node is a [`NodeId`] (the distribution layer interns names);
//! a remote process is its id on that node.

use crate::table::{Entry, Id, Inner, NoProc, ProcessTable, RefId};

/// A remote node, as numbered by the distribution layer (from 1).
pub type NodeId = u32;

/// A local process's relations with processes on other nodes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RemoteRel {
    /// Linked remote processes: (node, id).
    pub links: Vec<(NodeId, Id)>,
    /// Remote watchers monitoring this process: (node, their ref, watcher id).
    pub monitored_by: Vec<(NodeId, RefId, Id)>,
    /// Monitors this process holds on remote processes: (ref, node, target;
    /// target 0 when the monitor was taken by name).
    pub watching: Vec<(RefId, NodeId, Id)>,
}

impl RemoteRel {
    fn nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        let l = self.links.iter().map(|&(n, _)| n);
        let m = self.monitored_by.iter().map(|&(n, _, _)| n);
        let w = self.watching.iter().map(|&(_, n, _)| n);
        l.chain(m).chain(w)
    }
}

/// What the loss of a node leaves to deliver locally.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct NodeLoss {
    /// (local process, remote process it was linked to): an exit signal each.
    pub exits: Vec<(Id, Id)>,
    /// (local watcher, ref, remote target): a DOWN each.
    pub downs: Vec<(Id, RefId, Id)>,
}

impl Inner {
    /// Removes `id` (which is exiting with relations `r`) from the node index.
    pub(crate) fn forget_remote(&mut self, id: Id, r: &RemoteRel) {
        for n in r.nodes() {
            if let Some(s) = self.by_node.get_mut(&n) {
                s.remove(&id);
            }
        }
    }

    /// The remote relations of live process `id`, noting that it has some
    /// with `node`.
    fn remote_of(&mut self, id: Id, node: NodeId) -> Result<&mut RemoteRel, NoProc> {
        let e: &mut Entry = self.procs.get_mut(&id).ok_or(NoProc)?;
        let r = e.rel().remote.get_or_insert_with(Default::default);
        self.by_node.entry(node).or_default().insert(id);
        Ok(r)
    }

    fn remote_if_any(&mut self, id: Id) -> Option<&mut RemoteRel> {
        self.procs.get_mut(&id)?.rel.as_mut()?.remote.as_deref_mut()
    }
}

impl ProcessTable {
    /// Links local `a` with process `r` of `node`. Returns whether the link
    /// is new (false when it already existed); `Err(NoProc)` when `a` is gone.
    pub fn link_remote(&self, a: Id, node: NodeId, r: Id) -> Result<bool, NoProc> {
        let mut g = self.inner.lock();
        let rel = g.remote_of(a, node)?;
        if rel.links.contains(&(node, r)) {
            return Ok(false);
        }
        rel.links.push((node, r));
        Ok(true)
    }

    /// Removes the link between local `a` and process `r` of `node`;
    /// returns whether there was one. An exit signal that a link carried is
    /// delivered only when this says the link existed.
    pub fn unlink_remote(&self, a: Id, node: NodeId, r: Id) -> bool {
        let mut g = self.inner.lock();
        let Some(rel) = g.remote_if_any(a) else {
            return false;
        };
        let before = rel.links.len();
        rel.links.retain(|&l| l != (node, r));
        rel.links.len() != before
    }

    /// Local `watcher` starts monitoring process `target` of `node` (0 for
    /// a monitor by name); returns the new ref. A watcher outside the table
    /// (gone) gets `Err(NoProc)`.
    pub fn monitor_remote(&self, watcher: Id, node: NodeId, target: Id) -> Result<RefId, NoProc> {
        let mut g = self.inner.lock();
        let r = self.reserve(1);
        g.remote_of(watcher, node)?.watching.push((r, node, target));
        Ok(r)
    }

    /// Ends monitor `r` of local `watcher` on a remote process: returns
    /// (node, target) when it was still active, for the caller to tell
    /// that node. The DOWN of an ended monitor is never delivered.
    pub fn demonitor_remote(&self, watcher: Id, r: RefId) -> Option<(NodeId, Id)> {
        let mut g = self.inner.lock();
        let rel = g.remote_if_any(watcher)?;
        let i = rel.watching.iter().position(|&(x, _, _)| x == r)?;
        let (_, n, t) = rel.watching.swap_remove(i);
        Some((n, t))
    }

    /// A DOWN for monitor `r` of `watcher` arrived: whether it was still
    /// active (it is removed, so a DOWN is delivered at most once).
    pub fn take_remote_monitor(&self, watcher: Id, r: RefId) -> bool {
        self.demonitor_remote(watcher, r).is_some()
    }

    /// A watcher on `node` (its ref `wref`, its id `wid`) monitors local
    /// `target`. `Err(NoProc)` when `target` is gone (answer DOWN noproc).
    pub fn add_remote_watcher(
        &self,
        target: Id,
        node: NodeId,
        wref: RefId,
        wid: Id,
    ) -> Result<(), NoProc> {
        let mut g = self.inner.lock();
        g.remote_of(target, node)?
            .monitored_by
            .push((node, wref, wid));
        Ok(())
    }

    /// The watcher on `node` with ref `wref` no longer monitors `target`.
    pub fn remove_remote_watcher(&self, target: Id, node: NodeId, wref: RefId) {
        let mut g = self.inner.lock();
        if let Some(rel) = g.remote_if_any(target) {
            rel.monitored_by
                .retain(|&(n, r, _)| !(n == node && r == wref));
        }
    }

    /// `node` is unreachable: removes every relation with it and returns
    /// what to deliver locally (exit signals and DOWNs, reason
    /// 'noconnection'). Remote watchers of local processes are forgotten.
    /// Each relation is reported once; relations made afterwards are
    /// reported by the next loss.
    pub fn node_down(&self, node: NodeId) -> NodeLoss {
        let mut g = self.inner.lock();
        let mut out = NodeLoss::default();
        let Some(ids) = g.by_node.remove(&node) else {
            return out;
        };
        for id in ids {
            let Some(rel) = g.remote_if_any(id) else {
                continue;
            };
            rel.links.retain(|&(n, r)| {
                if n == node {
                    out.exits.push((id, r));
                }
                n != node
            });
            rel.watching.retain(|&(r, n, t)| {
                if n == node {
                    out.downs.push((id, r, t));
                }
                n != node
            });
            rel.monitored_by.retain(|&(n, _, _)| n != node);
        }
        out.exits.sort_unstable();
        out.downs.sort_unstable();
        out
    }

    /// The local processes that have relations with `node` (for tests
    /// and the observer).
    pub fn related_to(&self, node: NodeId) -> usize {
        self.inner.lock().by_node.get(&node).map_or(0, |s| s.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_down_fires_each_relation_once() {
        let t = ProcessTable::new();
        let a = t.spawn(1);
        let b = t.spawn(1);
        assert_eq!(t.link_remote(a, 7, 100), Ok(true));
        assert_eq!(t.link_remote(a, 7, 100), Ok(false));
        t.link_remote(b, 8, 5).unwrap();
        let r = t.monitor_remote(b, 7, 101).unwrap();
        t.add_remote_watcher(a, 7, 55, 102).unwrap();
        let loss = t.node_down(7);
        assert_eq!(loss.exits, vec![(a, 100)]);
        assert_eq!(loss.downs, vec![(b, r, 101)]);
        assert_eq!(t.node_down(7), NodeLoss::default());
        // The link with node 8 is untouched; a new relation fires again.
        assert!(t.unlink_remote(b, 8, 5));
        t.link_remote(a, 7, 100).unwrap();
        assert_eq!(t.node_down(7).exits, vec![(a, 100)]);
    }

    #[test]
    fn exit_reports_remote_relations_and_clears_the_index() {
        let t = ProcessTable::new();
        let a = t.spawn(1);
        t.link_remote(a, 3, 9).unwrap();
        t.add_remote_watcher(a, 4, 77, 10).unwrap();
        let x = t.exit(a).unwrap();
        let rel = x.remote.unwrap();
        assert_eq!(rel.links, vec![(3, 9)]);
        assert_eq!(rel.monitored_by, vec![(4, 77, 10)]);
        assert_eq!(t.related_to(3), 0);
        assert_eq!(t.node_down(3), NodeLoss::default());
        assert_eq!(t.link_remote(a, 3, 9), Err(NoProc));
        assert_eq!(t.add_remote_watcher(a, 3, 1, 1), Err(NoProc));
    }

    #[test]
    fn a_down_or_demonitor_ends_a_monitor_once() {
        let t = ProcessTable::new();
        let w = t.spawn(1);
        let r = t.monitor_remote(w, 2, 40).unwrap();
        assert!(t.take_remote_monitor(w, r));
        assert!(!t.take_remote_monitor(w, r));
        let r2 = t.monitor_remote(w, 2, 0).unwrap();
        assert_eq!(t.demonitor_remote(w, r2), Some((2, 0)));
        assert!(t.node_down(2).downs.is_empty());
        let target = t.spawn(1);
        t.add_remote_watcher(target, 2, 5, 6).unwrap();
        t.remove_remote_watcher(target, 2, 5);
        assert!(t
            .exit(target)
            .unwrap()
            .remote
            .unwrap()
            .monitored_by
            .is_empty());
    }
}
