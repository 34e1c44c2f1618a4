//! How much the JS thread that reads its links may read now: a pump
//! reads only as fast as the thread drains (see `budget`).

use crate::THREADS;
use bfly_net::reader::PUMP_BUDGET;

/// What this thread's inbox may hold before its pumps stop reading:
/// deliveries (about eight pumps' worth of 100 B messages) and payload
/// bytes (64 messages of 64 KiB).
const HOLD_AT: (usize, usize) = (16 << 10, 4 << 20);

/// What the next pump may read: nothing while the thread's inbox holds
/// `HOLD_AT` or more. Reading only as fast as the thread drains keeps a
/// backlog in the socket, where TCP holds the sender back, instead of in
/// the inbox: a node that read whatever arrived queued millions of
/// deliveries in a 100 B stream (each allocated, then drained cold), and
/// drained slower for it. A pump that reads nothing still counts as the
/// host's (the runtime takes a link over only when this thread stops
/// pumping: a stalled thread's links are still read, so heartbeats and
/// node-down never wait for it), and it hands out what was read already.
/// The loop keeps turning meanwhile: the socket stays readable and the
/// drain's `setImmediate` takes the rest.
pub(crate) fn budget() -> usize {
    let (n, bytes) = THREADS
        .inbox(crate::current_thread())
        .map_or((0, 0), |i| i.backlog());
    if n >= HOLD_AT.0 || bytes >= HOLD_AT.1 {
        0
    } else {
        PUMP_BUDGET
    }
}
