//! A JS thread's user messages to other nodes, handed to the cluster in
//! batches (src/nodes/outgoing.ts): JS copies each encoded message into
//! blocks it lent once, and one call hands over the lot. A native call
//! per message (with its peer lookup, peer lock and link lock) cost the
//! sending thread ~200-290 ns of a 100 B message, as much as the link
//! spends on it in all (docs/DECISIONS.md, issue 18).
//!
//! Order: the hand-over runs before anything else this thread sends or
//! flushes (`bfly_cluster::before_sending`), so a signal, a reply or a
//! process's exit never overtakes a message queued before it.
//!
//! What a send of the batch did cannot be answered to its caller, who has
//! moved on: what it should know (a busy link, a message held for credit,
//! not a node) is noted for JS, which then sends to that node or process
//! the direct way until a direct send answers "sent".

use crate::cluster::{with_encoded, CLUSTER};
use crate::cluster_send::outcome;
use crate::lent::{lent, Lent};
use crate::slots;
use bfly_cluster::envelope::Frame;
use bfly_cluster::Sent;
use napi::bindgen_prelude::{Float64Array, Uint32Array, Uint8Array};
use napi_derive::napi;
use std::cell::Cell;

/// Slots per message in the meta block: node id, process id (for a name:
/// unused), the name's UTF-8 length (0: to the process id; `SAME_NAME`).
const META_SLOTS: usize = 3;
/// In the meta block: the message goes to the name of the message before
/// it (to the same node), and carries none (JS did not write it again).
const SAME_NAME: f64 = -1.0;
/// Slots per note: what the send answered (`cluster_send`'s codes), the
/// node id, the process id.
const NOTE_SLOTS: usize = 3;
/// State slots: [0] messages queued (JS counts up, the hand-over resets
/// it), [1] notes written (the hand-over counts up, JS resets it).
const STATE_SLOTS: usize = 2;

thread_local! {
    /// The calling thread's batch blocks (lent.rs): message `i` is
    /// `bytes[s..ends[i]]`, `s` being `ends[i-1]` rounded up to a multiple
    /// of 4 (0 for the first), its name's UTF-8 last; with
    /// `meta[3i..3i+3]`; `state`; `notes`.
    static BYTES: Cell<Lent<u8>> = const { Cell::new(Lent::NONE) };
    static META: Cell<Lent<f64>> = const { Cell::new(Lent::NONE) };
    static ENDS: Cell<Lent<u32>> = const { Cell::new(Lent::NONE) };
    static STATE: Cell<Lent<f64>> = const { Cell::new(Lent::NONE) };
    static NOTES: Cell<Lent<f64>> = const { Cell::new(Lent::NONE) };
    /// A hand-over is running on this thread (its own sends must not
    /// start another).
    static HANDING: Cell<bool> = const { Cell::new(false) };
}

/// Registers (or, after JS grew them, replaces) the calling thread's batch
/// blocks and has them handed over before anything this thread sends.
/// `meta` has 3 slots and `notes` 3 per slot of `ends`; `state` at least 2.
#[napi]
pub fn cluster_batch_blocks(
    mut bytes: Uint8Array,
    mut meta: Float64Array,
    mut ends: Uint32Array,
    mut state: Float64Array,
    mut notes: Float64Array,
) -> napi::Result<()> {
    if meta.len() != ends.len() * META_SLOTS
        || notes.len() != ends.len() * NOTE_SLOTS
        || state.len() < STATE_SLOTS
    {
        return Err(napi::Error::from_reason(
            "cluster_batch_blocks: the blocks' lengths disagree",
        ));
    }
    // SAFETY: only the pointers and lengths are kept (lent.rs).
    let lents = unsafe {
        (
            Lent::of(bytes.as_mut()),
            Lent::of(meta.as_mut()),
            Lent::of(ends.as_mut()),
            Lent::of(state.as_mut()),
            Lent::of(notes.as_mut()),
        )
    };
    BYTES.with(|c| c.set(lents.0));
    META.with(|c| c.set(lents.1));
    ENDS.with(|c| c.set(lents.2));
    STATE.with(|c| c.set(lents.3));
    NOTES.with(|c| c.set(lents.4));
    bfly_cluster::before_sending(hand_over);
    Ok(())
}

/// At the cleanup of the thread's environment, while its arrays still
/// stand: hands over what is queued, then forgets the blocks (a send from
/// Rust on this thread later, a process's exit, must not read them).
pub(crate) fn release() {
    hand_over();
    BYTES.with(|c| c.set(Lent::NONE));
    META.with(|c| c.set(Lent::NONE));
    ENDS.with(|c| c.set(Lent::NONE));
    STATE.with(|c| c.set(Lent::NONE));
    NOTES.with(|c| c.set(Lent::NONE));
}

/// Hands over what the batch holds now; how many notes JS has to read.
#[napi]
pub fn cluster_send_batch() -> f64 {
    hand_over();
    // SAFETY: on this thread, during a native call; no other slice of the
    // state block is alive (lent.rs).
    let state = unsafe { lent(&STATE).slice() };
    state.get(1).copied().unwrap_or(0.0)
}

/// How many more messages to process `to` of node `node` would be sent
/// at once now (`Cluster::credit_left`): JS queues that many in the batch
/// before it sends to `to` the direct way again.
#[napi]
pub fn cluster_credit_left() -> f64 {
    let [node, to] = slots();
    CLUSTER
        .get()
        .map_or(0.0, |d| f64::from(d.credit_left(node as u32, to)))
}

/// Sends every queued message, in order, as `cluster_send` and
/// `cluster_send_name` would (never refusing: a sender that would not
/// wait sends the direct way), and empties the batch. A run of messages
/// by name to one node goes as one send (`Cluster::send_uncredited_all`).
fn hand_over() {
    if HANDING.with(|h| h.replace(true)) {
        return;
    }
    // SAFETY: on this thread, during a native call (every caller is one);
    // the five blocks are distinct arrays and these are the only slices of
    // them alive (the sends below read other memory) (lent.rs).
    let (bytes, meta, ends, state, notes) = unsafe {
        (
            lent(&BYTES).slice(),
            lent(&META).slice(),
            lent(&ENDS).slice(),
            lent(&STATE).slice_mut(),
            lent(&NOTES).slice_mut(),
        )
    };
    if let [queued, noted, ..] = state {
        let batch = Batch {
            bytes,
            meta,
            ends: &ends[..(*queued as usize).min(ends.len())],
        };
        let mut noted_n = (*noted as usize).min(notes.len() / NOTE_SLOTS);
        let mut note = |code: f64, node: f64, to: f64| {
            if code != 0.0 && noted_n < notes.len() / NOTE_SLOTS {
                notes[noted_n * NOTE_SLOTS..(noted_n + 1) * NOTE_SLOTS]
                    .copy_from_slice(&[code, node, to]);
                noted_n += 1;
            }
        };
        let mut i = 0;
        while let Some(m) = batch.get(i) {
            if !m.by_name {
                note(outcome(send_to_pid(&m)), m.node, m.to);
                i += 1;
                continue;
            }
            let run = (i..)
                .take_while(|&j| batch.get(j).is_some_and(|x| x.node == m.node && x.by_name))
                .count();
            note(
                outcome(send_by_name(&batch, i, i + run, m.node as u32)),
                m.node,
                0.0,
            );
            i += run;
        }
        *queued = 0.0;
        *noted = noted_n as f64;
    }
    HANDING.with(|h| h.set(false));
}

/// The queued messages, as JS wrote them.
struct Batch<'a> {
    bytes: &'a [u8],
    meta: &'a [f64],
    ends: &'a [u32],
}

/// Message `i` of a batch.
struct Queued<'a> {
    /// Where it starts in the batch's bytes.
    at: usize,
    node: f64,
    to: f64,
    /// To a name: its own (`name_len` bytes) or, with none, the one of
    /// the message before it.
    by_name: bool,
    name_len: usize,
    /// The message, then its name's UTF-8 (`name_len` bytes).
    bytes: &'a [u8],
}

impl<'a> Batch<'a> {
    /// Message `i`; None past the last (or where JS's ends disagree with
    /// its bytes: the rest is dropped).
    fn get(&self, i: usize) -> Option<Queued<'a>> {
        // Each message starts at a multiple of 4 (JS copies it in words).
        let start = match i {
            0 => 0,
            _ => (*self.ends.get(i - 1)? as usize).next_multiple_of(4),
        };
        let bytes = self.bytes.get(start..*self.ends.get(i)? as usize)?;
        let m = self.meta.get(i * META_SLOTS..(i + 1) * META_SLOTS)?;
        Some(Queued {
            at: start,
            node: m[0],
            to: m[1],
            by_name: m[2] != 0.0,
            name_len: if m[2] == SAME_NAME { 0 } else { m[2] as usize },
            bytes,
        })
    }
}

thread_local! {
    /// A run by name: the frame heads of its names (one per name in a row),
    /// and per message its head's and its body's ranges (the body in the
    /// batch's bytes).
    static RUN: Cell<(Vec<u8>, Vec<[usize; 4]>)> = const { Cell::new((Vec::new(), Vec::new())) };
}

/// A message of the batch to a process, as `cluster_send` sends one.
fn send_to_pid(m: &Queued<'_>) -> Option<Sent> {
    let d = CLUSTER.get()?;
    let (to, thread) = (m.to as u64, crate::current_thread());
    Some(with_encoded(&Frame::Send { to, msg: m.bytes }, |frame| {
        d.send_user(m.node as u32, to, frame, thread, false)
    }))
}

/// Messages `from..to` of the batch, all by name to node `node`, as one
/// send (a name that is not UTF-8 drops its message). Each leaves as its
/// frame's head and its body, which the link copies once, into the batch
/// frame; a name's head is encoded once for the messages to it in a row.
fn send_by_name(batch: &Batch<'_>, from: usize, to: usize, node: u32) -> Option<Sent> {
    let d = CLUSTER.get()?;
    let (mut heads, mut frames) = RUN.take();
    heads.clear();
    frames.clear();
    let mut last: Option<(&[u8], usize, usize)> = None;
    for m in (from..to).filter_map(|i| batch.get(i)) {
        let body = m.bytes.len().saturating_sub(m.name_len);
        let name = &m.bytes[body..];
        let head = match last {
            Some((n, s, e)) if n == name || m.name_len == 0 => (s, e),
            // A name to reuse where there is none: the message is dropped
            // (JS never writes one so).
            None if m.name_len == 0 => continue,
            _ => {
                let Ok(text) = std::str::from_utf8(name) else {
                    continue;
                };
                let s = heads.len();
                heads = Frame::SendName {
                    name: text,
                    msg: &[],
                }
                .append_to(heads);
                last = Some((name, s, heads.len()));
                (s, heads.len())
            }
        };
        frames.push([head.0, head.1, m.at, m.at + body]);
    }
    let parts = frames
        .iter()
        .map(|&[hs, he, bs, be]| [&heads[hs..he], &batch.bytes[bs..be]]);
    let sent = d.send_uncredited_all(node, parts);
    RUN.set((heads, frames));
    Some(sent)
}
