//! Credit: flow control for user messages to remote processes, per
//! (this node, destination process), as in Akka's and gRPC's windows.
//!
//! A `Send` to a process of a peer that grants credit (it said
//! `FEAT_CREDIT` in the Hello exchange) takes one unit of that process's
//! window. With none left the frame waits here, behind earlier ones for
//! the same process, and the sender is told a token that is woken (a
//! `Lane::Wake` delivery to its thread, one per batch) once the frame is
//! handed to the link. The peer returns units in `Grant` frames as the destination's
//! mailbox takes the messages, so a process that does not receive slows
//! only its own senders: other processes behind the same link, and
//! signals (exits, DOWN, links, monitors, replies), never wait.
//!
//! Only processes with messages in flight have a window here (a window
//! whose credit is all back is forgotten). A window ends when its process
//! is known to be gone (a `Grant` of 0, an exit signal or DOWN from it);
//! all of them end with the link. Frames held for a window that ends are
//! dropped, as Erlang drops messages to a dead process, and their senders
//! are woken: the send happened, to a process that is gone.

use bfly_core::{Delivery, Id, Lane, ThreadId, Threads};
use bfly_net::link::LinkSender;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

/// What became of a user message to a remote process or service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// Handed to the link (or to the queue of a link being connected).
    Now,
    /// Handed to the link, which is busy now (`Cluster::calm`): a sender
    /// that can wait should, before it sends more to that node.
    Busy,
    /// The link is busy and the sender asked not to wait: not sent.
    LinkFull,
    /// Out of credit: held; token woken on the sender's thread once sent.
    Held(u64),
    /// Out of credit and the sender asked not to wait: not sent.
    Full,
    /// This runtime is not a node, or the node is unknown: not sent.
    NotNode,
}

struct Held {
    frame: Vec<u8>,
    thread: ThreadId,
    token: u64,
}

struct Window {
    left: u32,
    held: VecDeque<Held>,
}

/// The windows toward one peer over one link (or connection attempt).
pub(crate) struct Credit {
    /// Whether the peer grants credit: assumed while connecting (what is
    /// queued then is bounded too), settled when the link comes up.
    pub(crate) on: bool,
    size: u32,
    windows: FxHashMap<Id, Window>,
    threads: &'static Threads,
    /// Senders to wake at the next `wake` (thread, token).
    woken: Vec<(ThreadId, u64)>,
}

impl Credit {
    /// Windows of `size` units each (0: no accounting at all).
    pub(crate) fn new(threads: &'static Threads, size: u32) -> Self {
        Credit {
            on: size > 0,
            size,
            windows: FxHashMap::default(),
            threads,
            woken: Vec::new(),
        }
    }

    /// Takes a unit for a frame to `to`: false when it must wait (no
    /// credit, or earlier frames to `to` still wait).
    pub(crate) fn take(&mut self, to: Id) -> bool {
        if !self.on {
            return true;
        }
        let size = self.size;
        let w = self.windows.entry(to).or_insert_with(|| Window {
            left: size,
            held: VecDeque::new(),
        });
        if w.left == 0 || !w.held.is_empty() {
            return false;
        }
        w.left -= 1;
        true
    }

    /// How many frames to `to` `take` would pass now, one after another
    /// (u32::MAX when the peer counts no credit).
    pub(crate) fn left(&self, to: Id) -> u32 {
        if !self.on {
            return u32::MAX;
        }
        match self.windows.get(&to) {
            Some(w) if !w.held.is_empty() => 0,
            Some(w) => w.left,
            None => self.size,
        }
    }

    /// Holds `frame` for `to` until credit comes; the token to wake.
    pub(crate) fn hold(&mut self, to: Id, frame: Vec<u8>, thread: ThreadId) -> u64 {
        let token = bfly_stm::fresh_token();
        if let Some(w) = self.windows.get_mut(&to) {
            w.held.push_back(Held {
                frame,
                thread,
                token,
            });
        }
        token
    }

    /// `n` units came back for `to` (0: it is gone); frames that may go
    /// now are sent on `tx`, in order.
    pub(crate) fn grant(&mut self, to: Id, n: u32, tx: &LinkSender) {
        let Some(w) = self.windows.get_mut(&to) else {
            return;
        };
        if n == 0 {
            self.forget(to);
            return;
        }
        // A peer that returns more than it was given gains nothing.
        w.left = w.left.saturating_add(n).min(self.size);
        while w.left > 0 {
            let Some(h) = w.held.pop_front() else { break };
            w.left -= 1;
            let _ = tx.send_deferred(&h.frame);
            self.woken.push((h.thread, h.token));
        }
        if w.held.is_empty() && w.left == self.size {
            self.windows.remove(&to);
        }
    }

    /// Process `to` is gone: what waits for it is dropped (its senders are
    /// woken at the next `wake`).
    pub(crate) fn forget(&mut self, to: Id) {
        if let Some(w) = self.windows.remove(&to) {
            self.woken
                .extend(w.held.into_iter().map(|h| (h.thread, h.token)));
        }
    }

    /// Wakes the senders whose frames went (or were dropped) since the
    /// last call: one delivery per thread (`to` 0, the tokens as u64
    /// little-endian in the payload), not one per message.
    pub(crate) fn wake(&mut self) {
        if self.woken.is_empty() {
            return;
        }
        self.woken.sort_by_key(|&(t, _)| t);
        for run in self.woken.chunk_by(|a, b| a.0 == b.0) {
            let mut payload = Vec::with_capacity(run.len() * 8);
            for &(_, token) in run {
                payload.extend_from_slice(&token.to_le_bytes());
            }
            if let Some(inbox) = self.threads.inbox(run[0].0) {
                inbox.post(Delivery {
                    to: 0,
                    lane: Lane::Wake,
                    payload,
                });
            }
        }
        self.woken.clear();
    }

    /// The peer grants no credit after all: everything held goes now, in
    /// order (the caller sends what this returns), and nothing is counted.
    pub(crate) fn turn_off(&mut self) -> Vec<Vec<u8>> {
        self.on = false;
        let mut out = Vec::new();
        for (_, w) in self.windows.drain() {
            for h in w.held {
                out.push(h.frame);
                self.woken.push((h.thread, h.token));
            }
        }
        self.wake();
        out
    }

    /// Frames held, over every window (tests and metrics).
    pub(crate) fn held(&self) -> usize {
        self.windows.values().map(|w| w.held.len()).sum()
    }
}

impl Drop for Credit {
    /// The link is gone: held frames are dropped with it and their
    /// senders woken (as frames queued for a failed attempt are dropped).
    fn drop(&mut self) {
        let held: Vec<Window> = self.windows.drain().map(|(_, w)| w).collect();
        for w in held {
            self.woken
                .extend(w.held.into_iter().map(|h| (h.thread, h.token)));
        }
        self.wake();
    }
}
