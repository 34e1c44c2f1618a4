//! The napi-rs binding: a thin adapter from JS calls to `bfly-core`.
//!
//! No logic lives here beyond argument conversion. Ids cross as JS numbers
//! (the core keeps them below 2^53). Every function is synchronous and
//! takes the core's lock at most once.

use bfly_core::{Lane, ProcessTable, Threads};
use lent::{lent, Lent};
use napi::bindgen_prelude::{Float64Array, Function, JsValue, Uint8Array};
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi::Env;
use napi_derive::napi;
use std::cell::Cell;
use std::sync::LazyLock;

pub mod introspect;
pub mod matcher;
pub mod names;
pub mod pool;
pub mod proc;
pub mod stm;
pub mod term;

/// Process-wide: shared by every worker thread (each its own N-API env).
/// Its system tables (names, nodes) live in the STM that user transactions
/// use, so `tx.whereis` reads them with the user's TVars.
pub(crate) static TABLE: LazyLock<ProcessTable> = LazyLock::new(|| {
    let t = ProcessTable::new();
    t.set_waker(stm::wake_all);
    t
});
pub(crate) static THREADS: LazyLock<Threads> = LazyLock::new(Threads::new);

pub mod block;
pub mod cluster;
pub mod cluster_batch;
pub mod cluster_relations;
pub mod cluster_send;
pub mod drain;
pub mod host;
mod lent;
pub mod outbox;
mod pace;
pub mod uv;
mod wake;

thread_local! {
    /// Hot functions take their arguments from a per-thread `Float64Array`
    /// that JS fills before the call (lent once, lent.rs): converting one JS
    /// number argument costs ~60 ns through N-API here, reading the shared
    /// slot a few.
    static ARGS: Cell<Lent<f64>> = const { Cell::new(Lent::NONE) };
    static THREAD: Cell<u32> = const { Cell::new(0) };
}

/// The JS thread this OS thread runs (0 before `thread_register`).
pub(crate) fn current_thread() -> u32 {
    THREAD.with(Cell::get)
}

/// Argument `i` of the current hot call, 0 when unset or out of range.
fn arg(i: usize) -> u64 {
    // SAFETY: on this thread, during a native call; no other slice of the
    // argument block is alive (lent.rs).
    let args = unsafe { lent(&ARGS).slice() };
    args.get(i).map_or(0, |&x| x as u64)
}

/// The argument slots `0..N` of the current fast call, in order. Every
/// function that takes its arguments from the block reads them here, in
/// its first statement (`let [a, b] = slots();`), so the slots a call
/// reads are written in one place, named; `src/native/fast.ts` wraps each
/// such call with parameters of the same names, in the same order, and
/// `__test__/native.test.ts` checks that the two agree.
pub(crate) fn slots<const N: usize>() -> [u64; N] {
    std::array::from_fn(arg)
}

/// Registers the calling JS thread's argument block for the fast calls
/// (at least 16 slots; JS keeps it referenced for the life of the thread's
/// environment). JS fills slots, then calls: see `slots`.
#[napi]
pub fn args_register(mut args: Float64Array) -> napi::Result<()> {
    if args.len() < 16 {
        return Err(napi::Error::from_reason(
            "args_register: the block needs 16 slots",
        ));
    }
    // SAFETY: only the pointer and length are kept (lent.rs).
    let lent = Lent::of(unsafe { args.as_mut() });
    ARGS.with(|a| a.set(lent));
    Ok(())
}

/// Registers the calling JS thread. `wake` is called (on that thread, at
/// most once per batch) when deliveries from other threads are waiting; it
/// does not keep the event loop alive by itself. When the thread's
/// environment is torn down (a worker ends), its processes die with reason
/// 'thread_exit', and their links and monitors on other threads are
/// signalled (`node` names the pids in those signals).
#[napi]
pub fn thread_register(
    env: Env,
    wake: Function<(), ()>,
    node: String,
    reserved: Option<u32>,
) -> napi::Result<u32> {
    // One async handle on this thread's loop where libuv can be used
    // (wake.rs), else a threadsafe function calling `wake`.
    let fast = if host::keep_drain(env.raw(), wake.raw()) {
        wake::Wake::new(env.raw())
    } else {
        None
    };
    // Filled in below: the waker must know its own thread to skip the
    // wake-up that the thread's own link reading makes (host.rs).
    let me = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let mine = me.clone();
    let waker: Box<dyn Fn() + Send + Sync> = match fast.clone() {
        Some(w) => Box::new(move || {
            if !host::no_wake_needed(mine.load(std::sync::atomic::Ordering::Relaxed)) {
                w.send();
            }
        }),
        None => {
            let tsfn = wake
                .build_threadsafe_function::<()>()
                .weak::<true>()
                .callee_handled::<false>()
                .build()?;
            Box::new(move || {
                if !host::no_wake_needed(mine.load(std::sync::atomic::Ordering::Relaxed)) {
                    tsfn.call((), ThreadsafeFunctionCallMode::NonBlocking);
                }
            })
        }
    };
    let id = match reserved {
        // A pool worker takes the id its spawner reserved (see pool.rs).
        Some(id) => {
            if !THREADS.attach(id, waker) {
                return Err(napi::Error::from_reason(format!(
                    "thread_register: thread {id} is not a reserved, unattached thread"
                )));
            }
            id
        }
        None => THREADS.add(waker),
    };
    THREAD.with(|t| t.set(id));
    me.store(id, std::sync::atomic::Ordering::Relaxed);
    env.add_env_cleanup_hook(id, move |id| {
        cluster_batch::release();
        drain::release();
        host::teardown(id);
        if let Some(w) = &fast {
            w.close();
        }
        pool::depart(id, &node);
    })?;
    Ok(id)
}

/// Posts an encoded user message, signal or call reply (`LANE_USER`,
/// `LANE_SIGNAL`, `LANE_REPLY`) to whichever thread owns `to`; false when
/// `to` is not alive. The other lanes carry what only the runtime posts
/// (wake-ups, spawns, credited messages from nodes), so they are refused.
#[napi]
pub fn post(to: i64, lane: u32, payload: Uint8Array) -> napi::Result<bool> {
    let Some(lane) = [Lane::User, Lane::Signal, Lane::Reply]
        .into_iter()
        .find(|l| *l as u32 == lane)
    else {
        return Err(napi::Error::from_reason(format!(
            "post: lane {lane} is not one JS posts (user, signal, reply); the runtime posts the others"
        )));
    };
    wake::posted();
    Ok(THREADS.post(&TABLE, to as u64, lane, payload.to_vec()))
}
