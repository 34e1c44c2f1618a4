//! Registered names (the seed's `register-service`): the binding of the
//! core's names table (an STM system table, see `bfly_core::systable`).

use crate::{arg, TABLE, THREAD};
use bfly_core::RegisterError;
use napi_derive::napi;
use std::cell::Cell;

fn register_code(r: Result<(), RegisterError>) -> i64 {
    match r {
        Ok(()) => 0,
        Err(RegisterError::NoProc) => -1,
        Err(RegisterError::BadName) => -2,
        Err(RegisterError::Alias) => -3,
        Err(RegisterError::Taken(h)) => h as i64,
    }
}

/// Binds `name` to `id`: 0 on success, -1 when `id` is dead, -2 for an
/// empty name, -3 when the name stands for a remote service, otherwise the
/// id of the live process holding the name.
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

/// A new process registered as `name` (linked to args[0] unless it is 0)
/// in one step: its id, or a `name_register` code (-1 the parent is dead,
/// -2 an empty name, -3 an alias holds it, -4 a process holds it).
#[napi]
pub fn proc_spawn_named(name: String) -> f64 {
    let parent = Some(arg(0)).filter(|&p| p != 0);
    match TABLE.spawn_named(THREAD.with(Cell::get), parent, &name) {
        Ok(id) => id as f64,
        Err(RegisterError::Taken(_)) => -4.0,
        Err(e) => register_code(Err(e)) as f64,
    }
}
