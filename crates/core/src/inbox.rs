//! Per-thread inboxes: where messages and signals for a JS thread's
//! processes arrive from other threads (and, later, from node links).
//!
//! One FIFO queue per thread keeps every sender's order. A thread is woken
//! once per batch: the first post after a drain calls its waker, later posts
//! only queue, and the thread takes everything queued in one `drain`.

use crate::table::{Id, ProcessTable, ThreadId};
use parking_lot::{Mutex, RwLock};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

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
}

/// One encoded message or signal for process `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub to: Id,
    pub lane: Lane,
    pub payload: Vec<u8>,
}

/// The inbox of one thread.
pub struct Inbox {
    queue: Mutex<VecDeque<Delivery>>,
    wake_pending: AtomicBool,
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
            queue: Mutex::new(VecDeque::new()),
            wake_pending: AtomicBool::new(false),
            waker: OnceLock::new(),
        }
    }

    /// Gives an unattached inbox its waker and wakes it once, so what was
    /// queued meanwhile is drained. False when it already had one.
    pub fn attach(&self, waker: Box<dyn Fn() + Send + Sync>) -> bool {
        if self.waker.set(waker).is_err() {
            return false;
        }
        // A post that found no waker left wake_pending set: this wake-up
        // is the one it could not make.
        self.wake_pending.store(true, Ordering::Release);
        if let Some(w) = self.waker.get() {
            w();
        }
        true
    }

    /// Queues `d`; wakes the thread unless a wake-up is already pending.
    pub fn post(&self, d: Delivery) {
        self.queue.lock().push_back(d);
        if !self.wake_pending.swap(true, Ordering::AcqRel) {
            if let Some(w) = self.waker.get() {
                w();
            }
        }
    }

    /// Queues `ds` in order under one lock, with at most one wake-up.
    pub fn post_many(&self, ds: impl IntoIterator<Item = Delivery>) {
        self.queue.lock().extend(ds);
        if !self.wake_pending.swap(true, Ordering::AcqRel) {
            if let Some(w) = self.waker.get() {
                w();
            }
        }
    }

    /// Takes everything queued, in arrival order. A post that races with
    /// the drain either lands in this batch or triggers a new wake-up.
    pub fn drain(&self) -> Vec<Delivery> {
        self.wake_pending.store(false, Ordering::Release);
        let mut q = self.queue.lock();
        Vec::from(std::mem::take(&mut *q))
    }

    /// How many deliveries wait.
    pub fn len(&self) -> usize {
        self.queue.lock().len()
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
                            payload: payload.to_vec(),
                        }),
                );
            }
            i += run;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn counting() -> (Arc<AtomicUsize>, Box<dyn Fn() + Send + Sync>) {
        let n = Arc::new(AtomicUsize::new(0));
        let m = n.clone();
        (
            n,
            Box::new(move || {
                m.fetch_add(1, Ordering::SeqCst);
            }),
        )
    }

    #[test]
    fn one_wake_per_batch() {
        let (wakes, w) = counting();
        let inbox = Inbox::new(w);
        for i in 0..100u8 {
            inbox.post(Delivery {
                to: 1,
                lane: Lane::User,
                payload: vec![i],
            });
        }
        assert_eq!(wakes.load(Ordering::SeqCst), 1);
        let got = inbox.drain();
        assert_eq!(got.len(), 100);
        assert!(got
            .iter()
            .enumerate()
            .all(|(i, d)| d.payload == vec![i as u8]));
        inbox.post(Delivery {
            to: 1,
            lane: Lane::User,
            payload: vec![],
        });
        assert_eq!(wakes.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn post_routes_by_owner_and_drops_for_dead() {
        let table = ProcessTable::new();
        let threads = Threads::new();
        let (_, w1) = counting();
        let (_, w2) = counting();
        let t1 = threads.add(w1);
        let t2 = threads.add(w2);
        let a = table.spawn(t1);
        let b = table.spawn(t2);
        assert!(threads.post(&table, a, Lane::User, vec![1]));
        assert!(threads.post(&table, b, Lane::Signal, vec![2]));
        assert_eq!(threads.inbox(t1).unwrap().drain()[0].payload, vec![1]);
        assert_eq!(threads.inbox(t2).unwrap().drain()[0].lane, Lane::Signal);
        table.exit(a);
        assert!(!threads.post(&table, a, Lane::User, vec![1]));
    }

    #[test]
    fn post_batch_keeps_order_per_thread_drops_the_dead_and_wakes_once_per_run() {
        let table = ProcessTable::new();
        let threads = Threads::new();
        let (n1, w1) = counting();
        let (_, w2) = counting();
        let t1 = threads.add(w1);
        let t2 = threads.add(w2);
        let (a, b, dead) = (table.spawn(t1), table.spawn(t2), table.spawn(t1));
        table.exit(dead);
        let batch: Vec<(Id, Vec<u8>)> = vec![
            (a, vec![1]),
            (dead, vec![9]),
            (a, vec![2]),
            (b, vec![3]),
            (a, vec![4]),
        ];
        threads.post_batch(&table, batch.iter().map(|(id, p)| (*id, &p[..])));
        let got = |t| -> Vec<(Id, Vec<u8>)> {
            threads
                .inbox(t)
                .unwrap()
                .drain()
                .into_iter()
                .map(|d| (d.to, d.payload))
                .collect()
        };
        assert_eq!(got(t1), vec![(a, vec![1]), (a, vec![2]), (a, vec![4])]);
        assert_eq!(got(t2), vec![(b, vec![3])]);
        assert_eq!(
            n1.load(Ordering::SeqCst),
            1,
            "the second run found a wake-up pending"
        );
    }

    /// Many senders on many OS threads: each sender's messages come out of
    /// the one inbox in that sender's order, and nothing is lost, while the
    /// receiver drains concurrently.
    #[test]
    fn per_sender_fifo_under_concurrency() {
        let (_, w) = counting();
        let inbox = Arc::new(Inbox::new(w));
        let senders = 4u8;
        let per = 20_000u32;
        let hs: Vec<_> = (0..senders)
            .map(|s| {
                let inbox = inbox.clone();
                std::thread::spawn(move || {
                    for i in 0..per {
                        let mut p = vec![s];
                        p.extend_from_slice(&i.to_le_bytes());
                        inbox.post(Delivery {
                            to: 7,
                            lane: Lane::User,
                            payload: p,
                        });
                    }
                })
            })
            .collect();
        let mut next = vec![0u32; senders as usize];
        let mut total = 0usize;
        while total < senders as usize * per as usize {
            for d in inbox.drain() {
                let s = d.payload[0] as usize;
                let i = u32::from_le_bytes(d.payload[1..5].try_into().unwrap());
                assert_eq!(i, next[s], "sender {s} out of order");
                next[s] += 1;
                total += 1;
            }
            std::thread::yield_now();
        }
        for h in hs {
            h.join().unwrap();
        }
        assert!(inbox.is_empty());
    }
}
