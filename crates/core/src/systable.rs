//! System tables kept in the STM: a map from string keys to byte values,
//! spread over a fixed number of bucket TVars.
//!
//! The registry (names and aliases) and the node table live here, as in the
//! seed, so that a transaction can read them together with user TVars and
//! see one committed state (`tx.whereis` in JS), and `retry` until a name
//! or a node appears. Reads take no lock: a committed read is one bucket's
//! current value, a transactional read is an ordinary TVar read.
//!
//! Writes are made by one writer at a time: the owner of the table
//! serializes them (the process table writes names under its own lock, so
//! a name and the liveness of its process change in one step; the node
//! table is written under each peer's link lock). Writer commits therefore
//! never conflict with each other; user transactions cannot write buckets.
//!
//! A fixed bucket count keeps the number of TVars constant however many
//! keys come and go (a TVar per key could not be freed while a transaction
//! might hold it in its read set).

use bfly_stm::{Stm, TVar, Transaction, TxError, Wake};
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

/// A keyed table of byte values in the STM. See the module doc.
pub struct SysTable {
    stm: Arc<Stm>,
    buckets: Vec<Arc<TVar>>,
}

/// One change for [`SysTable::apply`]: set `key` to the value, or remove it.
pub type Change<'a> = (&'a str, Option<&'a [u8]>);

impl SysTable {
    /// An empty table of `buckets` (at least 1) TVars in `stm`, pinned for
    /// the life of the store.
    pub fn new(stm: Arc<Stm>, buckets: usize) -> Self {
        let buckets = (0..buckets.max(1))
            .map(|_| {
                let v = stm.create(&[]);
                // Created just above, so the id is known.
                let _ = stm.pin(v.id());
                v
            })
            .collect();
        SysTable { stm, buckets }
    }

    /// The STM this table lives in.
    pub fn stm(&self) -> &Arc<Stm> {
        &self.stm
    }

    fn bucket(&self, key: &str) -> &Arc<TVar> {
        let mut h = rustc_hash::FxBuildHasher.build_hasher();
        h.write(key.as_bytes());
        &self.buckets[(h.finish() % self.buckets.len() as u64) as usize]
    }

    /// The TVar id of the bucket that holds `key` (for a transaction that
    /// reads it through its own `Transaction`; see [`SysTable::lookup`]).
    pub fn bucket_id(&self, key: &str) -> u64 {
        self.bucket(key).id()
    }

    /// The committed value of `key`.
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.get_with(key, <[u8]>::to_vec)
    }

    /// `f` of the committed value of `key`, without copying it.
    pub fn get_with<T>(&self, key: &str, f: impl FnOnce(&[u8]) -> T) -> Option<T> {
        lookup(&self.bucket(key).current(), key).map(f)
    }

    /// The value of `key` in transaction `tx` (recorded in its read set, so
    /// a `retry` wakes when the key's bucket changes).
    pub fn tx_get(&self, tx: &mut Transaction<'_>, key: &str) -> Result<Option<Vec<u8>>, TxError> {
        let bytes = tx.read(self.bucket_id(key))?;
        Ok(lookup(&bytes, key).map(<[u8]>::to_vec))
    }

    /// Every entry, sorted by key, from one consistent snapshot.
    pub fn entries(&self) -> Vec<(String, Vec<u8>)> {
        let mut tx = Transaction::new(&self.stm);
        loop {
            let mut out = Vec::new();
            let ok = self.buckets.iter().all(|b| match tx.read(b.id()) {
                Ok(bytes) => {
                    out.extend(Entries(&bytes).map(|(k, v)| (k.to_string(), v.to_vec())));
                    true
                }
                Err(_) => false,
            });
            if ok && tx.commit().is_ok() {
                out.sort();
                return out;
            }
            tx.begin();
        }
    }

    /// Applies `changes` in one commit and returns the `retry` waiters to
    /// wake. The caller must be the table's only writer at this time.
    pub fn apply(&self, changes: &[Change<'_>]) -> Vec<Wake> {
        if changes.is_empty() {
            return Vec::new();
        }
        let mut tx = Transaction::new(&self.stm);
        loop {
            if self.stage(&mut tx, changes).is_ok() {
                if let Ok(w) = tx.commit() {
                    return w;
                }
            }
            // Only a commit of this table's (single) writer changes a
            // bucket, so this is not reached; rerunning is still correct.
            tx.begin();
        }
    }

    fn stage(&self, tx: &mut Transaction<'_>, changes: &[Change<'_>]) -> Result<(), TxError> {
        for &(key, value) in changes {
            let id = self.bucket_id(key);
            let old = tx.read(id)?;
            let new = with_entry(&old, key, value);
            tx.write(id, &new)?;
        }
        Ok(())
    }
}

/// The value of `key` in an encoded bucket.
pub fn lookup<'b>(bucket: &'b [u8], key: &str) -> Option<&'b [u8]> {
    Entries(bucket).find(|(k, _)| *k == key).map(|(_, v)| v)
}

/// A bucket is a sequence of entries `[u32 key len][key][u32 value len][value]`
/// (little-endian), written only by `with_entry`.
struct Entries<'b>(&'b [u8]);

impl<'b> Iterator for Entries<'b> {
    type Item = (&'b str, &'b [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let (k, rest) = field(self.0)?;
        let (v, rest) = field(rest)?;
        self.0 = rest;
        Some((std::str::from_utf8(k).ok()?, v))
    }
}

fn field(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let n = u32::from_le_bytes(b.get(..4)?.try_into().ok()?) as usize;
    let rest = b.get(4..)?;
    Some((rest.get(..n)?, rest.get(n..)?))
}

fn put_field(out: &mut Vec<u8>, f: &[u8]) {
    out.extend_from_slice(&(f.len() as u32).to_le_bytes());
    out.extend_from_slice(f);
}

/// `bucket` with `key` set to `value` (or removed when `None`).
fn with_entry(bucket: &[u8], key: &str, value: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::with_capacity(bucket.len() + key.len() + 16);
    for (k, v) in Entries(bucket).filter(|(k, _)| *k != key) {
        put_field(&mut out, k.as_bytes());
        put_field(&mut out, v);
    }
    if let Some(v) = value {
        put_field(&mut out, key.as_bytes());
        put_field(&mut out, v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> SysTable {
        SysTable::new(Arc::new(Stm::new()), 4)
    }

    #[test]
    fn set_get_remove() {
        let t = table();
        assert_eq!(t.get("a"), None);
        t.apply(&[("a", Some(b"1")), ("b", Some(b"22"))]);
        assert_eq!(t.get("a").as_deref(), Some(&b"1"[..]));
        t.apply(&[("a", Some(b"333"))]);
        assert_eq!(t.get("a").as_deref(), Some(&b"333"[..]));
        t.apply(&[("a", None)]);
        assert_eq!(t.get("a"), None);
        assert_eq!(t.entries(), vec![("b".to_string(), b"22".to_vec())]);
    }

    #[test]
    fn many_keys_share_few_buckets() {
        let t = table();
        let keys: Vec<String> = (0..500).map(|i| format!("k{i}")).collect();
        for k in &keys {
            t.apply(&[(k, Some(k.as_bytes()))]);
        }
        for k in keys.iter().step_by(2) {
            t.apply(&[(k, None)]);
        }
        let left = t.entries();
        assert_eq!(left.len(), 250);
        assert!(left
            .iter()
            .all(|(k, v)| k.as_bytes() == &v[..] && k[1..].parse::<u32>().unwrap() % 2 == 1));
        assert_eq!(t.stm().len(), 4);
    }

    #[test]
    fn a_transaction_sees_the_table_with_user_tvars_and_retry_wakes_on_change() {
        let t = table();
        let stm = t.stm().clone();
        let flag = stm.create(b"0");
        let mut tx = Transaction::new(&stm);
        assert_eq!(t.tx_get(&mut tx, "svc").unwrap(), None);
        tx.read(flag.id()).unwrap();
        let wake = match tx.wait(7) {
            bfly_stm::Park::Parked(w) => w,
            other => panic!("expected a park, got {other:?}"),
        };
        // Another key in another bucket may or may not wake it; the key it read must.
        let woken = t.apply(&[("svc", Some(b"pid"))]);
        assert_eq!(woken, vec![wake]);
        assert_eq!(
            t.tx_get(&mut tx, "svc").unwrap().as_deref(),
            Some(&b"pid"[..])
        );
    }

    #[test]
    fn a_truncated_bucket_reads_as_its_complete_entries() {
        let mut b = with_entry(&[], "x", Some(b"1"));
        b = with_entry(&b, "y", Some(b"2"));
        b.truncate(b.len() - 1);
        assert_eq!(lookup(&b, "x"), Some(&b"1"[..]));
        assert_eq!(lookup(&b, "y"), None);
    }
}
