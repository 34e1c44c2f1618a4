//! Read-only views of the table for introspection (the observer, `bfly ps`):
//! what `erlang:process_info` reports of links and monitors.
//!
//! One lock for the whole batch, so a view of many processes is one
//! consistent moment of the table; nothing here changes it.

use super::{Id, ProcessTable, RefId};
use crate::remote::NodeId;

/// The relations of one live process, as the table holds them now.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RelationsView {
    /// Local processes linked to it.
    pub links: Vec<Id>,
    /// Monitors it holds on local processes: (ref, target).
    pub watching: Vec<(RefId, Id)>,
    /// Monitors local processes hold on it: (ref, watcher).
    pub monitored_by: Vec<(RefId, Id)>,
    /// Processes of other nodes linked to it: (node, id).
    pub remote_links: Vec<(NodeId, Id)>,
    /// Monitors it holds on processes of other nodes: (node, target; 0
    /// when taken by name).
    pub remote_watching: Vec<(NodeId, Id)>,
    /// Processes of other nodes monitoring it: (node, watcher).
    pub remote_monitored_by: Vec<(NodeId, Id)>,
}

impl ProcessTable {
    /// The relations of each of `ids`, in order; `None` for one that is
    /// not alive.
    pub fn relations(&self, ids: &[Id]) -> Vec<Option<RelationsView>> {
        let g = self.inner.lock();
        ids.iter()
            .map(|id| {
                let e = g.procs.get(id)?;
                let Some(rel) = e.rel.as_ref() else {
                    return Some(RelationsView::default());
                };
                let mut v = RelationsView {
                    links: rel.links.clone(),
                    watching: rel.watching.clone(),
                    monitored_by: rel.monitored_by.clone(),
                    ..RelationsView::default()
                };
                if let Some(r) = rel.remote.as_ref() {
                    v.remote_links = r.links.clone();
                    v.remote_watching = r.watching.iter().map(|&(_, n, t)| (n, t)).collect();
                    v.remote_monitored_by =
                        r.monitored_by.iter().map(|&(n, _, w)| (n, w)).collect();
                }
                Some(v)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relations_show_links_and_monitors_both_ways() {
        let t = ProcessTable::new();
        let a = t.spawn(1);
        let b = t.spawn(1);
        let c = t.spawn(1);
        t.link(a, b).unwrap();
        let r = t.monitor(c, a).unwrap();
        let got = t.relations(&[a, b, c]);
        let va = got[0].as_ref().unwrap();
        assert_eq!(va.links, vec![b]);
        assert_eq!(va.monitored_by, vec![(r, c)]);
        assert!(va.watching.is_empty());
        assert_eq!(got[1].as_ref().unwrap().links, vec![a]);
        assert_eq!(got[2].as_ref().unwrap().watching, vec![(r, a)]);
    }

    #[test]
    fn relations_of_dead_and_unrelated() {
        let t = ProcessTable::new();
        let a = t.spawn(1);
        let b = t.spawn(1);
        t.exit(b);
        let got = t.relations(&[a, b, 999]);
        assert_eq!(got[0], Some(RelationsView::default()));
        assert_eq!(got[1], None);
        assert_eq!(got[2], None);
    }

    #[test]
    fn relations_drop_a_monitor_once_its_target_exits() {
        let t = ProcessTable::new();
        let a = t.spawn(1);
        let b = t.spawn(1);
        t.monitor(a, b).unwrap();
        t.exit(b);
        assert_eq!(t.relations(&[a])[0], Some(RelationsView::default()));
    }
}
