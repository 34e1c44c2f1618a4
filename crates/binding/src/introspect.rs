//! The binding of the table's introspection view (`bfly-core`'s
//! `ProcessTable::relations`), for `processes()` / `processInfo()`.

use crate::TABLE;
use bfly_core::{Id, NodeId};
use napi_derive::napi;

/// A process of another node, by node name and id.
#[napi(object)]
pub struct RemotePid {
    pub node: String,
    pub id: i64,
}

/// One process's links and monitors (local ids, remote pids).
#[napi(object)]
pub struct ProcRelations {
    /// False when the process is not alive (then the lists are empty).
    pub alive: bool,
    pub links: Vec<i64>,
    /// Local processes it monitors.
    pub monitors: Vec<i64>,
    /// Local processes monitoring it.
    pub monitored_by: Vec<i64>,
    pub remote_links: Vec<RemotePid>,
    /// Remote processes it monitors (id 0: monitored by name).
    pub remote_monitors: Vec<RemotePid>,
    pub remote_monitored_by: Vec<RemotePid>,
}

fn remote(v: Vec<(NodeId, Id)>) -> Vec<RemotePid> {
    v.into_iter()
        .map(|(n, id)| RemotePid {
            node: crate::cluster::peer_name(n).unwrap_or_else(|| format!("node#{n}")),
            id: id as i64,
        })
        .collect()
}

fn ids(v: Vec<Id>) -> Vec<i64> {
    v.into_iter().map(|x| x as i64).collect()
}

/// The relations of each of `ids`, in order, read under one lock.
#[napi]
pub fn proc_relations(ids_in: Vec<i64>) -> Vec<ProcRelations> {
    let asked: Vec<Id> = ids_in.iter().map(|&x| x.max(0) as Id).collect();
    TABLE
        .relations(&asked)
        .into_iter()
        .map(|r| match r {
            None => ProcRelations {
                alive: false,
                links: Vec::new(),
                monitors: Vec::new(),
                monitored_by: Vec::new(),
                remote_links: Vec::new(),
                remote_monitors: Vec::new(),
                remote_monitored_by: Vec::new(),
            },
            Some(v) => ProcRelations {
                alive: true,
                links: ids(v.links),
                monitors: ids(v.watching.into_iter().map(|(_, t)| t).collect()),
                monitored_by: ids(v.monitored_by.into_iter().map(|(_, w)| w).collect()),
                remote_links: remote(v.remote_links),
                remote_monitors: remote(v.remote_watching),
                remote_monitored_by: remote(v.remote_monitored_by),
            },
        })
        .collect()
}
