//! libuv, found in the host process at run time (`dlsym`): Node exports
//! it; where it is missing (Deno, Windows) or may be stubs (Bun, which JS
//! turns off through `use_host_loop`), or with `BFLY_HOST_LOOP=0`, `uv()`
//! is None and the native runtime does the work on its own threads.
//! host.rs polls links with it, wake.rs wakes JS threads with it (and
//! spins before their loop sleeps); handles
//! are sized by `uv_handle_size` and only their first field (`data`) is
//! touched.

use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

pub(crate) type Handle = c_void;
pub(crate) type PollCb = unsafe extern "C" fn(*mut Handle, c_int, c_int);
pub(crate) type CloseCb = unsafe extern "C" fn(*mut Handle);

/// The libuv functions used here, from the host process.
pub(crate) struct Uv {
    pub(crate) handle_size: unsafe extern "C" fn(c_int) -> usize,
    pub(crate) poll_init: unsafe extern "C" fn(*mut c_void, *mut Handle, c_int) -> c_int,
    pub(crate) poll_start: unsafe extern "C" fn(*mut Handle, c_int, PollCb) -> c_int,
    pub(crate) poll_stop: unsafe extern "C" fn(*mut Handle) -> c_int,
    pub(crate) close: unsafe extern "C" fn(*mut Handle, Option<CloseCb>),
    pub(crate) unref: unsafe extern "C" fn(*mut Handle),
    pub(crate) async_init: unsafe extern "C" fn(*mut c_void, *mut Handle, CloseCb) -> c_int,
    pub(crate) async_send: unsafe extern "C" fn(*mut Handle) -> c_int,
    pub(crate) prepare_init: unsafe extern "C" fn(*mut c_void, *mut Handle) -> c_int,
    pub(crate) prepare_start: unsafe extern "C" fn(*mut Handle, CloseCb) -> c_int,
    pub(crate) backend_timeout: unsafe extern "C" fn(*const c_void) -> c_int,
}

/// `UV_POLL` in libuv's `uv_handle_type` (stable across libuv 1.x).
pub(crate) const UV_POLL: c_int = 8;
/// `UV_PREPARE` in `uv_handle_type`.
pub(crate) const UV_PREPARE: c_int = 9;
/// `UV_READABLE`.
pub(crate) const UV_READABLE: c_int = 1;

#[cfg(unix)]
fn lookup() -> Option<Uv> {
    use std::ffi::CStr;
    fn sym(name: &CStr) -> Option<*mut c_void> {
        // SAFETY: dlsym with RTLD_DEFAULT searches the loaded objects for a
        // NUL-terminated name; it has no other effect.
        let p = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
        (!p.is_null()).then_some(p)
    }
    /// The symbol `name` as a function pointer of type `T`.
    ///
    /// # Safety
    /// `T` must be the function pointer type of that C function.
    unsafe fn func<T: Copy>(name: &CStr) -> Option<T> {
        let p = sym(name)?;
        debug_assert_eq!(std::mem::size_of::<T>(), std::mem::size_of::<*mut c_void>());
        // SAFETY: a function pointer is pointer-sized; the caller names its type.
        Some(unsafe { std::mem::transmute_copy::<*mut c_void, T>(&p) })
    }
    // SAFETY (each `func`): the symbol is libuv's function of that name,
    // whose C signature is the one declared in `Uv` (libuv 1.x, uv.h).
    unsafe {
        Some(Uv {
            handle_size: func(c"uv_handle_size")?,
            poll_init: func(c"uv_poll_init")?,
            poll_start: func(c"uv_poll_start")?,
            poll_stop: func(c"uv_poll_stop")?,
            close: func(c"uv_close")?,
            unref: func(c"uv_unref")?,
            async_init: func(c"uv_async_init")?,
            async_send: func(c"uv_async_send")?,
            prepare_init: func(c"uv_prepare_init")?,
            prepare_start: func(c"uv_prepare_start")?,
            backend_timeout: func(c"uv_backend_timeout")?,
        })
    }
}

#[cfg(not(unix))]
fn lookup() -> Option<Uv> {
    None
}

/// Whether JS allowed driving its loop (`use_host_loop`; Bun says no).
static ALLOWED: AtomicBool = AtomicBool::new(true);

/// libuv's functions, when they may be used: found in the host process,
/// allowed by JS, and not turned off with BFLY_HOST_LOOP=0.
pub(crate) fn uv() -> Option<&'static Uv> {
    static UV: OnceLock<Option<Uv>> = OnceLock::new();
    static OFF: OnceLock<bool> = OnceLock::new();
    if !ALLOWED.load(Ordering::Relaxed)
        || *OFF.get_or_init(|| std::env::var("BFLY_HOST_LOOP").is_ok_and(|v| v == "0"))
    {
        return None;
    }
    UV.get_or_init(lookup).as_ref()
}

/// Whether this runtime's libuv may be driven from here (JS calls it once
/// per thread as the addon loads: false in Bun, whose libuv functions may
/// be stubs). Off for one thread is off for the process.
#[napi_derive::napi]
pub fn use_host_loop(allowed: bool) {
    if !allowed {
        ALLOWED.store(false, Ordering::Relaxed);
    }
}
