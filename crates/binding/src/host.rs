//! The node's JS thread reads its links itself (bfly_net::reader): each
//! link's socket is polled on that thread's libuv loop; on readiness the
//! bytes are read, decrypted and routed here, in Rust, on that thread, and
//! what arrived for its own processes is handed to JS in the same
//! callback. A message then costs the receiving side one wake-up (the one
//! of the thread that runs the receiver) instead of two (the runtime's
//! reader, then a threadsafe-function call to the JS thread).
//!
//! The runtime stays the fallback and the watchdog: it reads whatever the
//! host has not taken yet, and takes a link over whenever bytes wait on it
//! while this thread is stalled, so heartbeats, node-down and messages for
//! other threads never depend on a busy event loop.
//!
//! libuv comes from the host process (uv.rs); without it, or with
//! `BFLY_HOST_READER=0` (no link reading), the runtime reads every link as
//! before.
//!
//! Calling JS from a raw libuv callback needs what `MakeCallback` does: a
//! handle scope, then `napi_make_callback` (a callback scope, so
//! microtasks and `process.nextTick` run when it returns); an exception is
//! handed to `napi_fatal_exception`, as an uncaught error in any callback.

use crate::uv::{uv, Handle, UV_POLL, UV_READABLE};
use crate::THREADS;
use bfly_cluster::Cluster;
use bfly_net::reader::{Pumped, Reader};
use napi::sys;
use std::cell::{Cell, RefCell};
use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

/// One polled link: the uv_poll_t (its first field, `data`, points here)
/// and the reader it polls, kept alive until libuv has closed the handle.
struct Poll {
    handle: *mut Handle,
    words: usize,
    reader: Arc<Reader>,
    closed: bool,
}

/// The JS thread that reads links, as that thread knows itself.
struct Host {
    env: sys::napi_env,
    polls: Vec<*mut Poll>,
}

/// How a libuv callback calls the thread's drain function: its env, a
/// reference to the function, and the async context it runs in.
#[derive(Clone, Copy)]
struct Drain {
    env: sys::napi_env,
    f: sys::napi_ref,
    ctx: sys::napi_async_context,
}

thread_local! {
    static HOST: RefCell<Option<Host>> = const { RefCell::new(None) };
    /// The thread's drain function (from `thread_register`).
    static DRAIN: Cell<Option<Drain>> = const { Cell::new(None) };
    /// This thread is routing what it read: its own inbox needs no wake-up
    /// (it is drained right after).
    static PUMPING: Cell<bool> = const { Cell::new(false) };
}

/// The host's JS thread id (0: none).
static HOST_THREAD: AtomicU32 = AtomicU32::new(0);
/// Readers offered by the runtime, waiting for the host thread to poll them.
static PENDING: Mutex<Vec<Arc<Reader>>> = Mutex::new(Vec::new());
static ANY_PENDING: AtomicBool = AtomicBool::new(false);

/// Keeps the calling thread's drain function, for libuv callbacks to call
/// (from `thread_register`, on that thread). False when it cannot be kept.
pub(crate) fn keep_drain(env: sys::napi_env, f: sys::napi_value) -> bool {
    let mut r = std::ptr::null_mut();
    let mut ctx = std::ptr::null_mut();
    // SAFETY: `env` is this thread's live environment and `f` a function
    // value of it (a thread_register argument, during that call); the
    // resource and name are values made here.
    let ok = unsafe {
        let mut resource = std::ptr::null_mut();
        let mut name = std::ptr::null_mut();
        sys::napi_create_reference(env, f, 1, &mut r) == sys::Status::napi_ok
            && sys::napi_create_object(env, &mut resource) == sys::Status::napi_ok
            && sys::napi_create_string_utf8(env, c"bfly.inbox".as_ptr(), 10, &mut name)
                == sys::Status::napi_ok
            && sys::napi_async_init(env, resource, name, &mut ctx) == sys::Status::napi_ok
    };
    if ok {
        DRAIN.with(|d| d.set(Some(Drain { env, f: r, ctx })));
    }
    ok
}

/// The most links one look of the spin checks (wake.rs); a thread that
/// reads more spins on its inbox only.
#[cfg(unix)]
const LOOK_MAX: usize = 32;

/// Whether bytes wait on a link this thread reads: one `poll` with no
/// timeout over their sockets (the spin's look for a remote answer,
/// wake.rs). False when this thread reads no link, or more than LOOK_MAX.
#[cfg(unix)]
pub(crate) fn links_readable() -> bool {
    HOST.with_borrow(|h| {
        let Some(h) = h.as_ref() else { return false };
        if h.polls.is_empty() || h.polls.len() > LOOK_MAX {
            return false;
        }
        let mut fds = [libc::pollfd {
            fd: -1,
            events: libc::POLLIN,
            revents: 0,
        }; LOOK_MAX];
        for (slot, &p) in fds.iter_mut().zip(&h.polls) {
            // SAFETY: every pointer in `polls` is a live Poll (removed
            // before it is freed), on this thread; its reader's socket is
            // open while the reader lives.
            slot.fd = unsafe { (*p).reader.fd() };
        }
        // SAFETY: `h.polls.len()` valid pollfds (the rest of the array is
        // not passed), a zero timeout.
        unsafe { libc::poll(fds.as_mut_ptr(), h.polls.len() as libc::nfds_t, 0) > 0 }
    })
}

#[cfg(not(unix))]
pub(crate) fn links_readable() -> bool {
    false
}

/// Whether a post to JS thread `thread` from this OS thread needs no
/// wake-up: it is this thread, routing what it read, and drains next.
pub(crate) fn no_wake_needed(thread: u32) -> bool {
    PUMPING.with(Cell::get) && crate::current_thread() == thread
}

/// Makes the calling JS thread (the one starting the node) read the links
/// of `dist` from now on, when this runtime can: false when it cannot
/// (no libuv in the host, `allowed` false, BFLY_HOST_READER=0), and the
/// runtime reads every link.
pub(crate) fn become_host(env: sys::napi_env, dist: &'static Cluster) -> bool {
    if std::env::var("BFLY_HOST_READER").is_ok_and(|v| v == "0") || uv().is_none() {
        dist.set_host(None);
        return false;
    }
    let thread = crate::current_thread();
    let ready = HOST.with_borrow(|h| h.as_ref().is_some_and(|h| h.env == env));
    if !ready {
        if DRAIN.with(Cell::get).is_none_or(|d| d.env != env) {
            dist.set_host(None);
            return false;
        }
        HOST.with_borrow_mut(|h| {
            *h = Some(Host {
                env,
                polls: Vec::new(),
            })
        });
    }
    HOST_THREAD.store(thread, Ordering::Release);
    dist.set_host(Some(Box::new(|reader: Arc<Reader>| {
        let host = HOST_THREAD.load(Ordering::Acquire);
        if host == 0 {
            return;
        }
        if let Ok(mut p) = PENDING.lock() {
            p.push(reader);
        }
        ANY_PENDING.store(true, Ordering::Release);
        if let Some(inbox) = THREADS.inbox(host) {
            inbox.nudge();
        }
    })));
    true
}

/// Starts polling the readers the runtime offered, and lets go of polls
/// whose link ended (on the host thread; called at each drain).
pub(crate) fn adopt() {
    if !ANY_PENDING.load(Ordering::Acquire) {
        return;
    }
    let Some(uv) = uv() else { return };
    let Some(lp) = HOST
        .with_borrow(|h| h.as_ref().map(|h| h.env))
        .and_then(uv_loop)
    else {
        return;
    };
    if HOST_THREAD.load(Ordering::Acquire) != crate::current_thread() {
        return;
    }
    ANY_PENDING.store(false, Ordering::Release);
    let fresh = PENDING
        .lock()
        .map(|mut p| std::mem::take(&mut *p))
        .unwrap_or_default();
    reap();
    for reader in fresh {
        if reader.ended() {
            continue;
        }
        #[cfg(unix)]
        let fd = reader.fd();
        #[cfg(not(unix))]
        let fd = -1;
        // SAFETY: uv_handle_size only reports a size.
        let words = unsafe { (uv.handle_size)(UV_POLL) }.div_ceil(8);
        let handle = Box::into_raw(vec![0u64; words].into_boxed_slice()) as *mut Handle;
        let poll = Box::into_raw(Box::new(Poll {
            handle,
            words,
            reader,
            closed: false,
        }));
        // SAFETY: `handle` is zeroed, 8-byte aligned memory of the size
        // libuv asked for, owned by `poll` until `on_close`; `lp` is this
        // thread's loop and `fd` a socket kept open by `poll.reader`. The
        // handle's first field is its `data` pointer (uv_handle_t), set
        // after init, which does not touch it.
        let started = unsafe {
            if (uv.poll_init)(lp, handle, fd) != 0 {
                drop(Box::from_raw(poll));
                free_handle(handle, words);
                continue;
            }
            *(handle as *mut *mut Poll) = poll;
            (uv.unref)(handle);
            (uv.poll_start)(handle, UV_READABLE, on_readable) == 0
        };
        HOST.with_borrow_mut(|h| {
            if let Some(h) = h.as_mut() {
                h.polls.push(poll);
            }
        });
        if !started {
            // The runtime keeps reading this link.
            close(poll);
        }
    }
}

fn uv_loop(env: sys::napi_env) -> Option<*mut c_void> {
    let mut lp = std::ptr::null_mut();
    // SAFETY: `env` is this thread's live environment.
    let st = unsafe { sys::napi_get_uv_event_loop(env, &mut lp) };
    (st == sys::Status::napi_ok && !lp.is_null()).then_some(lp as *mut c_void)
}

/// Closes the polls whose link ended.
fn reap() {
    let ended: Vec<*mut Poll> = HOST.with_borrow(|h| {
        h.as_ref().map_or(Vec::new(), |h| {
            h.polls
                .iter()
                .copied()
                // SAFETY: every pointer in `polls` is a live Poll (removed
                // from the list before it is freed).
                .filter(|&p| unsafe { (*p).reader.ended() })
                .collect()
        })
    });
    for p in ended {
        close(p);
    }
}

/// Stops polling `p` and has libuv close its handle (freed in `on_close`).
fn close(p: *mut Poll) {
    let Some(uv) = uv() else { return };
    HOST.with_borrow_mut(|h| {
        if let Some(h) = h.as_mut() {
            h.polls.retain(|&x| x != p);
        }
    });
    // SAFETY: `p` is a live Poll (freed only in on_close, which this
    // schedules once: `closed` guards a second call).
    unsafe {
        if (*p).closed {
            return;
        }
        (*p).closed = true;
        (*p).reader.release();
        (uv.poll_stop)((*p).handle);
        (uv.close)((*p).handle, Some(on_close));
    }
}

/// # Safety
/// `handle` and `words` are those of a Poll's handle, no longer used by libuv.
unsafe fn free_handle(handle: *mut Handle, words: usize) {
    drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(
        handle as *mut u64,
        words,
    )));
}

unsafe extern "C" fn on_close(handle: *mut Handle) {
    // SAFETY: libuv is done with the handle; its data is the Poll made
    // in `adopt`, owned from here on.
    let poll = Box::from_raw(*(handle as *mut *mut Poll));
    free_handle(poll.handle, poll.words);
}

unsafe extern "C" fn on_readable(handle: *mut Handle, status: c_int, _events: c_int) {
    // SAFETY: the handle's data is its live Poll (freed only after close).
    let p = *(handle as *mut *mut Poll);
    if (*p).closed {
        return;
    }
    let r = if status < 0 {
        Pumped::Ended
    } else {
        PUMPING.with(|x| x.set(true));
        let r = (*p).reader.host_pump(crate::pace::budget());
        PUMPING.with(|x| x.set(false));
        r
    };
    if r == Pumped::Ended {
        close(p);
    }
    deliver(false);
}

/// Hands what arrived for this thread's processes to JS now, through the
/// thread's drain function, as `MakeCallback` would (from a libuv
/// callback on this thread). `always`: even when the inbox looks empty (a
/// wake-up must drain, which clears the inbox's pending wake-up).
pub(crate) fn deliver(always: bool) {
    let Some(Drain { env, f: drain, ctx }) = DRAIN.with(Cell::get) else {
        return;
    };
    if !always
        && !crate::drain::put_waiting()
        && THREADS
            .inbox(crate::current_thread())
            .is_none_or(|i| i.is_empty())
    {
        return;
    }
    // SAFETY: on the host thread, inside a libuv callback with no JS on
    // the stack: `env` is live (the handles are closed at its cleanup),
    // `drain` a reference to the thread's drain function, `ctx` its async
    // context. The handle scope is closed before returning.
    unsafe {
        let mut scope = std::ptr::null_mut();
        if sys::napi_open_handle_scope(env, &mut scope) != sys::Status::napi_ok {
            return;
        }
        let mut f = std::ptr::null_mut();
        let mut recv = std::ptr::null_mut();
        let mut out = std::ptr::null_mut();
        if sys::napi_get_reference_value(env, drain, &mut f) == sys::Status::napi_ok
            && sys::napi_get_global(env, &mut recv) == sys::Status::napi_ok
            && sys::napi_make_callback(env, ctx, recv, f, 0, std::ptr::null(), &mut out)
                == sys::Status::napi_pending_exception
        {
            let mut e = std::ptr::null_mut();
            if sys::napi_get_and_clear_last_exception(env, &mut e) == sys::Status::napi_ok {
                sys::napi_fatal_exception(env, e);
            }
        }
        sys::napi_close_handle_scope(env, scope);
    }
}

/// The JS thread `thread` is going away: if it reads links, they go back to
/// the runtime at once.
pub(crate) fn teardown(thread: u32) {
    if HOST_THREAD
        .compare_exchange(thread, 0, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return;
    }
    if let Some(d) = crate::cluster::CLUSTER.get() {
        d.set_host(None);
    }
    let polls = HOST.with_borrow(|h| h.as_ref().map(|h| h.polls.clone()).unwrap_or_default());
    for p in polls {
        close(p);
    }
    for r in PENDING
        .lock()
        .map(|mut p| std::mem::take(&mut *p))
        .unwrap_or_default()
    {
        r.release();
    }
}
