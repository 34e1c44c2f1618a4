//! Posting a JS thread's batch of user messages for processes of other
//! threads, from blocks the thread registered once (src/threads/post.ts):
//! a flush is one fast call that reads a count, where passing the three
//! arrays as arguments made three typed-array views and three references
//! per flush (~1 us of a cross-thread hop).

use crate::{slots, TABLE, THREADS};
use napi::bindgen_prelude::{Float64Array, Uint32Array, Uint8Array};
use napi_derive::napi;
use std::cell::Cell;

/// The calling thread's post blocks: the payloads, then `slots` target
/// ids and payload ends.
#[derive(Clone, Copy)]
struct Blocks {
    bytes: *const u8,
    len: usize,
    ids: *const f64,
    ends: *const u32,
    slots: usize,
}

thread_local! {
    static BLOCKS: Cell<Blocks> = const {
        Cell::new(Blocks {
            bytes: std::ptr::null(),
            len: 0,
            ids: std::ptr::null(),
            ends: std::ptr::null(),
            slots: 0,
        })
    };
}

/// Registers (or, after the JS side grew them, replaces) the calling
/// thread's post blocks: message `i` is `bytes[ends[i-1]..ends[i]]` for
/// process `ids[i]`. `ids` and `ends` have as many slots.
#[napi]
pub fn thread_post_blocks(
    bytes: Uint8Array,
    ids: Float64Array,
    ends: Uint32Array,
) -> napi::Result<()> {
    if ids.len() != ends.len() {
        return Err(napi::Error::from_reason(
            "thread_post_blocks: ids and ends differ in length",
        ));
    }
    BLOCKS.with(|b| {
        b.set(Blocks {
            bytes: bytes.as_ptr(),
            len: bytes.len(),
            ids: ids.as_ptr(),
            ends: ends.as_ptr(),
            slots: ids.len(),
        })
    });
    Ok(())
}

/// Posts the first `count` messages of the registered blocks, in order,
/// each to whichever thread owns its target (one lock and at most one
/// wake-up per run of messages to the same thread); messages to dead
/// processes are dropped.
#[napi]
pub fn post_blocks() -> napi::Result<()> {
    let [count] = slots();
    let b = BLOCKS.with(Cell::get);
    let count = count as usize;
    if b.bytes.is_null() || count > b.slots {
        return Err(napi::Error::from_reason(
            "post_blocks: no blocks registered, or more messages than slots",
        ));
    }
    // SAFETY: the pointers and lengths describe the data of the three
    // typed arrays this thread last passed to `thread_post_blocks`; the JS
    // side keeps them referenced while they are registered (module
    // variables, replaced only by registering again), their buffers are
    // off-heap (over 64 bytes) and never detached, and only this thread
    // reads them, here, during a synchronous call while no JS runs on it.
    let (bytes, ids, ends) = unsafe {
        (
            std::slice::from_raw_parts(b.bytes, b.len),
            std::slice::from_raw_parts(b.ids, count),
            std::slice::from_raw_parts(b.ends, count),
        )
    };
    if ends.windows(2).any(|w| w[0] > w[1])
        || ends.last().is_some_and(|&e| e as usize > bytes.len())
    {
        return Err(napi::Error::from_reason(
            "post_blocks: the payload ends disagree with the bytes",
        ));
    }
    let starts = std::iter::once(0).chain(ends.iter().map(|&e| e as usize));
    let msgs = ids
        .iter()
        .zip(starts.zip(ends.iter()))
        .map(|(&id, (s, &e))| (id as u64, &bytes[s..e as usize]));
    THREADS.post_batch(&TABLE, msgs);
    crate::wake::posted();
    Ok(())
}
