//! The process table's primitives for the calling JS thread: spawn, exit
//! and its effects, links, monitors and ids. Hot calls take their ids from
//! the thread's argument block (`slots`, lib.rs).

use crate::{cluster_relations, slots, TABLE, THREAD};
use napi_derive::napi;
use std::cell::Cell;

/// A new live process owned by the calling thread.
#[napi]
pub fn proc_spawn() -> f64 {
    TABLE.spawn(THREAD.with(Cell::get)) as f64
}

/// The calling thread's system pid: it never exits while its thread lives,
/// and goes with the thread.
#[napi]
pub fn proc_spawn_system() -> f64 {
    TABLE.spawn(THREAD.with(Cell::get)) as f64
}

/// A new process linked to `parent` in one step; 0 when that one is dead.
#[napi]
pub fn proc_spawn_link() -> f64 {
    let [parent] = slots();
    TABLE
        .spawn_link(THREAD.with(Cell::get), parent)
        .map_or(0.0, |id| id as f64)
}

thread_local! {
    /// The effects of the last `proc_exit` on this thread, fetched by
    /// `proc_exit_effects` only when there are any (most processes have
    /// none, and returning an empty array per exit would allocate).
    static EFFECTS: std::cell::RefCell<Vec<i64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Set in `proc_exit`'s result when the process had relations on other
/// nodes: call `proc_exit_remote` with the encoded reason.
#[napi]
pub const REMOTE_EFFECTS: i32 = 1 << 30;

/// Removes process `id`. Returns -1 when it was already gone, otherwise the
/// length of its effects `[nLinks, ...links, ...(ref, watcher) pairs]`: 1
/// when there is nothing to notify, more when `proc_exit_effects` has them;
/// with `REMOTE_EFFECTS` set when `proc_exit_remote` must be called.
#[napi]
pub fn proc_exit() -> i32 {
    let [id] = slots();
    let Some(mut x) = TABLE.exit(id) else {
        return -1;
    };
    let remote = match x.remote.take() {
        Some(r) => {
            cluster_relations::stash_exit(id, r);
            REMOTE_EFFECTS
        }
        None => 0,
    };
    if x.links.is_empty() && x.monitors.is_empty() {
        return 1 | remote;
    }
    remote
        | EFFECTS.with_borrow_mut(|v| {
            v.clear();
            v.push(x.links.len() as i64);
            v.extend(x.links.iter().map(|&l| l as i64));
            for (r, w) in x.monitors {
                v.push(r as i64);
                v.push(w as i64);
            }
            v.len() as i32
        })
}

/// The effects of this thread's last `proc_exit` (see there).
#[napi]
pub fn proc_exit_effects() -> Vec<i64> {
    EFFECTS.with_borrow_mut(std::mem::take)
}

/// Links processes `a` and `b`; false when either is dead.
#[napi]
pub fn proc_link() -> bool {
    let [a, b] = slots();
    TABLE.link(a, b).is_ok()
}

/// Unlinks processes `a` and `b`.
#[napi]
pub fn proc_unlink() {
    let [a, b] = slots();
    TABLE.unlink(a, b)
}

/// `watcher` monitors `target`: the ref id, or 0 when `target` is dead.
#[napi]
pub fn proc_monitor() -> f64 {
    let [watcher, target] = slots();
    TABLE.monitor(watcher, target).map_or(0.0, |r| r as f64)
}

/// Removes monitor `monitor` of `watcher` (on a local or a remote
/// process); whether it was active.
#[napi]
pub fn proc_demonitor() -> bool {
    let [watcher, monitor] = slots();
    TABLE.demonitor(watcher, monitor) || cluster_relations::demonitor(watcher, monitor, None, false)
}

/// `proc_demonitor` for a call that got its answer: a remote monitor's
/// frame waits for the thread's next `dist_flush` (which the caller
/// schedules), so it leaves with the next frames.
#[napi]
pub fn proc_demonitor_deferred() -> bool {
    let [watcher, monitor] = slots();
    TABLE.demonitor(watcher, monitor) || cluster_relations::demonitor(watcher, monitor, None, true)
}

/// Whether process `id` is alive.
#[napi]
pub fn proc_alive() -> bool {
    let [id] = slots();
    TABLE.alive(id)
}

/// The processes linked to `id`.
#[napi]
pub fn proc_links(id: i64) -> Vec<i64> {
    TABLE
        .links_of(id as u64)
        .into_iter()
        .map(|l| l as i64)
        .collect()
}

/// How many processes are alive in this OS process (all threads).
#[napi]
pub fn proc_count() -> u32 {
    TABLE.len() as u32
}

/// Reserves `n` fresh ids (for refs) and returns the first.
#[napi]
pub fn ids_reserve(n: u32) -> i64 {
    TABLE.reserve(n as u64) as i64
}
