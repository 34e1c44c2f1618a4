//! Bindings for processes on pool worker threads: reserving a worker's
//! thread id before the worker runs, placing a process on it, and taking
//! its processes down when it goes (see `bfly_core::placement`).

use crate::{cluster, cluster_relations, slots, TABLE, THREADS};
use bfly_core::{spawn_on, PlaceError};
use napi::bindgen_prelude::Uint8Array;
use napi_derive::napi;

/// The reason every process of a departed thread dies with.
const THREAD_EXIT: &str = "thread_exit";

/// Removes thread `id` and its processes; their links and monitors
/// elsewhere are told 'thread_exit'. Idempotent.
pub(crate) fn depart(id: u32, fallback_node: &str) {
    let node = cluster::node_name().unwrap_or_else(|| fallback_node.to_string());
    let reason = bfly_core::departure::str_term(THREAD_EXIT);
    bfly_core::departure::thread_gone(&TABLE, &THREADS, id, &node, THREAD_EXIT, &|pid, rel| {
        cluster_relations::exited(pid, rel, &reason)
    });
}

/// A thread id for a worker that is about to start: deliveries to its
/// processes queue until it registers with this id.
#[napi]
pub fn thread_reserve() -> u32 {
    THREADS.reserve()
}

/// Thread `thread` is gone (its worker exited, perhaps before it ever
/// registered): its processes die with 'thread_exit'. Idempotent.
#[napi]
pub fn thread_forget(thread: u32, node: String) {
    depart(thread, &node);
}

/// Why `proc_spawn_on` created nothing (it returns the new id otherwise).
#[napi]
pub enum SpawnOnCode {
    /// The parent to link to is not alive.
    ParentDead = 0,
    /// The thread is gone (its worker exited).
    ThreadGone = -1,
}

/// A new process owned by thread `thread`, linked to `parent` unless that
/// is 0, whose `Spawn` delivery (the encoded spec) is queued there before
/// anything else can be sent to it. Returns its id, or a `SpawnOnCode`
/// (nothing created then).
#[napi]
pub fn proc_spawn_on(spec: Uint8Array, node: String) -> f64 {
    let [thread, parent] = slots();
    let owner = thread as u32;
    let parent = match parent {
        0 => None,
        p => Some(p),
    };
    let reason = bfly_core::departure::str_term(THREAD_EXIT);
    let remote = |pid, rel: &_| cluster_relations::exited(pid, rel, &reason);
    match spawn_on(
        &TABLE,
        &THREADS,
        owner,
        parent,
        spec.to_vec(),
        &node,
        THREAD_EXIT,
        &remote,
    ) {
        Ok(id) => id as f64,
        Err(PlaceError::NoProc) => SpawnOnCode::ParentDead as i32 as f64,
        Err(PlaceError::NoThread) => SpawnOnCode::ThreadGone as i32 as f64,
    }
}
