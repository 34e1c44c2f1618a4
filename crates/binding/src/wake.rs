//! One coalesced wake-up per JS thread: an async handle on the thread's
//! libuv loop whose callback drains the thread's inbox (host.rs's
//! `deliver`, as `MakeCallback` would). The inbox already coalesces (one
//! wake-up per batch, see bfly_core::inbox); this replaces the
//! threadsafe-function call per batch (its queue, lock and per-call JS
//! argument conversion) with one `uv_async_send`. Where libuv is not
//! found in the host process, `thread_register` keeps the threadsafe
//! function.

use crate::host;
use crate::uv::{uv, Handle};
use std::sync::{Arc, RwLock};

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
