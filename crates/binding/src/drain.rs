//! Taking a JS thread's inbox: the deliveries other threads and nodes
//! posted for it, in arrival order, in one call.

use crate::lent::Lent;
use crate::THREADS;
use bfly_core::{spare, Lane};
use napi::bindgen_prelude::{Buffer, Float64Array, Uint32Array, Uint8Array};
use napi_derive::napi;
use std::cell::Cell;

/// The lanes as JS reads them from a drain and names them to `post`: one
/// `#[napi]` constant per `bfly_core::Lane`, its number by expression,
/// and a match over the list that fails to compile when a lane of the core
/// has no constant.
macro_rules! lanes {
    ($($name:ident = $lane:ident, $doc:literal;)*) => {
        $(#[doc = $doc] #[napi] pub const $name: u32 = Lane::$lane as u32;)*
        const fn _exported(l: Lane) -> u32 {
            match l {
                $(Lane::$lane => $name,)*
            }
        }
    };
}

lanes! {
    LANE_USER = User, "`send`'s encoded value.";
    LANE_SIGNAL = Signal, "An exit signal or a DOWN.";
    LANE_REPLY = Reply, "A call's answer `[ref, value]`.";
    LANE_WAKE = Wake, "`to` is a wake token (`to` 0: many, u64 little-endian, in the payload).";
    LANE_SPAWN = Spawn, "Start process `to` from its encoded spec.";
    LANE_REMOTE = Remote, "From a node that counts credit: its id (u32 little-endian), then the value.";
    LANE_AGENT = Agent, "A term for the node agent from the distribution layer itself.";
}

/// Deliveries waiting for a thread, in arrival order. The payloads are
/// one buffer: payload `i` is `bytes[ends[i-1]..ends[i]]` (a Buffer per
/// payload cost ~3 us each through N-API here; a view costs next to
/// nothing), and the other fields are typed arrays over the vectors built
/// here (JS arrays were set element by element, a fifth of a streaming
/// node's CPU).
#[napi(object)]
pub struct Drained {
    /// Target process ids.
    pub to: Float64Array,
    /// Each delivery's lane (`LANE_*`).
    pub lane: Uint32Array,
    /// Where each payload ends in `bytes`.
    pub ends: Uint32Array,
    /// The encoded payloads, back to back.
    pub bytes: Buffer,
    /// More deliveries wait: drain again once these are delivered.
    pub more: bool,
}

/// The most one `thread_drain` takes: deliveries, and payload bytes
/// (beyond the first delivery, which is taken whatever its size).
const DRAIN_MAX: usize = 4096;
const DRAIN_MAX_BYTES: usize = 1 << 20;

/// Takes the oldest deliveries queued for `thread`, in order: at least
/// one, at most `DRAIN_MAX` or `DRAIN_MAX_BYTES` (see `Inbox::drain_front`
/// for why not everything).
#[napi]
pub fn thread_drain(thread: u32) -> Drained {
    crate::host::adopt();
    let (batch, more) = THREADS
        .inbox(thread)
        .map(|i| i.drain_front(DRAIN_MAX, DRAIN_MAX_BYTES, true))
        .unwrap_or_default();
    let total = batch.iter().map(|d| d.payload.len()).sum();
    let mut bytes = Vec::with_capacity(total);
    let mut to = Vec::with_capacity(batch.len());
    let mut lane = Vec::with_capacity(batch.len());
    let mut ends = Vec::with_capacity(batch.len());
    for d in batch {
        to.push(d.to as f64);
        lane.push(d.lane as u32);
        bytes.extend_from_slice(&d.payload);
        ends.push(bytes.len() as u32);
        spare::give_back(d.payload);
    }
    Drained {
        to: to.into(),
        lane: lane.into(),
        ends: ends.into(),
        bytes: bytes.into(),
        more,
    }
}

/// The thread's drain blocks (`thread_drain_blocks`; lent.rs), and how
/// many deliveries its reads `put` there, ending where: one cell, one
/// thread-local access per `put`.
#[derive(Clone, Copy)]
struct Blocks {
    meta: Lent<f64>,
    bytes: Lent<u8>,
    put: (usize, usize),
}

impl Blocks {
    const NONE: Blocks = Blocks {
        meta: Lent::NONE,
        bytes: Lent::NONE,
        put: (0, 0),
    };
}

thread_local! {
    static BLOCKS: Cell<Blocks> = const { Cell::new(Blocks::NONE) };
}

/// Stores a delivery for one of this thread's processes in its drain
/// blocks, during one of its own reads of a link (no JS runs then): the
/// next `thread_drain_small` hands it over before anything in the inbox.
/// False when the blocks have no room left (bfly_cluster::deliver_here).
fn put(to: u64, lane: Lane, parts: &[&[u8]]) -> bool {
    BLOCKS.with(|c| {
        let mut b = c.get();
        let slots = b.meta.len() / 3;
        let (n, end) = b.put;
        if n == slots || b.bytes.len() - end < parts.iter().map(|p| p.len()).sum() {
            return false;
        }
        // SAFETY: on the thread that lent the blocks, in a libuv callback
        // with no JS running (as during a native call, lent.rs); no other
        // slice of them is alive.
        let (meta, bytes) = unsafe { (b.meta.slice_mut(), b.bytes.slice_mut()) };
        b.put = (n + 1, store(meta, bytes, n, end, to, lane, parts));
        c.set(b);
        true
    })
}

/// Writes delivery `i` into the drain blocks, its payload (`parts`
/// joined) at `at` (where the one before ended): where its payload ends.
/// The caller checked the room.
fn store(
    meta: &mut [f64],
    bytes: &mut [u8],
    i: usize,
    at: usize,
    to: u64,
    lane: Lane,
    parts: &[&[u8]],
) -> usize {
    let slots = meta.len() / 3;
    let mut end = at;
    for p in parts {
        bytes[end..end + p.len()].copy_from_slice(p);
        end += p.len();
    }
    meta[i] = to as f64;
    meta[slots + i] = lane as u32 as f64;
    meta[2 * slots + i] = end as f64;
    end
}

/// Whether this thread's reads stored deliveries not drained yet.
pub(crate) fn put_waiting() -> bool {
    BLOCKS.with(Cell::get).put.0 > 0
}

/// The thread's environment is going: its blocks are not written again.
pub(crate) fn release() {
    bfly_cluster::deliver_here(None);
    BLOCKS.with(|c| c.set(Blocks::NONE));
}

/// Registers the calling thread's drain blocks: `meta` holds three runs of
/// `meta.len() / 3` slots (targets, lanes, payload ends) and `bytes` the
/// payloads back to back. A small batch crosses in them, so a drain costs
/// one N-API call returning a number (building `Drained`'s arrays and
/// Buffer cost ~10 us per drain here, most of a cross-thread hop).
#[napi]
pub fn thread_drain_blocks(mut meta: Float64Array, mut bytes: Uint8Array) {
    // SAFETY: only the pointers and lengths are kept (lent.rs).
    let (m, b) = unsafe { (meta.as_mut(), bytes.as_mut()) };
    BLOCKS.with(|c| {
        c.set(Blocks {
            meta: Lent::of(m),
            bytes: Lent::of(b),
            put: (0, 0),
        })
    });
    bfly_cluster::deliver_here(Some((crate::current_thread(), put)));
}

/// Takes the oldest deliveries queued for the calling thread into the
/// drain blocks, as many as fit (a third of `meta`'s slots, `bytes`'s
/// length): twice their number, plus one when more wait (drain again once
/// these are delivered). -1 when the oldest alone does not fit or no
/// blocks are registered; nothing is taken then, and `thread_drain` takes it.
///
/// It takes no argument (the thread is the caller's): a call with one pays
/// napi-rs's per-call borrow bookkeeping, once per hop here.
#[napi]
pub fn thread_drain_small() -> i32 {
    let thread = crate::current_thread();
    crate::host::adopt();
    let Blocks { meta, bytes, .. } = BLOCKS.with(Cell::get);
    if meta.len() == 0 || bytes.len() == 0 {
        return -1;
    }
    let slots = meta.len() / 3;
    let Some(inbox) = THREADS.inbox(thread) else {
        return 0;
    };
    // What this thread's reads stored is older than anything in the inbox.
    let n = BLOCKS.with(|c| {
        let mut b = c.get();
        let n = std::mem::take(&mut b.put).0;
        c.set(b);
        n
    });
    if n > 0 {
        return 2 * n as i32 + i32::from(!inbox.is_empty());
    }
    let (batch, more) = inbox.drain_front(slots, bytes.len(), false);
    if batch.is_empty() && more {
        return -1;
    }
    // SAFETY: on this thread, during a native call; these are the only
    // slices of the drain blocks (lent.rs).
    let (meta, bytes) = unsafe { (meta.slice_mut(), bytes.slice_mut()) };
    let mut end = 0;
    let n = batch.len();
    for (i, d) in batch.into_iter().enumerate() {
        end = store(meta, bytes, i, end, d.to, d.lane, &[&d.payload]);
        // The next read of a link on this thread copies into it (spare.rs).
        spare::give_back(d.payload);
    }
    2 * n as i32 + i32::from(more)
}
