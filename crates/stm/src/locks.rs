//! The all-or-none multi-lock: named locks taken together or not at all.
//!
//! One mutex guards the whole table, so a request is granted in one step:
//! either every name it asks for is free and it takes them all, or it holds
//! nothing and waits. A waiting request blocks nobody (another request whose
//! names are free goes ahead of it), so no partial acquisition is ever
//! visible and no deadlock can form: a holder never waits for anything.
//! When names are freed, waiters are considered in arrival order (ticket
//! order, the one global order), so among those that can go, the oldest goes
//! first.

use super::var::fresh_token;
use super::Wake;
use crate::ThreadId;
use parking_lot::Mutex;
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet};

struct Req {
    thread: ThreadId,
    names: Vec<Box<str>>,
}

#[derive(Default)]
struct Inner {
    /// Held names and the ticket holding each.
    held: FxHashMap<Box<str>, u64>,
    /// Granted requests, by ticket.
    granted: FxHashMap<u64, Req>,
    /// Waiting requests in arrival order.
    waiting: BTreeMap<u64, Req>,
    /// For each name, the waiting tickets that ask for it.
    wanted: FxHashMap<Box<str>, BTreeSet<u64>>,
}

/// What `cancel` found.
#[derive(Debug, PartialEq, Eq)]
pub enum Cancel {
    /// The request was waiting and is withdrawn: it never held anything.
    Withdrawn,
    /// The request had already been granted: the caller holds the locks
    /// (and must release them).
    Granted,
    /// No such request.
    Unknown,
}

/// The lock table of one OS process.
#[derive(Default)]
pub struct Locks {
    inner: Mutex<Inner>,
}

impl Inner {
    fn free(&self, names: &[Box<str>]) -> bool {
        names.iter().all(|n| !self.held.contains_key(n))
    }

    fn grant(&mut self, ticket: u64, req: Req) {
        for n in &req.names {
            self.held.insert(n.clone(), ticket);
        }
        self.granted.insert(ticket, req);
    }

    fn unwant(&mut self, ticket: u64, names: &[Box<str>]) {
        for n in names {
            if let Some(s) = self.wanted.get_mut(n) {
                s.remove(&ticket);
                if s.is_empty() {
                    self.wanted.remove(n);
                }
            }
        }
    }

    /// Grants, oldest first, every waiter that asks for one of `freed` and
    /// whose names are now all free.
    fn promote(&mut self, freed: &[Box<str>]) -> Vec<Wake> {
        let candidates: BTreeSet<u64> = freed
            .iter()
            .filter_map(|n| self.wanted.get(n))
            .flatten()
            .copied()
            .collect();
        let mut wakes = Vec::new();
        for t in candidates {
            let ok = self.waiting.get(&t).is_some_and(|r| self.free(&r.names));
            if !ok {
                continue;
            }
            let Some(req) = self.waiting.remove(&t) else {
                continue;
            };
            self.unwant(t, &req.names);
            wakes.push(Wake {
                thread: req.thread,
                token: t,
            });
            self.grant(t, req);
        }
        wakes
    }
}

impl Locks {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks for every name in `names` for thread `thread`. Returns the
    /// request's ticket and whether it was granted now; if not, its `Wake`
    /// (this ticket) is returned by the `release` or `cancel` that grants it.
    pub fn acquire(&self, thread: ThreadId, names: &[&str]) -> (u64, bool) {
        let mut names: Vec<Box<str>> = names.iter().map(|&n| n.into()).collect();
        names.sort_unstable();
        names.dedup();
        let ticket = fresh_token();
        let req = Req { thread, names };
        let mut g = self.inner.lock();
        if g.free(&req.names) {
            g.grant(ticket, req);
            return (ticket, true);
        }
        for n in &req.names {
            g.wanted.entry(n.clone()).or_default().insert(ticket);
        }
        g.waiting.insert(ticket, req);
        (ticket, false)
    }

    /// Frees the names held by granted request `ticket`; returns the
    /// waiters granted as a result. `None` when `ticket` holds nothing.
    pub fn release(&self, ticket: u64) -> Option<Vec<Wake>> {
        let mut g = self.inner.lock();
        let req = g.granted.remove(&ticket)?;
        for n in &req.names {
            g.held.remove(n);
        }
        Some(g.promote(&req.names))
    }

    /// Withdraws waiting request `ticket` (a timeout), unless it was
    /// granted meanwhile.
    pub fn cancel(&self, ticket: u64) -> Cancel {
        let mut g = self.inner.lock();
        if g.granted.contains_key(&ticket) {
            return Cancel::Granted;
        }
        match g.waiting.remove(&ticket) {
            Some(req) => {
                g.unwant(ticket, &req.names);
                Cancel::Withdrawn
            }
            None => Cancel::Unknown,
        }
    }

    /// Releases and withdraws every request of `thread` (it is gone);
    /// returns the waiters granted as a result.
    pub fn release_thread(&self, thread: ThreadId) -> Vec<Wake> {
        let mut g = self.inner.lock();
        let waiting: Vec<u64> = g
            .waiting
            .iter()
            .filter(|(_, r)| r.thread == thread)
            .map(|(&t, _)| t)
            .collect();
        for t in waiting {
            if let Some(req) = g.waiting.remove(&t) {
                g.unwant(t, &req.names);
            }
        }
        let mine: Vec<u64> = g
            .granted
            .iter()
            .filter(|(_, r)| r.thread == thread)
            .map(|(&t, _)| t)
            .collect();
        let mut freed = Vec::new();
        for t in mine {
            if let Some(req) = g.granted.remove(&t) {
                for n in &req.names {
                    g.held.remove(n);
                }
                freed.extend(req.names);
            }
        }
        g.promote(&freed)
    }

    /// The ticket holding `name`, if any.
    pub fn holder(&self, name: &str) -> Option<u64> {
        self.inner.lock().held.get(name).copied()
    }

    /// How many requests wait.
    pub fn waiting(&self) -> usize {
        self.inner.lock().waiting.len()
    }
}
