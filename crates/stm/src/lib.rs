//! Software transactional memory over encoded values, TL2 style.
//!
//! A [`TVar`] holds the bytes of one encoded value and a versioned lock: the
//! version of the commit that last wrote it, and a "being committed" bit.
//! A global clock numbers commits. A [`Transaction`] reads at a snapshot
//! time `rv`: every value it reads was written at or before `rv` and is
//! still current, so a transaction never sees an inconsistent snapshot,
//! even one that will abort (a read that cannot be made consistent fails
//! with [`Conflict`] instead of returning bytes). Writes are buffered and
//! applied at commit, all at once: the committer locks its write set in id
//! order, takes a new clock value `wv`, checks that nothing it read has
//! changed, stores the values and unlocks them with version `wv`.
//!
//! `retry` ([`Transaction::wait`]) parks a waiter on every TVar read; the
//! first commit that writes one of them returns the waiter from
//! [`Transaction::commit`] so the caller can wake it (across threads: the
//! binding posts it to the waiter's thread inbox).

mod locks;
mod tx;
mod var;

pub use locks::{Cancel, Locks};
pub use tx::{Mark, Park, Transaction};
pub use var::{fresh_token, Stm, TVar, Wake};

/// The JS thread a waiter is parked on or a lock is held by. STM only stores
/// it and hands it back (in a [`Wake`]); `bfly_core` re-exports this type as
/// the thread that owns a process, so both crates name threads alike.
pub type ThreadId = u32;

/// A read or commit met a concurrent commit: the transaction must be rerun
/// from the start (nothing it wrote is visible).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conflict;

/// The id names no TVar of this store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoTVar(pub u64);

/// Why a transaction operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxError {
    /// Rerun the transaction.
    Conflict,
    /// A bad TVar id (a caller error, not a reason to rerun).
    NoTVar(u64),
}

impl From<Conflict> for TxError {
    fn from(_: Conflict) -> Self {
        TxError::Conflict
    }
}

impl From<NoTVar> for TxError {
    fn from(e: NoTVar) -> Self {
        TxError::NoTVar(e.0)
    }
}

#[cfg(test)]
mod tests;
