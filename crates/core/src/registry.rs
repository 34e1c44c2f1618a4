//! Registered names (the seed's `register-service`), kept in an STM
//! system table (see `systable`).
//!
//! Writes happen under the process table's lock, so that a name can never
//! be given to a process that has exited, and `exit` frees the names of the
//! process it removes in the same step. Reads take no lock and see a
//! committed state; a transaction can read names together with user TVars.

use crate::systable::{Change, SysTable};
use crate::table::{Id, ProcessTable, ThreadId};
use bfly_stm::{Transaction, TxError, Wake};

/// Why a name could not be registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterError {
    /// The name already belongs to this (other, live) process.
    Taken(Id),
    /// The process to name is not alive.
    NoProc,
    /// The name is empty.
    BadName,
    /// The name stands for a remote service (see `register_alias`).
    Alias,
}

/// What a name is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound {
    /// A live local process.
    Pid(Id),
    /// Service `.1` of node `.0` (the seed's `register-service` of a
    /// `remote-service`).
    Alias(String, String),
}

impl Bound {
    /// The table encoding: `[0][u64 le]` or `[1][u32 len][node][remote]`.
    fn encode(&self) -> Vec<u8> {
        match self {
            Bound::Pid(id) => {
                let mut v = vec![0];
                v.extend_from_slice(&id.to_le_bytes());
                v
            }
            Bound::Alias(node, remote) => {
                let mut v = vec![1];
                v.extend_from_slice(&(node.len() as u32).to_le_bytes());
                v.extend_from_slice(node.as_bytes());
                v.extend_from_slice(remote.as_bytes());
                v
            }
        }
    }

    /// Decodes what `encode` wrote; `None` for anything else.
    pub fn decode(b: &[u8]) -> Option<Bound> {
        match b.split_first()? {
            (0, id) => Some(Bound::Pid(u64::from_le_bytes(id.try_into().ok()?))),
            (1, rest) => {
                let n = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
                let node = std::str::from_utf8(rest.get(4..4 + n)?).ok()?;
                let remote = std::str::from_utf8(rest.get(4 + n..)?).ok()?;
                Some(Bound::Alias(node.into(), remote.into()))
            }
            _ => None,
        }
    }
}

impl ProcessTable {
    /// The names table (for transactions that read it; see `Bound`).
    pub fn names(&self) -> &SysTable {
        &self.names
    }

    /// What `name` is bound to, committed.
    pub fn resolve(&self, name: &str) -> Option<Bound> {
        self.names.get_with(name, Bound::decode).flatten()
    }

    /// What `name` is bound to in transaction `tx`.
    pub fn tx_resolve(
        &self,
        tx: &mut Transaction<'_>,
        name: &str,
    ) -> Result<Option<Bound>, TxError> {
        Ok(self.names.tx_get(tx, name)?.and_then(|b| Bound::decode(&b)))
    }

    /// Binds `name` to the live process `id`. Registering the same pair
    /// again is a no-op; a name held by another process is refused.
    pub fn register(&self, name: &str, id: Id) -> Result<(), RegisterError> {
        if name.is_empty() {
            return Err(RegisterError::BadName);
        }
        let wakes = {
            let mut g = self.inner.lock();
            match self.resolve(name) {
                Some(Bound::Pid(held)) if held == id => return Ok(()),
                Some(Bound::Pid(held)) => return Err(RegisterError::Taken(held)),
                Some(Bound::Alias(..)) => return Err(RegisterError::Alias),
                None => {}
            }
            let e = g.procs.get_mut(&id).ok_or(RegisterError::NoProc)?;
            e.rel().names.push(name.into());
            self.names.apply(&[(name, Some(&Bound::Pid(id).encode()))])
        };
        self.wake(wakes);
        Ok(())
    }

    /// Spawns a process (linked to `parent` when given) registered as
    /// `name`, in one step under the table lock: if the name is taken or
    /// the parent is dead, nothing is created, so no other process, link
    /// or monitor can ever see a process that was refused its name.
    pub fn spawn_named(
        &self,
        owner: ThreadId,
        parent: Option<Id>,
        name: &str,
    ) -> Result<Id, RegisterError> {
        if name.is_empty() {
            return Err(RegisterError::BadName);
        }
        let (id, wakes) = {
            let mut g = self.inner.lock();
            match self.resolve(name) {
                Some(Bound::Pid(held)) => return Err(RegisterError::Taken(held)),
                Some(Bound::Alias(..)) => return Err(RegisterError::Alias),
                None => {}
            }
            let id = self.reserve(1);
            let e = g
                .insert(id, owner, parent)
                .map_err(|_| RegisterError::NoProc)?;
            e.rel().names.push(name.into());
            (
                id,
                self.names.apply(&[(name, Some(&Bound::Pid(id).encode()))]),
            )
        };
        self.wake(wakes);
        Ok(id)
    }

    /// Binds `name` to the service `remote` of node `node`: sends to `name`
    /// are forwarded there. Refused when a local process holds the name
    /// (`Taken`); rebinding an alias replaces it.
    pub fn register_alias(
        &self,
        name: &str,
        node: &str,
        remote: &str,
    ) -> Result<(), RegisterError> {
        if name.is_empty() || node.is_empty() || remote.is_empty() {
            return Err(RegisterError::BadName);
        }
        let wakes = {
            let _g = self.inner.lock();
            if let Some(Bound::Pid(held)) = self.resolve(name) {
                return Err(RegisterError::Taken(held));
            }
            let b = Bound::Alias(node.into(), remote.into()).encode();
            self.names.apply(&[(name, Some(&b))])
        };
        self.wake(wakes);
        Ok(())
    }

    /// The remote service `name` stands for: (node, remote name).
    pub fn alias(&self, name: &str) -> Option<(String, String)> {
        match self.resolve(name)? {
            Bound::Alias(n, r) => Some((n, r)),
            Bound::Pid(_) => None,
        }
    }

    /// Frees `name` (a local name or an alias); returns what it was bound to.
    pub fn unregister(&self, name: &str) -> Option<Bound> {
        let (was, wakes) = {
            let mut g = self.inner.lock();
            let was = self.resolve(name)?;
            if let Bound::Pid(id) = was {
                if let Some(r) = g.procs.get_mut(&id).and_then(|e| e.rel.as_mut()) {
                    r.names.retain(|n| &**n != name);
                }
            }
            (was, self.names.apply(&[(name, None)]))
        };
        self.wake(wakes);
        Some(was)
    }

    /// Frees the names of a process that is being removed (the caller
    /// holds the table lock); returns the waiters to wake.
    pub(crate) fn free_names(&self, names: &[Box<str>]) -> Vec<Wake> {
        let changes: Vec<Change<'_>> = names.iter().map(|n| (&**n, None)).collect();
        self.names.apply(&changes)
    }

    /// The live process registered as `name`.
    pub fn whereis(&self, name: &str) -> Option<Id> {
        // Decodes only a pid (the hot case: a send by name), never an alias's strings.
        self.names
            .get_with(name, |b| match b.split_first() {
                Some((0, id)) => id.try_into().ok().map(u64::from_le_bytes),
                _ => None,
            })
            .flatten()
    }

    /// Every name with what it is bound to, sorted by name, from one
    /// consistent snapshot.
    pub fn bindings(&self) -> Vec<(String, Bound)> {
        self.names
            .entries()
            .into_iter()
            .filter_map(|(n, b)| Some((n, Bound::decode(&b)?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    #[test]
    fn names_follow_their_process_and_aliases_stand_apart() {
        let t = ProcessTable::new();
        let a = t.spawn(0);
        assert_eq!(t.register("x", a), Ok(()));
        assert_eq!(t.register("x", a), Ok(()));
        let b = t.spawn(0);
        assert_eq!(t.register("x", b), Err(RegisterError::Taken(a)));
        assert_eq!(
            t.register_alias("x", "n@h", "svc"),
            Err(RegisterError::Taken(a))
        );
        assert_eq!(t.register_alias("r", "n@h", "svc"), Ok(()));
        assert_eq!(t.register("r", b), Err(RegisterError::Alias));
        assert_eq!(t.alias("r"), Some(("n@h".into(), "svc".into())));
        assert_eq!(t.whereis("r"), None);
        assert_eq!(
            t.bindings(),
            vec![
                ("r".into(), Bound::Alias("n@h".into(), "svc".into())),
                ("x".into(), Bound::Pid(a))
            ]
        );
        t.exit(a);
        assert_eq!(t.whereis("x"), None);
        assert_eq!(t.register("x", b), Ok(()));
        assert_eq!(t.unregister("x"), Some(Bound::Pid(b)));
        assert_eq!(
            t.unregister("r"),
            Some(Bound::Alias("n@h".into(), "svc".into()))
        );
        assert_eq!(t.bindings(), vec![]);
    }

    #[test]
    fn spawn_named_creates_nothing_when_refused() {
        let t = ProcessTable::new();
        let sup = t.spawn(0);
        let a = t.spawn_named(0, Some(sup), "srv").unwrap();
        assert_eq!(t.whereis("srv"), Some(a));
        assert_eq!(t.links_of(sup), vec![a]);
        assert_eq!(
            t.spawn_named(0, Some(sup), "srv"),
            Err(RegisterError::Taken(a))
        );
        let dead = t.spawn(0);
        t.exit(dead);
        assert_eq!(
            t.spawn_named(0, Some(dead), "other"),
            Err(RegisterError::NoProc)
        );
        assert_eq!(t.spawn_named(0, None, ""), Err(RegisterError::BadName));
        assert_eq!(
            (t.len(), t.links_of(sup)),
            (2, vec![a]),
            "no refused spawn left a process or a link"
        );
        assert_eq!(t.whereis("other"), None);
        let x = t.exit(a).unwrap();
        assert_eq!(x.names, vec!["srv".into()]);
        assert_eq!(x.links, vec![sup]);
    }

    /// The two names of a process are freed by its exit in one commit: a
    /// transaction reading both (on other threads, while processes come
    /// and go) that sees "right" bound (registered second) also sees
    /// "left" bound to the same process, never one half of the exit.
    #[test]
    fn an_exit_frees_all_its_names_at_once_for_every_reader() {
        let t = Arc::new(ProcessTable::new());
        let stop = Arc::new(AtomicBool::new(false));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (t, stop) = (t.clone(), stop.clone());
                std::thread::spawn(move || {
                    let mut tx = Transaction::new(t.stm());
                    let mut bound = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        let l = t.tx_resolve(&mut tx, "left");
                        let r = t.tx_resolve(&mut tx, "right");
                        if tx.commit().is_err() {
                            continue;
                        }
                        if let (Ok(l), Ok(Some(r))) = (l, r) {
                            assert_eq!(l, Some(r), "a transaction saw half of an exit");
                            bound += 1;
                        }
                    }
                    bound
                })
            })
            .collect();
        for _ in 0..20_000 {
            let id = t.spawn(0);
            t.register("left", id).unwrap();
            t.register("right", id).unwrap();
            t.exit(id);
        }
        stop.store(true, Ordering::Relaxed);
        for r in readers {
            r.join().unwrap();
        }
        assert_eq!(t.whereis("left"), None);
    }
}
