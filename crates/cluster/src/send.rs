//! Frames out to peers: connecting on first use, queueing while a link is
//! being connected (bounded like a link's own queue), deferring a JS
//! thread's burst to one write per tick (after its send batch, `before_sending`),
//! and the credit of user messages (credit.rs) around all of it; grants in
//! and out are grants.rs.

use crate::credit::{Credit, Sent};
use crate::node::{Cluster, Local};
use crate::peer::{Conn, Peer};
use bfly_core::{Delivery, Id, Lane, NodeId, ThreadId};
use bfly_net::link::LinkSender;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

thread_local! {
    /// Links this thread has deferred sends on, for `flush_thread`.
    static DIRTY: std::cell::RefCell<Vec<LinkSender>> = const { std::cell::RefCell::new(Vec::new()) };
    /// What runs before this thread sends or flushes anything (`before_sending`).
    static BEFORE: std::cell::Cell<Option<fn()>> = const { std::cell::Cell::new(None) };
}

/// Has `f` run on the calling thread first whenever it sends a frame or
/// flushes (every `Cluster` send and `flush_thread` goes through here): a
/// JS thread's user messages queued outside this crate (the binding's send
/// batch) are handed over by `f` before anything the thread sends later,
/// so no frame overtakes them. `f` sends through the same functions, so it
/// must ignore calls made while it runs.
pub fn before_sending(f: fn()) {
    BEFORE.with(|b| b.set(Some(f)));
}

pub(crate) fn before() {
    if let Some(f) = BEFORE.with(std::cell::Cell::get) {
        f();
    }
}

/// Queues `frame` on `tx` for this thread's next `flush_thread`; whether
/// the link is busy.
pub(crate) fn defer(tx: &LinkSender, frame: &[u8]) -> bool {
    defer_all(tx, std::iter::once([frame]))
}

/// `defer` of each of `msgs` (each the joined parts it gives: a frame's
/// head and its body, send_parts.rs), under one lock of the link; whether
/// the link is busy after them.
pub(crate) fn defer_all<'a, P: AsRef<[&'a [u8]]>>(
    tx: &LinkSender,
    msgs: impl Iterator<Item = P> + Clone,
) -> bool {
    let Ok(busy) = tx.send_deferred_all(msgs) else {
        return false;
    };
    DIRTY.with_borrow_mut(|d| {
        if !d.iter().any(|x| x.same(tx)) {
            d.push(tx.clone());
        }
    });
    busy
}

/// How often a wait for a calm link looks again: a drain wakes it, but
/// an attempt, a replaced link or a stopped node do not.
const RECHECK: Duration = Duration::from_millis(10);

/// Resolves once nothing sent to `peer` is busy: its link calmed (or was
/// lost, replaced or closed), or its connection attempt's queue is under
/// `limit` bytes (or the attempt ended).
async fn calmed(peer: &Peer, limit: usize) {
    loop {
        let tx = match &*peer.conn.lock() {
            Conn::Up { tx, .. } if tx.busy() => Some(tx.clone()),
            c @ Conn::Connecting { .. } if c.busy(limit) => None,
            _ => return,
        };
        match tx {
            Some(tx) => {
                if tokio::time::timeout(RECHECK, tx.calm()).await.is_ok() {
                    return;
                }
            }
            None => tokio::time::sleep(RECHECK).await,
        }
    }
}

/// Why frames for a peer that takes none are dropped (the link's own
/// bound says the same).
const QUEUE_FULL: &str = "peer not reading: send queue over its limit";

/// What is left to do once the peer's state is unlocked.
enum After {
    Nothing,
    /// Nothing, and the link (or the attempt's queue) is busy.
    Busy,
    Dial(u64),
    Failed(u64),
}

impl Cluster {
    /// Sends `frame` to node `node`, connecting first if needed (the bytes
    /// are copied only where they must wait: for a link being connected,
    /// or for credit). Frames to
    /// one node leave in call order. False when this runtime is not a node
    /// (or `node` is unknown): nothing can be sent. Never counts credit:
    /// for signals, replies and requests (and tests).
    pub fn send(&'static self, node: NodeId, frame: &[u8]) -> bool {
        self.send_as(node, frame, false, false) != Sent::NotNode
    }

    /// `send` from a JS thread: the frame waits for that thread's
    /// `flush_thread` (at the end of its tick), so a burst leaves in one
    /// write and a lone message without a hand-off to the writer task.
    pub fn send_deferred(&'static self, node: NodeId, frame: &[u8]) -> bool {
        self.send_as(node, frame, true, false) != Sent::NotNode
    }

    /// `send_deferred` of a user message that counts no credit (a
    /// `SendName`): `Busy` when the link is busy after it (the sender
    /// should wait for `calm`), or with `refuse`, `LinkFull` and not sent
    /// when the link was busy already.
    pub fn send_uncredited(&'static self, node: NodeId, frame: &[u8], refuse: bool) -> Sent {
        self.send_as(node, frame, true, refuse)
    }

    /// A user message (`Send` frame `frame`) to process `to` of `node` from
    /// JS thread `thread`, deferred as `send_deferred`, within `to`'s credit
    /// window. Out of credit it is held (its token is woken on `thread`
    /// once it is handed to the link), or with `refuse` not sent at all.
    /// A busy link is as in `send_uncredited`.
    pub fn send_user(
        &'static self,
        node: NodeId,
        to: Id,
        frame: &[u8],
        thread: ThreadId,
        refuse: bool,
    ) -> Sent {
        self.with_conn(node, |local, c| {
            let fresh = matches!(*c, Conn::Down);
            if refuse && c.busy(local.limits.busy()) {
                return Err(Sent::LinkFull);
            }
            if let Some(credit) = c.credit() {
                if !credit.take(to) {
                    if refuse {
                        return Err(Sent::Full);
                    }
                    return Err(Sent::Held(credit.hold(to, frame.to_vec(), thread)));
                }
            }
            let after = self.put(local, c, frame, true);
            if fresh {
                // The attempt just made has a full window: count this frame.
                if let Some(credit) = c.credit() {
                    credit.take(to);
                }
            }
            Ok(after)
        })
    }

    /// `send_uncredited` of each of `frames`, in order, as one send: one
    /// peer lookup, one lock of the peer and one of its link for a JS
    /// thread's batch of messages by name (crates/binding's send batch).
    /// Each frame is the joined parts it gives (a head and a body), which
    /// an established link copies once. `Busy` when the link is busy after
    /// them.
    pub fn send_uncredited_all<'a, P, I>(&'static self, node: NodeId, frames: I) -> Sent
    where
        P: AsRef<[&'a [u8]]>,
        I: Iterator<Item = P> + Clone,
    {
        self.with_conn(node, |local, c| {
            if let Conn::Up { tx, .. } = c {
                return Ok(if defer_all(tx, frames) {
                    After::Busy
                } else {
                    After::Nothing
                });
            }
            // Connecting: queued one by one (a dial, once, comes first).
            let mut after = After::Nothing;
            for f in frames {
                match self.put(local, c, &f.as_ref().concat(), true) {
                    After::Nothing => {}
                    After::Busy if matches!(after, After::Nothing) => after = After::Busy,
                    After::Busy => {}
                    a @ After::Dial(_) => after = a,
                    a @ After::Failed(_) => return Ok(a),
                }
            }
            Ok(after)
        })
    }

    /// Writes what this thread's deferred sends queued.
    pub fn flush_thread(&self) {
        before();
        let dirty = DIRTY.with_borrow_mut(std::mem::take);
        for tx in &dirty {
            tx.flush();
        }
        DIRTY.with_borrow_mut(|d| {
            if d.is_empty() {
                *d = dirty;
                d.clear();
            }
        });
    }

    fn send_as(&'static self, node: NodeId, frame: &[u8], deferred: bool, refuse: bool) -> Sent {
        self.with_conn(node, |local, c| {
            if refuse && c.busy(local.limits.busy()) {
                return Err(Sent::LinkFull);
            }
            Ok(self.put(local, c, frame, deferred))
        })
    }

    /// Runs `f` on the connection to `node` (locked), after what this
    /// thread queued to go first (`before_sending`); then does what it
    /// left to do. `f` answers at once with `Err`.
    fn with_conn(
        &'static self,
        node: NodeId,
        f: impl FnOnce(&Local, &mut Conn) -> Result<After, Sent>,
    ) -> Sent {
        before();
        let (Some(local), Some(mut peer)) = (self.local(), self.peer(node)) else {
            return Sent::NotNode;
        };
        let mut c = peer.conn.lock();
        // Forgotten since it was looked up: its id resolves anew.
        while peer.forgotten() {
            drop(c);
            let Some(p) = self.peer(node) else {
                return Sent::NotNode;
            };
            peer = p;
            c = peer.conn.lock();
        }
        let after = f(&local, &mut c);
        drop(c);
        match after {
            Ok(after) => self.then(local, peer, after),
            Err(sent) => sent,
        }
    }

    /// Queues `frame` on the link, or for the link being connected.
    fn put(&'static self, local: &Local, c: &mut Conn, frame: &[u8], deferred: bool) -> After {
        match c {
            // A broken link fails here and is noticed by its reader.
            Conn::Up { tx, .. } if deferred => {
                if defer(tx, frame) {
                    return After::Busy;
                }
            }
            Conn::Up { tx, .. } => {
                let _ = tx.send_now(frame);
            }
            Conn::Connecting {
                gen, queue, bytes, ..
            } => {
                if *bytes <= local.limits.max_queued {
                    *bytes += frame.len();
                    queue.push(frame.to_vec());
                    if *bytes > local.limits.busy() {
                        return After::Busy;
                    }
                } else {
                    // A peer that accepts but never completes the handshake
                    // meets the same bound as one that stops reading a link.
                    return After::Failed(*gen);
                }
            }
            Conn::Down => {
                let gen = self.gen.fetch_add(1, Ordering::Relaxed);
                *c = Conn::Connecting {
                    gen,
                    bytes: frame.len(),
                    queue: vec![frame.to_vec()],
                    credit: Credit::new(self.threads, local.credit),
                    mesh: false,
                };
                return After::Dial(gen);
            }
        }
        After::Nothing
    }

    /// Does what `put` left to do; what became of the frame.
    fn then(&'static self, local: Arc<Local>, peer: Arc<Peer>, after: After) -> Sent {
        match after {
            After::Nothing => {}
            After::Busy => return Sent::Busy,
            After::Dial(gen) => {
                self.rt.spawn(self.dial(local, peer, gen));
            }
            After::Failed(gen) => self.failed(&local, &peer, gen, QUEUE_FULL),
        }
        Sent::Now
    }

    /// A token woken on JS thread `thread` (a `Lane::Wake` delivery) once
    /// the link to `node` is no longer busy, or is gone (what was queued is
    /// then dropped): for a sender told `Sent::Busy`.
    pub fn calm(&'static self, node: NodeId, thread: ThreadId) -> u64 {
        let token = bfly_stm::fresh_token();
        let peer = self.peer(node);
        let limit = self.local().map_or(0, |l| l.limits.busy());
        self.rt.spawn(async move {
            if let Some(peer) = peer {
                calmed(&peer, limit).await;
            }
            if let Some(inbox) = self.threads.inbox(thread) {
                inbox.post(Delivery {
                    to: token,
                    lane: Lane::Wake,
                    payload: Vec::new(),
                });
            }
        });
        token
    }
}
