//! One transaction: a snapshot time, a read set and a buffered write set.

use super::var::{fresh_token, Waiter, LOCKED};
use super::{Conflict, Stm, TVar, TxError, Wake};
use crate::ThreadId;
use rustc_hash::FxHashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// How many times a read or commit retries a TVar that another commit is
/// writing (a few hundred nanoseconds of work) before giving up with
/// `Conflict`; past the first few it yields, so a committer descheduled on
/// a busy core gets to finish.
const SPINS: u32 = 200;

fn backoff(i: u32) {
    if i < 16 {
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}

/// A point in a transaction's writes to roll back to (`orElse`): the
/// number of writes made before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark(pub usize);

/// What `retry` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Park {
    /// Parked: `Wake` will be returned by the commit that changes a read TVar.
    Parked(Wake),
    /// A read TVar already changed: rerun now.
    Changed,
    /// The transaction read nothing, so nothing could ever wake it.
    NothingRead,
}

struct Read {
    var: Arc<TVar>,
    version: u64,
    value: Arc<[u8]>,
}

/// A transaction over the TVars of `stm`. Reusable: `begin` starts afresh
/// and keeps the allocations.
pub struct Transaction<'s> {
    stm: &'s Stm,
    rv: u64,
    reads: FxHashMap<u64, Read>,
    writes: FxHashMap<u64, (Arc<TVar>, Arc<[u8]>)>,
    /// Previous write of each `write`, newest last, for `rollback`.
    undo: Vec<(u64, Option<Arc<[u8]>>)>,
    /// A read failed: every later operation fails too, so a body that
    /// swallowed the failure cannot commit or see anything more.
    doomed: bool,
}

impl<'s> Transaction<'s> {
    /// A transaction reading at the current time.
    pub fn new(stm: &'s Stm) -> Self {
        let mut t = Transaction {
            stm,
            rv: 0,
            reads: FxHashMap::default(),
            writes: FxHashMap::default(),
            undo: Vec::new(),
            doomed: false,
        };
        t.begin();
        t
    }

    /// Starts over at the current time, forgetting reads and writes.
    pub fn begin(&mut self) {
        self.rv = self.stm.now();
        self.reads.clear();
        self.writes.clear();
        self.undo.clear();
        self.doomed = false;
    }

    /// The value of TVar `id` in this transaction: its own last write, or
    /// the committed value at the snapshot. `Conflict` when no consistent
    /// value exists (another commit changed what was read): rerun.
    pub fn read(&mut self, id: u64) -> Result<Arc<[u8]>, TxError> {
        if let Some((_, v)) = self.writes.get(&id) {
            return Ok(v.clone());
        }
        if let Some(r) = self.reads.get(&id) {
            return Ok(r.value.clone());
        }
        let var = self.stm.get(id)?;
        if self.doomed {
            return Err(TxError::Conflict);
        }
        let mut i = 0;
        loop {
            match var.sample() {
                Some((version, value)) if version <= self.rv => {
                    self.reads.insert(
                        id,
                        Read {
                            var,
                            version,
                            value: value.clone(),
                        },
                    );
                    return Ok(value);
                }
                // Written after the snapshot: move the snapshot forward if
                // nothing read so far has changed, then look again.
                Some(_) if self.extend() => {}
                Some(_) => return self.doom(),
                None if i < SPINS => backoff(i),
                None => return self.doom(),
            }
            i += 1;
            if i > SPINS {
                return self.doom();
            }
        }
    }

    fn doom<T>(&mut self) -> Result<T, TxError> {
        self.doomed = true;
        Err(TxError::Conflict)
    }

    /// Moves `rv` to now if every read is still current (so the snapshot
    /// at the new time contains all of them).
    fn extend(&mut self) -> bool {
        let now = self.stm.now();
        let ok = self
            .reads
            .values()
            .all(|r| r.var.lock.load(Ordering::Acquire) == r.version << 1);
        if ok {
            self.rv = now;
        }
        ok
    }

    /// Buffers a write of `value` to TVar `id`; visible to this transaction
    /// at once and to others only when it commits.
    pub fn write(&mut self, id: u64, value: &[u8]) -> Result<(), TxError> {
        let var = match self.writes.get(&id) {
            Some((v, _)) => v.clone(),
            None => self.stm.get(id)?,
        };
        let prev = self.writes.insert(id, (var, value.into()));
        self.undo.push((id, prev.map(|(_, b)| b)));
        Ok(())
    }

    /// The current point of the write set.
    pub fn mark(&self) -> Mark {
        Mark(self.undo.len())
    }

    /// Undoes the writes made since `m` (reads are kept: an alternative
    /// that retried still depends on what it read).
    pub fn rollback(&mut self, m: Mark) {
        while self.undo.len() > m.0 {
            let Some((id, prev)) = self.undo.pop() else {
                break;
            };
            match prev {
                Some(b) => {
                    if let Some(w) = self.writes.get_mut(&id) {
                        w.1 = b;
                    }
                }
                None => {
                    self.writes.remove(&id);
                }
            }
        }
    }

    /// Applies the writes atomically, or fails with `Conflict` having
    /// changed nothing. Returns the retry waiters to wake (those parked on
    /// a TVar written here). The transaction is over either way.
    pub fn commit(&mut self) -> Result<Vec<Wake>, Conflict> {
        let r = self.try_commit();
        self.begin();
        r
    }

    fn try_commit(&mut self) -> Result<Vec<Wake>, Conflict> {
        if self.doomed {
            return Err(Conflict);
        }
        // A read-only transaction saw one consistent snapshot: done.
        if self.writes.is_empty() {
            return Ok(Vec::new());
        }
        let mut ws: Vec<_> = self.writes.drain().map(|(_, w)| w).collect();
        // One global order (TVar id), so two committers never wait on each other in a cycle.
        ws.sort_unstable_by_key(|(v, _)| v.id());
        let mut held: Vec<u64> = Vec::with_capacity(ws.len());
        let release = |held: &[u64], ws: &[(Arc<TVar>, Arc<[u8]>)]| {
            for (old, (v, _)) in held.iter().zip(ws) {
                v.unlock(*old);
            }
        };
        for (v, _) in &ws {
            let mut i = 0;
            let old = loop {
                if let Some(old) = v.try_lock() {
                    break old;
                }
                i += 1;
                if i > SPINS {
                    release(&held, &ws);
                    return Err(Conflict);
                }
                backoff(i);
            };
            held.push(old);
        }
        let wv = self.stm.clock.fetch_add(1, Ordering::AcqRel) + 1;
        // Nobody committed since the snapshot: the reads are still current.
        if wv != self.rv + 1 {
            let mine = |id: u64| ws.binary_search_by_key(&id, |(v, _)| v.id()).is_ok();
            let valid = self.reads.values().all(|r| {
                let w = r.var.lock.load(Ordering::Acquire);
                w == r.version << 1 || (w == (r.version << 1 | LOCKED) && mine(r.var.id()))
            });
            if !valid {
                release(&held, &ws);
                return Err(Conflict);
            }
        }
        let mut wakes = Vec::new();
        for (v, value) in ws {
            v.publish(value, wv);
            wakes.extend(
                v.take_waiters()
                    .into_iter()
                    .filter(|w| w.fire())
                    .map(|w| w.wake),
            );
        }
        Ok(wakes)
    }

    /// Ends the transaction without writing anything.
    pub fn abort(&mut self) {
        self.begin();
    }

    /// `retry`: discards the writes and parks a waiter for `thread` on
    /// every TVar read, to be woken by the first commit that writes one.
    /// The transaction is over either way.
    pub fn wait(&mut self, thread: ThreadId) -> Park {
        let r = self.park(thread);
        self.begin();
        r
    }

    fn park(&self, thread: ThreadId) -> Park {
        if self.doomed {
            return Park::Changed;
        }
        if self.reads.is_empty() {
            return Park::NothingRead;
        }
        let w = Arc::new(Waiter {
            wake: Wake {
                thread,
                token: fresh_token(),
            },
            fired: AtomicBool::new(false),
        });
        for r in self.reads.values() {
            if !r.var.park(&w, r.version) {
                w.fire();
                return Park::Changed;
            }
        }
        Park::Parked(w.wake)
    }
}
