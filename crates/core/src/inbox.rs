//! Per-thread inboxes: where messages and signals for a JS thread's
//! processes arrive from other threads (and, later, from node links).
//!
//! One FIFO queue per thread keeps every sender's order. A thread is woken
//! once per batch: the first post after a drain calls its waker, later posts
//! only queue, and the thread takes everything queued in one `drain`.
//! A thread that expects an answer soon may `spin` instead of sleeping:
//! posts then skip the waker, and the spinning thread drains itself.

use crate::table::{Id, ProcessTable, ThreadId};
use parking_lot::{Mutex, RwLock};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Which lane a delivery travels on. Signals (exit signals, DOWN) are
/// handled before user messages that were drained in the same batch, and
/// are never subject to a mailbox limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// An ordinary message.
    User = 0,
    /// An exit signal or a DOWN notification.
    Signal = 1,
    /// The answer to a call made from another thread.
    Reply = 2,
    /// A wake-up for the thread itself (`to` is a token, no payload): an
    /// STM retry to rerun or a multi-lock request that was granted.
    Wake = 3,
    /// Start process `to` (already in the table, owned by this thread)
    /// from the encoded spec in the payload: a spawn on a pool thread.
    /// It is queued before anything sent to the new pid, so nothing sent
    /// to it can arrive before it exists.
    Spawn = 4,
    /// A user message from a node that counts credit toward this one: the
    /// payload is that node's id (u32 little-endian), then the message.
    /// The receiving thread returns the credit (a `Grant`) once the
    /// process's mailbox takes the message.
    Remote = 5,
    /// A term for the node agent (the main thread's system process) from
    /// the distribution layer itself: a peer's request that passed the
    /// allow-list, a refusal to log, a link up or down. A peer's messages
    /// travel on `User` and `Remote` only, so it cannot forge these.
    Agent = 6,
}

/// How `Inbox::spin` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spun {
    /// Something was posted and no wake-up was made for it: drain now.
    Came,
    /// A wake-up was pending already (it is on its way): no spin.
    Pending,
    /// Nothing came within the time given.
    Nothing,
}

/// One encoded message or signal for process `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub to: Id,
    pub lane: Lane,
    pub payload: Vec<u8>,
}

/// Deliveries in arrival order, and the sum of their payloads' lengths.
#[derive(Default)]
struct Queue {
    q: VecDeque<Delivery>,
    bytes: usize,
}

impl Queue {
    fn push(&mut self, d: Delivery) {
        self.bytes += d.payload.len();
        self.q.push_back(d);
    }

    /// Takes everything.
    fn take(&mut self) -> Vec<Delivery> {
        self.bytes = 0;
        Vec::from(std::mem::take(&mut self.q))
    }
}

/// `Inbox::state`: a wake-up is pending.
const PENDING: u8 = 1;
/// `Inbox::state`: the thread is spinning.
const SPINNING: u8 = 2;

/// The inbox of one thread.
pub struct Inbox {
    queue: Mutex<Queue>,
    /// PENDING: a wake-up is on its way (or, while SPINNING, the spinner
    /// sees the mark). SPINNING: the thread is in `spin`, watching PENDING,
    /// so a post needs no wake-up. One word, so a post decides from both
    /// at the instant it marks PENDING: with two flags, a spinner that saw
    /// the mark and stopped between a post's mark and its look at the
    /// other flag drew a needless wake-up.
    state: AtomicU8,
    /// Set once: at creation, or when the thread of a reserved inbox
    /// registers (until then deliveries only queue).
    waker: OnceLock<Box<dyn Fn() + Send + Sync>>,
}

impl Inbox {
    /// An inbox that calls `waker` when it goes from drained to non-empty.
    pub fn new(waker: Box<dyn Fn() + Send + Sync>) -> Self {
        let i = Self::unattached();
        let _ = i.waker.set(waker);
        i
    }

    /// An inbox whose thread is not running yet: deliveries queue until
    /// `attach`.
    pub fn unattached() -> Self {
        Inbox {
            queue: Mutex::new(Queue::default()),
            state: AtomicU8::new(0),
            waker: OnceLock::new(),
        }
    }

    /// Gives an unattached inbox its waker and wakes it once, so what was
    /// queued meanwhile is drained. False when it already had one.
    pub fn attach(&self, waker: Box<dyn Fn() + Send + Sync>) -> bool {
        if self.waker.set(waker).is_err() {
            return false;
        }
        // A post that found no waker left PENDING set: this wake-up is
        // the one it could not make.
        self.state.fetch_or(PENDING, Ordering::SeqCst);
        if let Some(w) = self.waker.get() {
            w();
        }
        true
    }

    /// Queues `d`; wakes the thread unless a wake-up is already pending.
    pub fn post(&self, d: Delivery) {
        self.queue.lock().push(d);
        self.wake();
    }

    /// Marks a wake-up pending and makes it, unless one was pending
    /// already or the thread is spinning. The mark and `spin`'s clearing
    /// of SPINNING are updates of one word, so one comes first: either
    /// this sees SPINNING and the spinner's clearing sees the mark, or
    /// this sees it clear and wakes the thread.
    fn wake(&self) {
        if self.state.fetch_or(PENDING, Ordering::SeqCst) == 0 {
            if let Some(w) = self.waker.get() {
                w();
            }
        }
    }

    /// Waits busily, for at most `max`, until something is posted (or
    /// nudged), yielding its core between looks: called by the inbox's own
    /// thread instead of sleeping when an answer is due soon. See `Spun`.
    pub fn spin(&self, max: Duration) -> Spun {
        if self.state.fetch_or(SPINNING, Ordering::SeqCst) & PENDING != 0 {
            self.state.fetch_and(!SPINNING, Ordering::SeqCst);
            return Spun::Pending;
        }
        let start = Instant::now();
        let mut came = false;
        'wait: loop {
            // Reading the clock costs more than looking at the flag.
            for _ in 0..64 {
                // Acquire: the post's queue write is visible to the drain
                // that follows (a plain load on x86).
                if self.state.load(Ordering::Acquire) & PENDING != 0 {
                    came = true;
                    break 'wait;
                }
                std::hint::spin_loop();
            }
            if start.elapsed() >= max {
                break;
            }
            // The poster may be waiting for this core (both threads on
            // one CPU, a loaded machine): let it run. With nothing else
            // to run, this returns at once.
            std::thread::yield_now();
        }
        let was = self.state.fetch_and(!SPINNING, Ordering::SeqCst);
        if came || was & PENDING != 0 {
            Spun::Came
        } else {
            Spun::Nothing
        }
    }

    /// Wakes the thread (unless a wake-up is pending) with nothing queued:
    /// it has other work to pick up when it drains.
    pub fn nudge(&self) {
        self.wake();
    }

    /// Queues `ds` in order under one lock, with at most one wake-up.
    pub fn post_many(&self, ds: impl IntoIterator<Item = Delivery>) {
        let mut q = self.queue.lock();
        for d in ds {
            q.push(d);
        }
        drop(q);
        self.wake();
    }

    /// Takes everything queued, in arrival order. A post that races with
    /// the drain either lands in this batch or triggers a new wake-up.
    pub fn drain(&self) -> Vec<Delivery> {
        self.state.fetch_and(!PENDING, Ordering::Release);
        self.queue.lock().take()
    }

    /// Takes the oldest deliveries, in order: as many as fit in `max_n`
    /// deliveries and `max_bytes` of payload, and with `at_least_one` the
    /// oldest even when it alone is larger. The bool says whether any are
    /// left: the wake-up then stays pending (posts make none), so the
    /// thread must come back for the rest itself. Taking a bounded part
    /// lets the thread's processes consume what it took before it takes
    /// more, so a backlog stays here, off the JS heap (a drain of a whole
    /// backlog made every young-generation collection copy it).
    pub fn drain_front(
        &self,
        max_n: usize,
        max_bytes: usize,
        at_least_one: bool,
    ) -> (Vec<Delivery>, bool) {
        let mut q = self.queue.lock();
        let mut n = 0;
        let mut bytes = 0;
        for d in q.q.iter().take(max_n) {
            let with = bytes + d.payload.len();
            if with > max_bytes && !(n == 0 && at_least_one) {
                break;
            }
            bytes = with;
            n += 1;
        }
        let taken: Vec<Delivery> = if n == q.q.len() {
            q.take()
        } else {
            q.bytes -= bytes;
            q.q.drain(..n).collect()
        };
        let more = !q.q.is_empty();
        if !more {
            self.state.fetch_and(!PENDING, Ordering::Release);
        }
        (taken, more)
    }

    /// How many deliveries wait.
    pub fn len(&self) -> usize {
        self.queue.lock().q.len()
    }

    /// How many deliveries wait, and their payloads' bytes.
    pub fn backlog(&self) -> (usize, usize) {
        let q = self.queue.lock();
        (q.q.len(), q.bytes)
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The registry of JS threads and their inboxes.
#[derive(Default)]
pub struct Threads {
    inboxes: RwLock<FxHashMap<ThreadId, Arc<Inbox>>>,
    next: AtomicU32,
}

impl Threads {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a new thread with its waker; returns its id (from 1).
    pub fn add(&self, waker: Box<dyn Fn() + Send + Sync>) -> ThreadId {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        self.inboxes.write().insert(id, Arc::new(Inbox::new(waker)));
        id
    }

    /// Reserves a thread id whose inbox queues deliveries until the thread
    /// registers with `attach` (a pool worker that is still starting).
    pub fn reserve(&self) -> ThreadId {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        self.inboxes
            .write()
            .insert(id, Arc::new(Inbox::unattached()));
        id
    }

    /// Attaches the registering thread to reserved id `id`: false when `id`
    /// was not reserved, is gone, or already has its thread.
    pub fn attach(&self, id: ThreadId, waker: Box<dyn Fn() + Send + Sync>) -> bool {
        self.inbox(id).is_some_and(|i| i.attach(waker))
    }

    /// Forgets a thread; what was queued for it is dropped.
    pub fn remove(&self, id: ThreadId) {
        self.inboxes.write().remove(&id);
    }

    /// The inbox of thread `id`.
    pub fn inbox(&self, id: ThreadId) -> Option<Arc<Inbox>> {
        self.inboxes.read().get(&id).cloned()
    }

    /// Posts to whichever thread owns process `to`. Returns false when the
    /// process or its thread is gone (the message is dropped, as a send to
    /// a dead pid is in Erlang).
    pub fn post(&self, table: &ProcessTable, to: Id, lane: Lane, payload: Vec<u8>) -> bool {
        let Some(owner) = table.owner(to) else {
            return false;
        };
        let Some(inbox) = self.inbox(owner) else {
            return false;
        };
        inbox.post(Delivery { to, lane, payload });
        true
    }
}

impl Threads {
    /// Posts user messages `(to, payload)` in order, each to whichever
    /// thread owns `to`, with one table lookup for the batch and one inbox
    /// lock and wake-up per run of messages to the same thread. Messages to
    /// dead processes are dropped. Order per receiving thread is the
    /// batch's order, as if each had been posted alone.
    pub fn post_batch<'a>(&self, table: &ProcessTable, msgs: impl Iterator<Item = (Id, &'a [u8])>) {
        let msgs: Vec<(Id, &[u8])> = msgs.collect();
        let owners = table.owners(msgs.iter().map(|m| m.0));
        let mut i = 0;
        while i < msgs.len() {
            let Some(owner) = owners[i] else {
                i += 1;
                continue;
            };
            let run = msgs[i..]
                .iter()
                .zip(&owners[i..])
                .take_while(|(_, o)| o.is_none() || **o == Some(owner))
                .count();
            if let Some(inbox) = self.inbox(owner) {
                inbox.post_many(
                    msgs[i..i + run]
                        .iter()
                        .zip(&owners[i..i + run])
                        .filter(|(_, o)| o.is_some())
                        .map(|(&(to, payload), _)| Delivery {
                            to,
                            lane: Lane::User,
                            payload: crate::spare::filled(&[payload]),
                        }),
                );
            }
            i += run;
        }
    }
}

#[cfg(test)]
mod tests;
