//! Posting a JS thread's batch of user messages for processes of other
//! threads, from blocks the thread registered once (src/threads/post.ts):
//! a flush is one fast call that reads a count, where passing the three
//! arrays as arguments made three typed-array views and three references
//! per flush (~1 us of a cross-thread hop).

use crate::lent::{lent, Lent};
use crate::{slots, TABLE, THREADS};
use napi::bindgen_prelude::{Float64Array, Uint32Array, Uint8Array};
use napi_derive::napi;
use std::cell::Cell;

thread_local! {
    /// The calling thread's post blocks (lent.rs): the payloads, the target
    /// ids and the payload ends (as many of each).
    static BYTES: Cell<Lent<u8>> = const { Cell::new(Lent::NONE) };
    static IDS: Cell<Lent<f64>> = const { Cell::new(Lent::NONE) };
    static ENDS: Cell<Lent<u32>> = const { Cell::new(Lent::NONE) };
}

/// Registers (or, after the JS side grew them, replaces) the calling
/// thread's post blocks: message `i` is `bytes[ends[i-1]..ends[i]]` for
/// process `ids[i]`. `ids` and `ends` have as many slots.
#[napi]
pub fn thread_post_blocks(
    mut bytes: Uint8Array,
    mut ids: Float64Array,
    mut ends: Uint32Array,
) -> napi::Result<()> {
    if ids.len() != ends.len() {
        return Err(napi::Error::from_reason(
            "thread_post_blocks: ids and ends differ in length",
        ));
    }
    // SAFETY: only the pointers and lengths are kept (lent.rs).
    let (b, i, e) = unsafe { (bytes.as_mut(), ids.as_mut(), ends.as_mut()) };
    BYTES.with(|c| c.set(Lent::of(b)));
    IDS.with(|c| c.set(Lent::of(i)));
    ENDS.with(|c| c.set(Lent::of(e)));
    Ok(())
}

/// Posts the first `count` messages of the registered blocks, in order,
/// each to whichever thread owns its target (one lock and at most one
/// wake-up per run of messages to the same thread); messages to dead
/// processes are dropped.
#[napi]
pub fn post_blocks() -> napi::Result<()> {
    let [count] = slots();
    let count = count as usize;
    // SAFETY: on this thread, during a native call, reading only (lent.rs).
    let (bytes, ids, ends) = unsafe {
        (
            lent(&BYTES).slice(),
            lent(&IDS).slice(),
            lent(&ENDS).slice(),
        )
    };
    if bytes.is_empty() || count > ids.len() {
        return Err(napi::Error::from_reason(
            "post_blocks: no blocks registered, or more messages than slots",
        ));
    }
    let (ids, ends) = (&ids[..count], &ends[..count]);
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
