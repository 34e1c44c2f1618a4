//! The byte block: one buffer per JS thread holding the message of the
//! current hot call (src/kernel/writer.ts writes messages into it). A call
//! that takes a `&[u8]` goes through napi-rs's borrow bookkeeping (an
//! `Arc`, a mutex and two thread-local vectors per call), which was over
//! half of a 100 B remote send's native time; a call with no arguments
//! skips it, so the hot sends take their bytes from here and their lengths
//! from the argument block (lib.rs).

use crate::lent::{lent, Lent};
use napi::bindgen_prelude::Uint8Array;
use napi_derive::napi;
use std::cell::Cell;

thread_local! {
    static BLOCK: Cell<Lent<u8>> = const { Cell::new(Lent::NONE) };
}

/// Registers the calling JS thread's byte block (again after JS replaces
/// it with a larger one). JS keeps the array referenced until it
/// registers another.
#[napi]
pub fn block_register(mut block: Uint8Array) {
    // SAFETY: only the pointer and length are kept (lent.rs).
    let lent = Lent::of(unsafe { block.as_mut() });
    BLOCK.with(|b| b.set(lent));
}

/// Runs `f` on bytes `start..start + len` of this thread's block; None
/// when they are outside it (or no block is registered).
pub(crate) fn with_block<R>(start: u64, len: u64, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
    // SAFETY: on this thread, during a native call; no other slice of the
    // block is alive while `f` runs (lent.rs).
    let all = unsafe { lent(&BLOCK).slice() };
    let end = usize::try_from(start.checked_add(len)?).ok()?;
    Some(f(all.get(start as usize..end)?))
}
