//! The TVar cell, its versioned lock, the store of TVars and retry waiters.

use super::NoTVar;
use crate::ThreadId;
use parking_lot::{Mutex, RwLock};
use rustc_hash::FxHashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

/// A waiter to wake: `token` on JS thread `thread`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Wake {
    pub thread: ThreadId,
    pub token: u64,
}

/// One parked `retry`, registered on every TVar its transaction read. It
/// fires once: the first commit that writes any of them takes it.
pub(crate) struct Waiter {
    pub(crate) wake: Wake,
    pub(crate) fired: AtomicBool,
}

impl Waiter {
    /// Claims the wake-up; true for the one caller that gets it.
    pub(crate) fn fire(&self) -> bool {
        !self.fired.swap(true, Ordering::AcqRel)
    }
}

/// One transactional variable: encoded bytes under a versioned lock.
pub struct TVar {
    id: u64,
    /// `version << 1 | locked`. The version is the `wv` of the commit that
    /// last wrote the value; the low bit is set while a commit writes it.
    pub(crate) lock: AtomicU64,
    value: Mutex<Arc<[u8]>>,
    pub(crate) waiters: Mutex<Vec<Arc<Waiter>>>,
    /// Live JS handles; with `pinned`, decides when the store forgets it.
    handles: AtomicU32,
    pinned: AtomicBool,
}

pub(crate) const LOCKED: u64 = 1;

impl TVar {
    /// This TVar's id in its store.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The current bytes, outside any transaction (a committed value).
    pub fn current(&self) -> Arc<[u8]> {
        self.value.lock().clone()
    }

    /// A consistent `(version, value)` pair, or `None` while a commit is
    /// writing this TVar. The value is the one stored with that version:
    /// the lock word is read before and after the value, and a commit sets
    /// the locked bit before it touches the value and stores a new, higher
    /// version after, so equal words mean no commit overlapped the read.
    pub(crate) fn sample(&self) -> Option<(u64, Arc<[u8]>)> {
        let v1 = self.lock.load(Ordering::Acquire);
        if v1 & LOCKED != 0 {
            return None;
        }
        let value = self.value.lock().clone();
        let v2 = self.lock.load(Ordering::Acquire);
        (v1 == v2).then_some((v1 >> 1, value))
    }

    /// Sets the locked bit if the word is unlocked; returns the old word.
    pub(crate) fn try_lock(&self) -> Option<u64> {
        let v = self.lock.load(Ordering::Acquire);
        if v & LOCKED != 0 {
            return None;
        }
        self.lock
            .compare_exchange(v, v | LOCKED, Ordering::AcqRel, Ordering::Acquire)
            .ok()
    }

    /// Stores `value` and unlocks with version `wv` (the caller holds the lock).
    pub(crate) fn publish(&self, value: Arc<[u8]>, wv: u64) {
        *self.value.lock() = value;
        self.lock.store(wv << 1, Ordering::Release);
    }

    /// Unlocks without writing, restoring the word `old`.
    pub(crate) fn unlock(&self, old: u64) {
        self.lock.store(old, Ordering::Release);
    }

    /// Takes the waiters parked here (after a commit wrote it).
    pub(crate) fn take_waiters(&self) -> Vec<Arc<Waiter>> {
        std::mem::take(&mut *self.waiters.lock())
    }

    /// Parks `w` here unless the version moved from `seen` (or a commit is
    /// writing it): then returns false and the caller must rerun now. The
    /// check is made under the waiter lock, which a commit takes after it
    /// publishes, so a wake-up is never lost between the read and the park.
    pub(crate) fn park(&self, w: &Arc<Waiter>, seen: u64) -> bool {
        let mut ws = self.waiters.lock();
        ws.retain(|x| !x.fired.load(Ordering::Acquire));
        if self.lock.load(Ordering::Acquire) != seen << 1 {
            return false;
        }
        ws.push(w.clone());
        true
    }
}

/// The TVars of one OS process and the global version clock.
pub struct Stm {
    pub(crate) clock: AtomicU64,
    vars: RwLock<FxHashMap<u64, Arc<TVar>>>,
    next_id: AtomicU64,
}

impl Default for Stm {
    fn default() -> Self {
        Self::new()
    }
}

impl Stm {
    /// An empty store; TVar ids start at 1.
    pub fn new() -> Self {
        Stm {
            clock: AtomicU64::new(0),
            vars: RwLock::new(FxHashMap::default()),
            next_id: AtomicU64::new(1),
        }
    }

    /// A new TVar holding `value`, with one handle.
    pub fn create(&self, value: &[u8]) -> Arc<TVar> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let v = Arc::new(TVar {
            id,
            lock: AtomicU64::new(0),
            value: Mutex::new(value.into()),
            waiters: Mutex::new(Vec::new()),
            handles: AtomicU32::new(1),
            pinned: AtomicBool::new(false),
        });
        self.vars.write().insert(id, v.clone());
        v
    }

    /// The TVar `id`.
    pub fn get(&self, id: u64) -> Result<Arc<TVar>, NoTVar> {
        self.vars.read().get(&id).cloned().ok_or(NoTVar(id))
    }

    /// A new JS handle to `id` (a decoded copy of a TVar).
    pub fn retain(&self, id: u64) -> Result<(), NoTVar> {
        self.get(id)?.handles.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// Keeps `id` for the life of the store: it was encoded, and its bytes
    /// may be decoded later, anywhere in this OS process.
    pub fn pin(&self, id: u64) -> Result<(), NoTVar> {
        self.get(id)?.pinned.store(true, Ordering::Release);
        Ok(())
    }

    /// A JS handle to `id` was collected. The store forgets the TVar when
    /// no handle is left and it was never encoded (transactions that hold
    /// it keep it alive until they end).
    pub fn release(&self, id: u64) {
        let mut vars = self.vars.write();
        let Some(v) = vars.get(&id) else { return };
        let left = v.handles.fetch_sub(1, Ordering::AcqRel).saturating_sub(1);
        if left == 0 && !v.pinned.load(Ordering::Acquire) {
            vars.remove(&id);
        }
    }

    /// How many TVars the store holds.
    pub fn len(&self) -> usize {
        self.vars.read().len()
    }

    /// Whether the store holds no TVar.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The current clock (the `wv` of the latest commit).
    pub(crate) fn now(&self) -> u64 {
        self.clock.load(Ordering::Acquire)
    }
}

/// A process-unique wake token (shared by retry waiters and lock tickets,
/// so one inbox lane carries both).
pub fn fresh_token() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
