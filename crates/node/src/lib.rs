//! The napi-rs binding: a thin adapter from JS calls to `bfly-core`.
//!
//! No logic lives here beyond argument conversion. Ids cross as JS numbers
//! (the core keeps them below 2^53). Every function is synchronous and
//! takes the core's lock at most once.

use bfly_core::{Lane, ProcessTable, RegisterError, Threads};
use napi::bindgen_prelude::{Buffer, Function, Uint8Array};
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi_derive::napi;
use std::sync::LazyLock;

/// Process-wide: shared by every worker thread (each its own N-API env).
static TABLE: LazyLock<ProcessTable> = LazyLock::new(ProcessTable::new);
static THREADS: LazyLock<Threads> = LazyLock::new(Threads::new);

/// Registers the calling JS thread. `wake` is called (on that thread, at
/// most once per batch) when deliveries from other threads are waiting.
/// The wake-up does not keep the event loop alive by itself.
#[napi]
pub fn thread_register(wake: Function<(), ()>) -> napi::Result<u32> {
    let tsfn = wake
        .build_threadsafe_function::<()>()
        .weak::<true>()
        .callee_handled::<false>()
        .build()?;
    Ok(THREADS.add(Box::new(move || {
        tsfn.call((), ThreadsafeFunctionCallMode::NonBlocking);
    })))
}

/// Deliveries waiting for a thread, in arrival order.
#[napi(object)]
pub struct Drained {
    /// Target process ids.
    pub to: Vec<i64>,
    /// 1 for a signal (exit signal, DOWN), 0 for a user message.
    pub lane: Vec<u32>,
    /// Encoded payloads.
    pub payload: Vec<Buffer>,
}

/// Takes everything queued for `thread` in one call.
#[napi]
pub fn thread_drain(thread: u32) -> Drained {
    let batch = THREADS.inbox(thread).map(|i| i.drain()).unwrap_or_default();
    let mut out = Drained {
        to: Vec::with_capacity(batch.len()),
        lane: Vec::with_capacity(batch.len()),
        payload: Vec::with_capacity(batch.len()),
    };
    for d in batch {
        out.to.push(d.to as i64);
        out.lane.push(d.lane as u32);
        out.payload.push(d.payload.into());
    }
    out
}

/// Posts an encoded message (`lane` 0) or signal (`lane` 1) to whichever
/// thread owns `to`. False when `to` is not alive.
#[napi]
pub fn post(to: i64, lane: u32, payload: Uint8Array) -> bool {
    let lane = if lane == 1 { Lane::Signal } else { Lane::User };
    THREADS.post(&TABLE, to as u64, lane, payload.to_vec())
}

/// A new live process owned by `thread`.
#[napi]
pub fn proc_spawn(thread: u32) -> i64 {
    TABLE.spawn(thread) as i64
}

/// A new process linked to `parent` in one step; 0 when `parent` is dead.
#[napi]
pub fn proc_spawn_link(thread: u32, parent: i64) -> i64 {
    TABLE.spawn_link(thread, parent as u64).map_or(0, |id| id as i64)
}

/// Removes `id`; returns `[nLinks, ...links, ...(ref, watcher) pairs]`, or
/// null when it was already gone.
#[napi]
pub fn proc_exit(id: i64) -> Option<Vec<i64>> {
    let x = TABLE.exit(id as u64)?;
    let mut v = Vec::with_capacity(1 + x.links.len() + 2 * x.monitors.len());
    v.push(x.links.len() as i64);
    v.extend(x.links.iter().map(|&l| l as i64));
    for (r, w) in x.monitors {
        v.push(r as i64);
        v.push(w as i64);
    }
    Some(v)
}

/// Links `a` and `b`; false when either is dead.
#[napi]
pub fn proc_link(a: i64, b: i64) -> bool {
    TABLE.link(a as u64, b as u64).is_ok()
}

/// Unlinks `a` and `b`.
#[napi]
pub fn proc_unlink(a: i64, b: i64) {
    TABLE.unlink(a as u64, b as u64)
}

/// `watcher` monitors `target`: the ref id, or 0 when `target` is dead.
#[napi]
pub fn proc_monitor(watcher: i64, target: i64) -> i64 {
    TABLE.monitor(watcher as u64, target as u64).map_or(0, |r| r as i64)
}

/// Removes monitor `r` of `watcher`; whether it was still active.
#[napi]
pub fn proc_demonitor(watcher: i64, r: i64) -> bool {
    TABLE.demonitor(watcher as u64, r as u64)
}

/// Whether `id` is alive.
#[napi]
pub fn proc_alive(id: i64) -> bool {
    TABLE.alive(id as u64)
}

/// The processes linked to `id`.
#[napi]
pub fn proc_links(id: i64) -> Vec<i64> {
    TABLE.links_of(id as u64).into_iter().map(|l| l as i64).collect()
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

/// Binds `name` to `id`: 0 on success, -1 when `id` is dead, -2 for an
/// empty name, otherwise the id of the live process holding the name.
#[napi]
pub fn name_register(name: String, id: i64) -> i64 {
    match TABLE.register(&name, id as u64) {
        Ok(()) => 0,
        Err(RegisterError::NoProc) => -1,
        Err(RegisterError::BadName) => -2,
        Err(RegisterError::Taken(h)) => h as i64,
    }
}

/// Frees `name`; whether it was bound.
#[napi]
pub fn name_unregister(name: String) -> bool {
    TABLE.unregister(&name).is_some()
}

/// The process registered as `name`.
#[napi]
pub fn name_whereis(name: String) -> Option<i64> {
    TABLE.whereis(&name).map(|id| id as i64)
}

/// Every registered name, sorted.
#[napi]
pub fn name_list() -> Vec<String> {
    TABLE.registered().into_iter().map(|(n, _)| n).collect()
}
