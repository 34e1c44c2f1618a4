//! Memory a JS thread lends once: the data of a typed array it registered
//! (the argument slots, the byte block, the drain and post blocks), read or
//! written by the hot calls that then take no arguments. Passing an array
//! per call made a view, a reference and napi-rs's borrow bookkeeping each
//! time; a registration keeps only the pointer and the length, here.
//!
//! The registering side promises, for as long as a registration stands:
//! JS keeps the array referenced (a module value, replaced only by
//! registering again); its buffer is off-heap (JS makes every lent array
//! over 64 bytes) and never detached; and only the registering thread
//! touches it through this module, during a synchronous native call or a
//! libuv callback (drain.rs `put`, during the thread's own read of a link),
//! while no JS runs on that thread. Every `unsafe` below rests on that
//! promise.

use std::cell::Cell;
use std::thread::LocalKey;

/// One lent array's data: nothing until registered.
pub(crate) struct Lent<T> {
    ptr: *mut T,
    len: usize,
}

// A pointer and a length, copied whatever `T` is (a derive would ask `T: Copy`).
impl<T> Clone for Lent<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Lent<T> {}

impl<T> Lent<T> {
    /// Nothing lent.
    pub(crate) const NONE: Self = Lent {
        ptr: std::ptr::null_mut(),
        len: 0,
    };

    /// The data of `array` (a typed array JS just passed to a register call).
    pub(crate) fn of(array: &mut [T]) -> Self {
        Lent {
            ptr: array.as_mut_ptr(),
            len: array.len(),
        }
    }

    /// Its length (0 when nothing is lent).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The lent memory (empty when nothing is lent), to read during one
    /// native call on the registering thread.
    ///
    /// # Safety
    /// Called on the thread that lent it, within the promise in the module
    /// doc, and no `slice_mut` of the same memory is alive.
    pub(crate) unsafe fn slice<'a>(self) -> &'a [T] {
        if self.ptr.is_null() {
            return &[];
        }
        // SAFETY: the caller's contract: `ptr`/`len` are the data of a live,
        // attached, off-heap typed array of this thread, and nothing writes
        // to it during this call.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// The lent memory, to write during one native call.
    ///
    /// # Safety
    /// As `slice`, and no other slice of the same memory is alive.
    pub(crate) unsafe fn slice_mut<'a>(self) -> &'a mut [T] {
        if self.ptr.is_null() {
            return &mut [];
        }
        // SAFETY: as in `slice`; the caller holds the only slice.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

/// What the calling thread lent through `key`.
pub(crate) fn lent<T: 'static>(key: &'static LocalKey<Cell<Lent<T>>>) -> Lent<T> {
    key.with(Cell::get)
}
