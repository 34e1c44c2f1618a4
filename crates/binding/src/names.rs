//! Registered names (the seed's `register-service`): the binding of the
//! core's names table (an STM system table, see `bfly_core::systable`).

use crate::{slots, TABLE, THREAD};
use bfly_core::RegisterError;
use napi_derive::napi;
use std::cell::Cell;

/// Why a name was not bound (`name_register`, `name_register_alias`,
/// `proc_spawn_named`); 0 is success, and `name_register` answers a taken
/// name with the id of the process holding it.
#[napi]
pub enum NameCode {
    Ok = 0,
    /// The process to register (or the spawning parent) is not alive.
    NoProc = -1,
    /// The name is empty.
    BadName = -2,
    /// The name stands for a remote service.
    Alias = -3,
    /// A live process holds the name (`proc_spawn_named` only).
    Taken = -4,
}

fn register_code(r: Result<(), RegisterError>) -> i64 {
    match r {
        Ok(()) => NameCode::Ok as i64,
        Err(RegisterError::NoProc) => NameCode::NoProc as i64,
        Err(RegisterError::BadName) => NameCode::BadName as i64,
        Err(RegisterError::Alias) => NameCode::Alias as i64,
        Err(RegisterError::Taken(h)) => h as i64,
    }
}

/// Binds `name` to `id`: a `NameCode`, or the id of the live process
/// holding the name.
#[napi]
pub fn name_register(name: String, id: i64) -> i64 {
    register_code(TABLE.register(&name, id as u64))
}

/// Binds `name` to service `remote` of node `node`: codes as `name_register`.
#[napi]
pub fn name_register_alias(name: String, node: String, remote: String) -> i64 {
    register_code(TABLE.register_alias(&name, &node, &remote))
}

/// The remote service `name` stands for: [node, remote name].
#[napi]
pub fn name_alias(name: String) -> Option<Vec<String>> {
    TABLE.alias(&name).map(|(n, r)| vec![n, r])
}

/// Frees `name` (local or alias); whether it was bound.
#[napi]
pub fn name_unregister(name: String) -> bool {
    TABLE.unregister(&name).is_some()
}

/// The process registered as `name`.
#[napi]
pub fn name_whereis(name: String) -> Option<i64> {
    TABLE.whereis(&name).map(|id| id as i64)
}

/// Every registered name (local and alias), sorted.
#[napi]
pub fn name_list() -> Vec<String> {
    TABLE.bindings().into_iter().map(|(n, _)| n).collect()
}

/// A new process registered as `name` (linked to `parent` unless it is 0)
/// in one step: its id, or a `NameCode` (`NoProc`: the parent is dead).
#[napi]
pub fn proc_spawn_named(name: String) -> f64 {
    let [parent] = slots();
    let parent = Some(parent).filter(|&p| p != 0);
    match TABLE.spawn_named(THREAD.with(Cell::get), parent, &name) {
        Ok(id) => id as f64,
        Err(RegisterError::Taken(_)) => NameCode::Taken as i32 as f64,
        Err(e) => register_code(Err(e)) as f64,
    }
}
