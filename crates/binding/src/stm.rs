//! The STM and multi-lock binding: process-wide statics over
//! `bfly_stm`, shared by every worker thread of the node.
//!
//! Each JS thread runs at most one transaction at a time (bodies are
//! synchronous and cannot nest), so the transaction lives in a thread-local
//! and the calls below act on it. Retry waiters and granted lock requests
//! are woken through the owner thread's inbox on `Lane::Wake`, with the
//! token as the delivery's `to`.

use crate::{TABLE, THREADS};
use bfly_core::{Bound, Delivery, Lane, NodeState};
use bfly_stm::{Cancel, Locks, Mark, Park, Stm, Transaction, TxError, Wake};
use napi::bindgen_prelude::{Buffer, Uint8Array};
use napi::Env;
use napi_derive::napi;
use std::cell::{Cell, RefCell};
use std::sync::{Arc, LazyLock};

/// The process table's STM, which holds its system tables too.
fn stm() -> &'static Stm {
    TABLE.stm()
}

static LOCKS: LazyLock<Locks> = LazyLock::new(Locks::new);

thread_local! {
    static TX: RefCell<Transaction<'static>> = RefCell::new(Transaction::new(stm()));
    /// The thread's scratch block (see `stm_scratch`): pointer and length.
    static SCRATCH: Cell<(*mut u8, usize)> = const { Cell::new((std::ptr::null_mut(), 0)) };
    /// A read value too large for the scratch block, until `stm_read_big`.
    static BIG: RefCell<Option<Arc<[u8]>>> = const { RefCell::new(None) };
}

/// Runs `f` on the calling thread's scratch block (empty when unset).
fn with_scratch<T>(f: impl FnOnce(&mut [u8]) -> T) -> T {
    let (ptr, len) = SCRATCH.with(Cell::get);
    if ptr.is_null() {
        return f(&mut []);
    }
    // SAFETY: `ptr`/`len` describe the data of the Uint8Array this thread
    // passed to `stm_scratch`; the JS side keeps it referenced for the life
    // of the environment (a module constant), its buffer is off-heap (over
    // 64 bytes) and never detached, and only this thread touches it, here
    // during a synchronous call while no JS runs on it.
    f(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

/// Registers the calling thread's scratch block: encoded values cross in
/// it (a Buffer per read cost ~3 us through N-API here, a copy ~0.1).
#[napi]
pub fn stm_scratch(mut block: Uint8Array) {
    // SAFETY: only the pointer is kept; see `with_scratch`.
    let data = unsafe { block.as_mut() };
    SCRATCH.with(|s| s.set((data.as_mut_ptr(), data.len())));
}

pub(crate) fn wake_all(wakes: Vec<Wake>) {
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
    stm().create(&bytes).id() as f64
}

/// Another JS handle to `id` (decoded on some thread); false when unknown.
#[napi]
pub fn stm_retain(id: f64) -> bool {
    stm().retain(id as u64).is_ok()
}

/// A JS handle to `id` was collected.
#[napi]
pub fn stm_release(id: f64) {
    stm().release(id as u64)
}

/// `id` was encoded: keep it for the life of the process.
#[napi]
pub fn stm_pin(id: f64) -> bool {
    stm().pin(id as u64).is_ok()
}

/// What the STM calls return instead of a length, an id or a token.
#[napi]
pub enum StmCode {
    /// A conflict with a commit since the transaction began: rerun it.
    Conflict = -1,
    /// `stm_read`: the value is larger than the scratch block (take it
    /// with `stm_read_big`).
    TooBig = -2,
}

/// Reads `id` in this thread's transaction into the scratch block: the
/// encoded length, `StmCode::Conflict` (rerun the transaction) or
/// `StmCode::TooBig`.
#[napi]
pub fn stm_read(id: f64) -> napi::Result<i32> {
    match TX.with_borrow_mut(|t| t.read(id as u64)) {
        Ok(b) => Ok(with_scratch(|s| match s.get_mut(..b.len()) {
            Some(dst) => {
                dst.copy_from_slice(&b);
                b.len() as i32
            }
            None => {
                BIG.set(Some(b));
                StmCode::TooBig as i32
            }
        })),
        Err(TxError::Conflict) => Ok(StmCode::Conflict as i32),
        Err(TxError::NoTVar(id)) => Err(no_tvar(id)),
    }
}

/// The value of the last `stm_read` that returned -2.
#[napi]
pub fn stm_read_big() -> Buffer {
    BIG.take().map(|b| b.to_vec()).unwrap_or_default().into()
}

/// Buffers a write to `id` of the first `len` bytes of the scratch block.
#[napi]
pub fn stm_write(id: f64, len: u32) -> napi::Result<()> {
    with_scratch(|s| {
        let bytes = s
            .get(..len as usize)
            .ok_or_else(|| napi::Error::from_reason("stm_write: len exceeds the scratch block"))?;
        TX.with_borrow_mut(|t| t.write(id as u64, bytes))
            .map_err(|_| no_tvar(id as u64))
    })
}

/// Buffers a write of `bytes` (too large for the scratch block) to `id`.
#[napi]
pub fn stm_write_big(id: f64, bytes: Uint8Array) -> napi::Result<()> {
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

/// Reads the names table in this thread's transaction: the id of the
/// process registered as `name`, 0 when none is (or it names a remote
/// service), or `StmCode::Conflict` (rerun).
#[napi]
pub fn stm_whereis(name: String) -> f64 {
    match TX.with_borrow_mut(|t| TABLE.tx_resolve(t, &name)) {
        Ok(Some(Bound::Pid(id))) => id as f64,
        Ok(_) => 0.0,
        Err(_) => f64::from(StmCode::Conflict as i32),
    }
}

/// The state of the link to a node, as `stm_node` reads it.
#[napi]
pub enum NodeLink {
    /// Never linked.
    Never = 0,
    Up = 1,
    Down = 2,
}

/// Reads the node table in this thread's transaction: the `NodeLink` to
/// node `name`, or `StmCode::Conflict` (rerun).
#[napi]
pub fn stm_node(name: String) -> i32 {
    match TX.with_borrow_mut(|t| TABLE.tx_node_state(t, &name)) {
        Ok(Some(NodeState::Up)) => NodeLink::Up as i32,
        Ok(Some(NodeState::Down)) => NodeLink::Down as i32,
        Ok(None) => NodeLink::Never as i32,
        Err(_) => StmCode::Conflict as i32,
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

/// What `lock_cancel` found.
#[napi]
pub enum LockCancel {
    /// The request was waiting and is withdrawn (it held nothing).
    Withdrawn = 0,
    /// Already granted: the caller holds the locks.
    Granted = 1,
    /// No such request (its thread is ending).
    Unknown = 2,
}

/// Withdraws waiting request `ticket`: what it found, as a `LockCancel`.
#[napi]
pub fn lock_cancel(ticket: f64) -> u32 {
    (match LOCKS.cancel(ticket as u64) {
        Cancel::Withdrawn => LockCancel::Withdrawn,
        Cancel::Granted => LockCancel::Granted,
        Cancel::Unknown => LockCancel::Unknown,
    }) as u32
}
