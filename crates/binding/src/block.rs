//! The byte block: one buffer per JS thread holding the message of the
//! current hot call (src/kernel/writer.ts writes messages into it). A call
//! that takes a `&[u8]` goes through napi-rs's borrow bookkeeping (an
//! `Arc`, a mutex and two thread-local vectors per call), which was over
//! half of a 100 B remote send's native time; a call with no arguments
//! skips it, so the hot sends take their bytes from here and their lengths
//! from the argument block (lib.rs).

use napi::bindgen_prelude::Uint8Array;
use napi_derive::napi;
use std::cell::Cell;

thread_local! {
    static BLOCK: Cell<(*const u8, usize)> = const { Cell::new((std::ptr::null(), 0)) };
}

/// Registers the calling JS thread's byte block (again after JS replaces
/// it with a larger one). JS keeps the array referenced until it
/// registers another.
#[napi]
pub fn block_register(block: Uint8Array) {
    BLOCK.with(|b| b.set((block.as_ptr(), block.len())));
}

/// Runs `f` on bytes `start..start + len` of this thread's block; None
/// when they are outside it (or no block is registered).
pub(crate) fn with_block<R>(start: u64, len: u64, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
    let (ptr, size) = BLOCK.with(Cell::get);
    let end = start.checked_add(len)?;
    if ptr.is_null() || end > size as u64 {
        return None;
    }
    // SAFETY: `ptr`/`size` describe the data of the Uint8Array this thread
    // last passed to `block_register`; JS keeps that array referenced until
    // it registers another (src/kernel/writer.ts), its buffer is off-heap
    // (JS makes it at least 64 KiB) and never detached, and only this
    // thread calls the functions that read it, synchronously, while no JS
    // runs. The range was checked against `size` above.
    let all = unsafe { std::slice::from_raw_parts(ptr, size) };
    Some(f(&all[start as usize..end as usize]))
}
