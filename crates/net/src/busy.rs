//! A link's busy mark (Erlang's `busy_dist_port`): set when a push leaves
//! more than the limit queued, cleared once the queue is back under half of
//! it, when every sender waiting for the link to calm is woken. The outbox
//! sets and clears it under its state's lock; senders read it without.

use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Notify;

/// The busy mark of one outbox.
pub(crate) struct Busy {
    /// `Limits::busy`: bytes queued past which the link is busy.
    limit: usize,
    on: AtomicBool,
    calm: Notify,
}

impl Busy {
    pub(crate) fn new(limit: usize) -> Self {
        Busy {
            limit,
            on: AtomicBool::new(false),
            calm: Notify::new(),
        }
    }

    /// After a push left `queued` bytes (under the outbox's lock): busy
    /// past the limit. Returns `queued`.
    pub(crate) fn press(&self, queued: usize) -> usize {
        if queued > self.limit {
            self.on.store(true, Ordering::Relaxed);
        }
        queued
    }

    /// After bytes left, `queued` remaining (under the outbox's lock): calm
    /// under half the limit, waking the waiters.
    pub(crate) fn ease(&self, queued: usize) {
        if self.on.load(Ordering::Relaxed) && queued <= self.limit / 2 {
            self.on.store(false, Ordering::Release);
            self.calm.notify_waiters();
        }
    }

    /// Whether the link is busy now.
    pub(crate) fn is_on(&self) -> bool {
        self.on.load(Ordering::Acquire)
    }

    /// Wakes every waiter whatever the mark (the link is lost).
    pub(crate) fn wake_all(&self) {
        self.calm.notify_waiters();
    }

    /// Returns once the mark is clear, or `over()` holds (checked whenever
    /// woken: a lost link wakes its waiters through `wake_all`).
    pub(crate) async fn calm(&self, over: impl Fn() -> bool) {
        loop {
            let woken = self.calm.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            if !self.is_on() || over() {
                return;
            }
            woken.await;
        }
    }
}
