//! Registered names (the seed's `register-service` for local pids).
//!
//! Names live under the process table's lock so that a name can never
//! point at a process that has exited: `exit` frees the names of the
//! process it removes in the same step.

use crate::table::{Id, ProcessTable};

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

impl ProcessTable {
    /// Binds `name` to the live process `id`. Registering the same pair
    /// again is a no-op; a name held by another process is refused.
    pub fn register(&self, name: &str, id: Id) -> Result<(), RegisterError> {
        if name.is_empty() {
            return Err(RegisterError::BadName);
        }
        let mut g = self.inner.lock();
        match g.names.get(name) {
            Some(&held) if held == id => return Ok(()),
            Some(&held) => return Err(RegisterError::Taken(held)),
            None => {}
        }
        if g.aliases.contains_key(name) {
            return Err(RegisterError::Alias);
        }
        let e = g.procs.get_mut(&id).ok_or(RegisterError::NoProc)?;
        e.rel().names.push(name.into());
        g.names.insert(name.into(), id);
        Ok(())
    }

    /// Binds `name` to the service `remote` of node `node` (the seed's
    /// `register-service` of a `remote-service`): sends to `name` are
    /// forwarded there. Refused when a local process holds the name
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
        let mut g = self.inner.lock();
        if let Some(&held) = g.names.get(name) {
            return Err(RegisterError::Taken(held));
        }
        g.aliases.insert(name.into(), (node.into(), remote.into()));
        Ok(())
    }

    /// The remote service `name` stands for: (node, remote name).
    pub fn alias(&self, name: &str) -> Option<(String, String)> {
        let g = self.inner.lock();
        g.aliases
            .get(name)
            .map(|(n, r)| (n.to_string(), r.to_string()))
    }

    /// Frees `name` (a local name or an alias); returns the process it was
    /// bound to, if it was a local name.
    pub fn unregister(&self, name: &str) -> Option<Id> {
        let mut g = self.inner.lock();
        if g.aliases.remove(name).is_some() {
            return None;
        }
        let id = g.names.remove(name)?;
        if let Some(r) = g.procs.get_mut(&id).and_then(|e| e.rel.as_mut()) {
            r.names.retain(|n| &**n != name);
        }
        Some(id)
    }

    /// The live process registered as `name`.
    pub fn whereis(&self, name: &str) -> Option<Id> {
        self.inner.lock().names.get(name).copied()
    }

    /// Every alias with the (node, name) it stands for, sorted by name.
    pub fn aliases(&self) -> Vec<(String, String, String)> {
        let g = self.inner.lock();
        let mut v: Vec<_> = g
            .aliases
            .iter()
            .map(|(a, (n, r))| (a.to_string(), n.to_string(), r.to_string()))
            .collect();
        v.sort();
        v
    }

    /// Every registered name with its process, sorted by name.
    pub fn registered(&self) -> Vec<(String, Id)> {
        let g = self.inner.lock();
        let mut v: Vec<(String, Id)> = g.names.iter().map(|(n, &id)| (n.to_string(), id)).collect();
        v.sort();
        v
    }
}
