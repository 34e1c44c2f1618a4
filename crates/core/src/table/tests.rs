use super::*;
use crate::RegisterError;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

#[test]
fn links_are_symmetric_and_cleared_on_exit() {
    let t = ProcessTable::new();
    let a = t.spawn(1);
    let b = t.spawn(1);
    let c = t.spawn(1);
    t.link(a, b).unwrap();
    t.link(a, b).unwrap(); // idempotent
    t.link(c, a).unwrap();
    assert_eq!(t.links_of(b), vec![a]);
    let x = t.exit(a).unwrap();
    assert_eq!(x.links, vec![b, c]);
    assert!(t.links_of(b).is_empty() && t.links_of(c).is_empty());
    assert_eq!(t.exit(a), None, "an exit happens once");
}

#[test]
fn link_to_dead_or_self() {
    let t = ProcessTable::new();
    let a = t.spawn(1);
    let b = t.spawn(1);
    t.exit(b);
    assert_eq!(t.link(a, b), Err(NoProc));
    assert_eq!(t.link(a, a), Ok(()));
    assert!(t.links_of(a).is_empty());
}

#[test]
fn spawn_link_is_atomic() {
    let t = ProcessTable::new();
    let p = t.spawn(1);
    let c = t.spawn_link(1, p).unwrap();
    assert_eq!(t.links_of(p), vec![c]);
    assert_eq!(t.links_of(c), vec![p]);
    t.exit(p);
    let before = t.len();
    assert_eq!(t.spawn_link(1, p), Err(NoProc));
    assert_eq!(t.len(), before, "nothing created for a dead parent");
}

#[test]
fn monitors_fire_once_and_demonitor() {
    let t = ProcessTable::new();
    let w = t.spawn(1);
    let a = t.spawn(1);
    let r1 = t.monitor(w, a).unwrap();
    let r2 = t.monitor(w, a).unwrap();
    assert_ne!(r1, r2);
    assert!(t.demonitor(w, r2));
    assert!(!t.demonitor(w, r2));
    let x = t.exit(a).unwrap();
    assert_eq!(x.monitors, vec![(r1, w)]);
    assert!(!t.demonitor(w, r1), "fired monitors are gone");
    assert_eq!(t.monitor(w, a), Err(NoProc));
}

#[test]
fn watcher_exit_removes_its_monitors() {
    let t = ProcessTable::new();
    let w = t.spawn(1);
    let a = t.spawn(1);
    t.monitor(w, a).unwrap();
    t.exit(w);
    assert!(t.exit(a).unwrap().monitors.is_empty());
}

#[test]
fn names_follow_processes() {
    let t = ProcessTable::new();
    let a = t.spawn(1);
    let b = t.spawn(1);
    t.register("echo", a).unwrap();
    t.register("echo", a).unwrap();
    assert_eq!(t.register("echo", b), Err(RegisterError::Taken(a)));
    assert_eq!(t.register("", b), Err(RegisterError::BadName));
    assert_eq!(t.whereis("echo"), Some(a));
    let x = t.exit(a).unwrap();
    assert_eq!(x.names, vec!["echo".into()]);
    assert_eq!(t.whereis("echo"), None);
    t.exit(b);
    assert_eq!(t.register("late", b), Err(RegisterError::NoProc));
    assert_eq!(t.unregister("late"), None);
}

#[test]
fn exit_thread_takes_its_processes_only() {
    let t = ProcessTable::new();
    let a = t.spawn(1);
    let b = t.spawn(2);
    t.link(a, b).unwrap();
    let gone = t.exit_thread(2);
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].0, b);
    assert_eq!(gone[0].1.links, vec![a]);
    assert!(t.alive(a) && !t.alive(b));
}

/// 100,000 processes in a chain, exits cascading from one end on four OS
/// threads at once: every process is removed exactly once and the table is
/// empty afterwards.
#[test]
fn chain_cascade_leaves_nothing() {
    let t = std::sync::Arc::new(ProcessTable::new());
    let n = 100_000;
    let mut ids = vec![t.spawn(1)];
    for _ in 1..n {
        let prev = *ids.last().unwrap();
        ids.push(t.spawn_link(1, prev).unwrap());
    }
    assert_eq!(t.len(), n);
    let exited = std::sync::atomic::AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel::<Id>();
    let rx = std::sync::Mutex::new(rx);
    tx.send(ids[n / 2]).unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            let tx = tx.clone();
            let (t, rx, exited) = (&t, &rx, &exited);
            s.spawn(move || loop {
                let next = rx
                    .lock()
                    .unwrap()
                    .recv_timeout(std::time::Duration::from_millis(200));
                let Ok(id) = next else { break };
                if let Some(x) = t.exit(id) {
                    exited.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    for l in x.links {
                        tx.send(l).unwrap();
                    }
                }
            });
        }
    });
    assert_eq!(exited.into_inner(), n);
    assert!(t.is_empty());
}

#[derive(Debug, Clone)]
enum Op {
    Spawn,
    Link(usize, usize),
    Unlink(usize, usize),
    Exit(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Spawn),
        (0..8usize, 0..8usize).prop_map(|(a, b)| Op::Link(a, b)),
        (0..8usize, 0..8usize).prop_map(|(a, b)| Op::Unlink(a, b)),
        (0..8usize).prop_map(Op::Exit),
    ]
}

proptest! {
    /// The table agrees with a naive model of alive sets and link pairs
    /// after any sequence of spawns, links, unlinks and exits.
    #[test]
    fn agrees_with_model(ops in proptest::collection::vec(op(), 1..60)) {
        let t = ProcessTable::new();
        let mut ids: Vec<Id> = vec![];
        let mut alive = BTreeSet::new();
        let mut links: BTreeMap<Id, BTreeSet<Id>> = BTreeMap::new();
        for o in ops {
            let pick = |i: usize| ids.get(i % ids.len().max(1)).copied();
            match o {
                Op::Spawn => { let id = t.spawn(1); ids.push(id); alive.insert(id); }
                Op::Link(a, b) => if let (Some(a), Some(b)) = (pick(a), pick(b)) {
                    let ok = alive.contains(&a) && alive.contains(&b);
                    prop_assert_eq!(t.link(a, b).is_ok(), ok);
                    if ok && a != b {
                        links.entry(a).or_default().insert(b);
                        links.entry(b).or_default().insert(a);
                    }
                },
                Op::Unlink(a, b) => if let (Some(a), Some(b)) = (pick(a), pick(b)) {
                    t.unlink(a, b);
                    if let Some(s) = links.get_mut(&a) { s.remove(&b); }
                    if let Some(s) = links.get_mut(&b) { s.remove(&a); }
                },
                Op::Exit(a) => if let Some(a) = pick(a) {
                    let x = t.exit(a);
                    prop_assert_eq!(x.is_some(), alive.remove(&a));
                    if let Some(x) = x {
                        let got: BTreeSet<Id> = x.links.into_iter().collect();
                        let want = links.remove(&a).unwrap_or_default();
                        prop_assert_eq!(&got, &want);
                        for l in want { if let Some(s) = links.get_mut(&l) { s.remove(&a); } }
                    }
                },
            }
        }
        for &id in &ids {
            let got: BTreeSet<Id> = t.links_of(id).into_iter().collect();
            prop_assert_eq!(got, links.get(&id).cloned().unwrap_or_default());
        }
        prop_assert_eq!(t.len(), alive.len());
    }
}
