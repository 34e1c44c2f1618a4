//! Spawning a process onto another JS thread (a pool worker): the table
//! entry, owned by the target thread, and the `Spawn` delivery that starts
//! it there are made in one call on the caller's thread, so the caller has
//! the pid at once and anything sent to it queues behind the `Spawn` in
//! the target's inbox (the inbox of a worker that is still starting
//! queues too).

use crate::departure::thread_gone;
use crate::inbox::{Delivery, Lane, Threads};
use crate::remote::RemoteRel;
use crate::table::{Id, ProcessTable, ThreadId};

/// Why a process could not be placed on a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceError {
    /// The parent of a spawn-and-link is not alive: nothing was created.
    NoProc,
    /// The target thread is gone (or was never reserved): nothing was created.
    NoThread,
}

/// Creates a process owned by `owner`, linked to `parent` when given (one
/// step, as `spawn_link`), and queues its `Spawn` delivery carrying `spec`.
/// If `owner` goes away concurrently, the new process dies with it like
/// every other process of that thread (its links are told `reason`).
#[allow(clippy::too_many_arguments)]
pub fn spawn_on(
    table: &ProcessTable,
    threads: &Threads,
    owner: ThreadId,
    parent: Option<Id>,
    spec: Vec<u8>,
    node: &str,
    reason: &str,
    remote: &dyn Fn(Id, &RemoteRel),
) -> Result<Id, PlaceError> {
    let inbox = threads.inbox(owner).ok_or(PlaceError::NoThread)?;
    let id = match parent {
        Some(p) => table.spawn_link(owner, p).map_err(|_| PlaceError::NoProc)?,
        None => table.spawn(owner),
    };
    inbox.post(Delivery {
        to: id,
        lane: Lane::Spawn,
        payload: spec,
    });
    // The thread left between the lookup and the insert: its departure may
    // have run before the entry existed, so run it again (it is idempotent)
    // to take this process down with the others.
    if threads.inbox(owner).is_none() {
        thread_gone(table, threads, owner, node, reason, remote);
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::departure::exit_signal;

    /// A table and threads with a running main thread, a reserved pool
    /// thread, a parent process on main and a child placed on the pool
    /// (linked to it, `spec` as its payload).
    struct World {
        table: ProcessTable,
        threads: Threads,
        main: ThreadId,
        pool: ThreadId,
        parent: Id,
        child: Id,
    }

    fn world(spec: Vec<u8>) -> World {
        let table = ProcessTable::new();
        let threads = Threads::new();
        let main = threads.add(Box::new(|| {}));
        let pool = threads.reserve();
        let parent = table.spawn(main);
        let child = spawn_on(
            &table,
            &threads,
            pool,
            Some(parent),
            spec,
            "n",
            "thread_exit",
            &|_, _| {},
        )
        .unwrap();
        World {
            table,
            threads,
            main,
            pool,
            parent,
            child,
        }
    }

    #[test]
    fn a_placed_process_is_owned_by_the_target_and_its_spawn_comes_first() {
        let World {
            table,
            threads,
            pool,
            parent,
            child: id,
            ..
        } = world(vec![7]);
        assert_eq!(table.owner(id), Some(pool));
        assert_eq!(table.links_of(parent), vec![id]);
        assert!(threads.post(&table, id, Lane::User, vec![1]));
        let got = threads.inbox(pool).unwrap().drain();
        assert_eq!(got[0].lane, Lane::Spawn);
        assert_eq!(got[0].payload, vec![7]);
        assert_eq!(got[1].lane, Lane::User);
    }

    #[test]
    fn no_parent_or_no_thread_creates_nothing() {
        let table = ProcessTable::new();
        let threads = Threads::new();
        let pool = threads.reserve();
        let n = table.len();
        assert_eq!(
            spawn_on(
                &table,
                &threads,
                pool,
                Some(999),
                vec![],
                "n",
                "x",
                &|_, _| {}
            ),
            Err(PlaceError::NoProc)
        );
        assert_eq!(
            spawn_on(&table, &threads, 12345, None, vec![], "n", "x", &|_, _| {}),
            Err(PlaceError::NoThread)
        );
        assert_eq!(table.len(), n);
    }

    #[test]
    fn a_reserved_inbox_queues_until_attached_and_then_wakes_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let table = ProcessTable::new();
        let threads = Threads::new();
        let pool = threads.reserve();
        let id = spawn_on(&table, &threads, pool, None, vec![], "n", "x", &|_, _| {}).unwrap();
        threads.post(&table, id, Lane::User, vec![1]);
        let wakes = Arc::new(AtomicUsize::new(0));
        let w = wakes.clone();
        assert!(threads.attach(
            pool,
            Box::new(move || {
                w.fetch_add(1, Ordering::SeqCst);
            })
        ));
        assert_eq!(wakes.load(Ordering::SeqCst), 1);
        assert!(!threads.attach(pool, Box::new(|| {})), "attached once");
        assert_eq!(threads.inbox(pool).unwrap().drain().len(), 2);
        threads.post(&table, id, Lane::User, vec![2]);
        assert_eq!(wakes.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_thread_that_never_started_takes_its_placed_processes_down() {
        let World {
            table,
            threads,
            main,
            pool,
            child: id,
            ..
        } = world(vec![]);
        assert_eq!(
            thread_gone(&table, &threads, pool, "n", "thread_exit", &|_, _| {}),
            1
        );
        assert!(!table.alive(id));
        let got = threads.inbox(main).unwrap().drain();
        assert_eq!(got[0].payload, exit_signal("n", id, "thread_exit"));
    }
}
