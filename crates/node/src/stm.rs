//! The STM and multi-lock binding: process-wide statics over
//! `bfly_core::stm`, shared by every worker thread of the node.
//!
//! Each JS thread runs at most one transaction at a time (bodies are
//! synchronous and cannot nest), so the transaction lives in a thread-local
//! and the calls below act on it. Retry waiters and granted lock requests
//! are woken through the owner thread's inbox on `Lane::Wake`, with the
//! token as the delivery's `to`.

use crate::THREADS;
use bfly_core::stm::{Cancel, Locks, Mark, Park, Stm, Transaction, TxError, Wake};
use bfly_core::{Delivery, Lane};
use napi::bindgen_prelude::{Buffer, Uint8Array};
use napi::Env;
use napi_derive::napi;
use std::cell::RefCell;
use std::sync::LazyLock;

static STM: LazyLock<Stm> = LazyLock::new(Stm::new);
static LOCKS: LazyLock<Locks> = LazyLock::new(Locks::new);

thread_local! {
    static TX: RefCell<Transaction<'static>> = RefCell::new(Transaction::new(&STM));
}

fn wake_all(wakes: Vec<Wake>) {
    for w in wakes {
        if let Some(inbox) = THREADS.inbox(w.thread) {
            inbox.post(Delivery {
                to: w.token,
                lane: Lane::Wake,
                payload: Vec::new(),
            });
        }
    }
}

fn no_tvar(id: u64) -> napi::Error {
    napi::Error::from_reason(format!(
        "TVar {id} does not exist in this process (it was made by another OS process, or collected)"
    ))
}

/// A number that differs between OS processes (with high probability), so
/// an encoded TVar decoded in another process is recognised as foreign.
#[napi]
pub fn stm_instance() -> u32 {
    static ID: LazyLock<u32> = LazyLock::new(|| {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.finish() as u32
    });
    *ID
}

/// A new TVar holding the encoded `bytes`, with one JS handle.
#[napi]
pub fn stm_new(bytes: Uint8Array) -> f64 {
    STM.create(&bytes).id() as f64
}

/// Another JS handle to `id` (decoded on some thread); false when unknown.
#[napi]
pub fn stm_retain(id: f64) -> bool {
    STM.retain(id as u64).is_ok()
}

/// A JS handle to `id` was collected.
#[napi]
pub fn stm_release(id: f64) {
    STM.release(id as u64)
}

/// `id` was encoded: keep it for the life of the process.
#[napi]
pub fn stm_pin(id: f64) -> bool {
    STM.pin(id as u64).is_ok()
}

/// Starts this thread's transaction at the current time.
#[napi]
pub fn stm_begin() {
    TX.with_borrow_mut(|t| t.begin())
}

/// The encoded value of `id` in this thread's transaction; `null` on a
/// conflict (rerun the transaction).
#[napi]
pub fn stm_read(id: f64) -> napi::Result<Option<Buffer>> {
    match TX.with_borrow_mut(|t| t.read(id as u64)) {
        Ok(b) => Ok(Some(b.to_vec().into())),
        Err(TxError::Conflict) => Ok(None),
        Err(TxError::NoTVar(id)) => Err(no_tvar(id)),
    }
}

/// Buffers a write of the encoded `bytes` to `id`.
#[napi]
pub fn stm_write(id: f64, bytes: Uint8Array) -> napi::Result<()> {
    TX.with_borrow_mut(|t| t.write(id as u64, &bytes))
        .map_err(|_| no_tvar(id as u64))
}

/// Commits this thread's transaction and wakes the retries it unblocks;
/// false on a conflict (nothing was written: rerun).
#[napi]
pub fn stm_commit() -> bool {
    match TX.with_borrow_mut(|t| t.commit()) {
        Ok(wakes) => {
            wake_all(wakes);
            true
        }
        Err(_) => false,
    }
}

/// Ends this thread's transaction without writing.
#[napi]
pub fn stm_abort() {
    TX.with_borrow_mut(|t| t.abort())
}

/// The number of writes so far (an `orElse` branch point).
#[napi]
pub fn stm_mark() -> u32 {
    TX.with_borrow(|t| t.mark().0 as u32)
}

/// Undoes the writes made after `mark`.
#[napi]
pub fn stm_rollback(mark: u32) {
    TX.with_borrow_mut(|t| t.rollback(Mark(mark as usize)))
}

/// `retry`: ends the transaction and parks a waiter for JS thread
/// `thread` on what it read. Returns the wake token (> 0), 0 when a read
/// TVar already changed (rerun now), -1 when nothing was read.
#[napi]
pub fn stm_wait(thread: u32) -> f64 {
    match TX.with_borrow_mut(|t| t.wait(thread)) {
        Park::Parked(w) => w.token as f64,
        Park::Changed => 0.0,
        Park::NothingRead => -1.0,
    }
}

/// Releases every lock of JS thread `thread` when its environment is torn
/// down (a worker that ends holding locks must not block the others).
#[napi]
pub fn stm_thread_init(env: Env, thread: u32) -> napi::Result<()> {
    env.add_env_cleanup_hook(thread, |thread| wake_all(LOCKS.release_thread(thread)))?;
    Ok(())
}

/// Asks for every lock in `names` for JS thread `thread`: the ticket when
/// granted at once, minus the ticket when queued (a `Lane::Wake` delivery
/// with the ticket arrives when it is granted).
#[napi]
pub fn lock_acquire(thread: u32, names: Vec<String>) -> f64 {
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    match LOCKS.acquire(thread, &names) {
        (t, true) => t as f64,
        (t, false) => -(t as f64),
    }
}

/// Frees the locks of granted request `ticket`; false when it held none.
#[napi]
pub fn lock_release(ticket: f64) -> bool {
    match LOCKS.release(ticket as u64) {
        Some(wakes) => {
            wake_all(wakes);
            true
        }
        None => false,
    }
}

/// Withdraws waiting request `ticket`: 0 withdrawn (it held nothing),
/// 1 already granted (the caller holds the locks), 2 unknown.
#[napi]
pub fn lock_cancel(ticket: f64) -> u32 {
    match LOCKS.cancel(ticket as u64) {
        Cancel::Withdrawn => 0,
        Cancel::Granted => 1,
        Cancel::Unknown => 2,
    }
}
