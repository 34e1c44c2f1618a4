//! One coalesced wake-up per JS thread: an async handle on the thread's
//! libuv loop whose callback drains the thread's inbox (host.rs's
//! `deliver`, as `MakeCallback` would). The inbox already coalesces (one
//! wake-up per batch, see bfly_core::inbox); this replaces the
//! threadsafe-function call per batch (its queue, lock and per-call JS
//! argument conversion) with one `uv_async_send`. Where libuv is not
//! found in the host process, `thread_register` keeps the threadsafe
//! function.
//!
//! A thread that posted to another thread in the last turn of its loop
//! usually gets an answer within microseconds (a call, a ping-pong). Before
//! its loop would sleep (a prepare handle, when nothing else is ready), it
//! spins on its inbox for at most `BFLY_SPIN_US` (default 50 us) and drains
//! what comes there and then: the poster sees it spinning and skips the
//! wake-up, so the answer costs neither a write to the async handle nor a
//! sleep and a wake in the kernel, where each cost several microseconds (a
//! cross-thread round trip was ~12 us in all). A thread that posts nothing
//! never spins: an idle node stays idle. Its cost is capped: at most one
//! budget per turn of the loop that posted, fewer after spins that saw
//! nothing (1, 2, 4 ... up to `MAX_SKIP` chances skipped), and at most
//! `ROUND` of answering in one go before the loop polls its other sources
//! again. The spin yields its core between looks, so two threads sharing
//! one core hand over to each other instead of waiting out the budget.
//!
//! A thread that wrote to its node links in the last turn (`sent`, from
//! `cluster_flush`) spins the same way, with the same budget and back-off,
//! but watching the sockets of the links it reads (host.rs, one `poll`
//! with no timeout per look): when the answer's bytes arrive it returns,
//! and the loop's own poll finds them without sleeping (a remote round
//! trip's two sleeps and wake-ups cost several microseconds each).

use crate::uv::{uv, Handle, UV_PREPARE};
use crate::{host, THREADS};
use bfly_core::Spun;
use std::cell::Cell;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

/// `UV_ASYNC` in libuv's `uv_handle_type`.
const UV_ASYNC: std::ffi::c_int = 1;

/// The async handle of one JS thread. `send` may be called from any
/// thread until `close` (on the JS thread, at its environment's cleanup).
pub(crate) struct Wake {
    /// The handle, or null once closed.
    handle: RwLock<*mut Handle>,
}

// SAFETY: the handle pointer is only used under the lock: `uv_async_send`
// (thread-safe in libuv) while it is open, and `uv_close` on the loop's
// thread, which clears it under the write lock first.
unsafe impl Send for Wake {}
// SAFETY: as above.
unsafe impl Sync for Wake {}

impl Wake {
    /// An async handle on the loop of `env`'s thread (called there), or
    /// None without libuv. It does not keep the loop alive.
    pub(crate) fn new(env: napi::sys::napi_env) -> Option<Arc<Wake>> {
        let uv = uv()?;
        let mut lp = std::ptr::null_mut();
        // SAFETY: `env` is this thread's live environment.
        if unsafe { napi::sys::napi_get_uv_event_loop(env, &mut lp) } != napi::sys::Status::napi_ok
            || lp.is_null()
        {
            return None;
        }
        // SAFETY: uv_handle_size only reports a size.
        let words = unsafe { (uv.handle_size)(UV_ASYNC) }.div_ceil(8);
        let handle = Box::into_raw(vec![0u64; words].into_boxed_slice()) as *mut Handle;
        // SAFETY: zeroed, 8-byte aligned memory of the size libuv asked
        // for, on this thread's loop; its `data` (first field) holds the
        // word count for `on_close` to free it.
        unsafe {
            if (uv.async_init)(lp as *mut _, handle, on_async) != 0 {
                free(handle, words);
                return None;
            }
            *(handle as *mut usize) = words;
            (uv.unref)(handle);
        }
        start_spinning(lp as *mut _);
        Some(Arc::new(Wake {
            handle: RwLock::new(handle),
        }))
    }

    /// Wakes the thread (coalesced by libuv with other sends before it runs).
    pub(crate) fn send(&self) {
        let h = self.handle.read().unwrap_or_else(|p| p.into_inner());
        if !h.is_null() {
            if let Some(uv) = uv() {
                // SAFETY: the handle is open (not null under the lock).
                unsafe { (uv.async_send)(*h) };
            }
        }
    }

    /// Closes the handle (on the JS thread, at its environment's cleanup);
    /// later sends do nothing.
    pub(crate) fn close(&self) {
        let prepare = PREPARE.with(|p| p.replace(std::ptr::null_mut()));
        if !prepare.is_null() {
            if let Some(uv) = uv() {
                // SAFETY: this thread's open prepare handle, closed once
                // (taken out of PREPARE above).
                unsafe { (uv.close)(prepare, Some(on_close)) };
            }
        }
        let mut h = self.handle.write().unwrap_or_else(|p| p.into_inner());
        if h.is_null() {
            return;
        }
        if let Some(uv) = uv() {
            // SAFETY: an open handle of this thread's loop, closed once.
            unsafe { (uv.close)(*h, Some(on_close)) };
        }
        *h = std::ptr::null_mut();
    }
}

unsafe fn free(handle: *mut Handle, words: usize) {
    drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(
        handle as *mut u64,
        words,
    )));
}

unsafe extern "C" fn on_close(handle: *mut Handle) {
    // SAFETY: libuv is done with the handle; its data is its word count.
    free(handle, *(handle as *mut usize));
}

unsafe extern "C" fn on_async(_handle: *mut Handle) {
    host::deliver(true);
}

thread_local! {
    /// This thread's prepare handle (null: none, or closed) and loop.
    static PREPARE: Cell<*mut Handle> = const { Cell::new(std::ptr::null_mut()) };
    static LOOP: Cell<*const std::ffi::c_void> = const { Cell::new(std::ptr::null()) };
    /// This thread posted to another thread since its last prepare.
    static POSTED: Cell<bool> = const { Cell::new(false) };
    /// This thread wrote to a node link since its last prepare.
    static SENT: Cell<bool> = const { Cell::new(false) };
    /// This thread deferred frames for its links to its next prepare.
    static FLUSH: Cell<bool> = const { Cell::new(false) };
    /// Back-off after spins that saw nothing: chances still to skip, and
    /// how many the next miss makes skip.
    static SKIP: Cell<(u32, u32)> = const { Cell::new((0, 1)) };
}

/// The most spin chances skipped after misses in a row: a thread that
/// posts without getting answers soon (a stream's producer) spins once in
/// this many turns.
const MAX_SKIP: u32 = 64;

/// The longest a thread answers in one prepare callback before its loop
/// polls its other sources (sockets, timers) again.
const ROUND: Duration = Duration::from_millis(1);

/// How long a thread spins for an answer (`BFLY_SPIN_US`, 0: never).
fn budget() -> Duration {
    static B: OnceLock<Duration> = OnceLock::new();
    *B.get_or_init(|| {
        let us = std::env::var("BFLY_SPIN_US")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(50u64);
        Duration::from_micros(us)
    })
}

/// The calling JS thread posted to another thread: it may spin for the
/// answer before its loop next sleeps.
pub(crate) fn posted() {
    POSTED.with(|p| p.set(true));
}

/// Has the calling JS thread write what it deferred for its node links at
/// its next prepare (before its loop next polls). False when this thread
/// has no prepare handle (no libuv, or `BFLY_SPIN_US=0`).
pub(crate) fn flush_at_prepare() -> bool {
    if PREPARE.with(Cell::get).is_null() {
        return false;
    }
    FLUSH.with(|f| f.set(true));
    true
}

/// The calling JS thread wrote to its node links (`cluster_flush`): it may
/// spin for the answer, watching the links it reads, before its loop next
/// sleeps.
pub(crate) fn sent() {
    SENT.with(|p| p.set(true));
}

/// Looks at this thread's links (and its inbox, every few looks) until
/// bytes wait on one, for at most `max`: whether something came. Each look
/// is one `poll` syscall; the core is yielded between groups of looks.
fn spin_links(max: Duration, inbox: &bfly_core::Inbox) -> bool {
    let start = Instant::now();
    loop {
        for _ in 0..8 {
            if host::links_readable() {
                return true;
            }
        }
        if !inbox.is_empty() {
            return true;
        }
        if start.elapsed() >= max {
            return false;
        }
        std::thread::yield_now();
    }
}

/// A prepare handle on loop `lp` (this thread's) for the spin, unref'd.
fn start_spinning(lp: *mut std::ffi::c_void) {
    let Some(uv) = uv() else { return };
    if budget().is_zero() {
        return;
    }
    // SAFETY: uv_handle_size only reports a size.
    let words = unsafe { (uv.handle_size)(UV_PREPARE) }.div_ceil(8);
    let handle = Box::into_raw(vec![0u64; words].into_boxed_slice()) as *mut Handle;
    // SAFETY: zeroed, 8-byte aligned memory of the size libuv asked for,
    // on this thread's loop; its `data` holds the word count for
    // `on_close`, as the async handle's does.
    unsafe {
        if (uv.prepare_init)(lp, handle) != 0 {
            free(handle, words);
            return;
        }
        *(handle as *mut usize) = words;
        (uv.unref)(handle);
        if (uv.prepare_start)(handle, on_prepare) != 0 {
            (uv.close)(handle, Some(on_close));
            return;
        }
    }
    PREPARE.with(|p| p.set(handle));
    LOOP.with(|l| l.set(lp));
}

unsafe extern "C" fn on_prepare(_handle: *mut Handle) {
    if FLUSH.with(|f| f.replace(false)) {
        crate::cluster_send::cluster_flush();
    }
    let sent = SENT.with(|p| p.replace(false));
    if !POSTED.with(|p| p.replace(false)) {
        if sent {
            spin_for_links();
        }
        return;
    }
    let Some(inbox) = THREADS.inbox(crate::current_thread()) else {
        return;
    };
    if !chance() {
        return;
    }
    let start = Instant::now();
    loop {
        let Some(max) = spin_budget() else {
            // Something else is ready (an immediate, a due timer): no sleep to save.
            return;
        };
        match inbox.spin(max) {
            Spun::Came => missed(false),
            // Its wake-up is on its way: the answer came, only sooner.
            Spun::Pending => return,
            Spun::Nothing => return missed(true),
        }
        host::deliver(true);
        if PREPARE.with(Cell::get).is_null() {
            // The environment closed its handles while JS ran: no more JS.
            return;
        }
        // Answered and asked again: spin for the next answer, within the round.
        if !POSTED.with(|p| p.replace(false)) || start.elapsed() >= ROUND {
            return;
        }
    }
}

/// Whether this turn may spin: false while skipping chances after misses.
fn chance() -> bool {
    let (skip, next) = SKIP.with(Cell::get);
    if skip > 0 {
        SKIP.with(|s| s.set((skip - 1, next)));
    }
    skip == 0
}

/// After a spin: a miss makes the next 1, 2, 4 ... MAX_SKIP chances skipped;
/// a hit resets that.
fn missed(miss: bool) {
    SKIP.with(|s| {
        let (_, next) = s.get();
        s.set(if miss {
            (next, (next * 2).min(MAX_SKIP))
        } else {
            (0, 1)
        });
    });
}

/// How long this turn may spin: the budget, within the loop's next timer;
/// None when the loop would not sleep at all (or has no libuv).
fn spin_budget() -> Option<Duration> {
    let uv = uv()?;
    // SAFETY: this thread's live loop, on its thread.
    let timeout = unsafe { (uv.backend_timeout)(LOOP.with(Cell::get)) };
    if timeout == 0 {
        return None;
    }
    let max = budget();
    Some(if timeout > 0 {
        max.min(Duration::from_millis(timeout as u64))
    } else {
        max
    })
}

/// The spin after writing to node links: until bytes wait on a link this
/// thread reads (libuv's poll then finds them without sleeping, and the
/// answer is read and delivered in its callback), within the budget and the
/// next timer, backing off after misses as the inbox spin does.
fn spin_for_links() {
    let Some(inbox) = THREADS.inbox(crate::current_thread()) else {
        return;
    };
    if !chance() {
        return;
    }
    if let Some(max) = spin_budget() {
        missed(!spin_links(max, &inbox));
    }
}
