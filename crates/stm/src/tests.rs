//! STM and lock tests: single-threaded semantics, OS-thread stress,
//! and a model-based property test of interleaved transactions.

use super::*;
use std::sync::Barrier;

fn num(b: &[u8]) -> u64 {
    u64::from_le_bytes(b.try_into().expect("8 bytes"))
}

fn enc(n: u64) -> [u8; 8] {
    n.to_le_bytes()
}

/// Runs `body` until it commits; returns its result and the wakes.
fn atomically<T>(
    stm: &Stm,
    mut body: impl FnMut(&mut Transaction) -> Result<T, TxError>,
) -> (T, Vec<Wake>) {
    let mut tx = Transaction::new(stm);
    loop {
        if let Ok(v) = body(&mut tx) {
            if let Ok(w) = tx.commit() {
                return (v, w);
            }
        } else {
            tx.abort();
        }
    }
}

#[test]
fn reads_see_own_writes_and_commit_publishes() {
    let stm = Stm::new();
    let a = stm.create(&enc(1)).id();
    let mut tx = Transaction::new(&stm);
    assert_eq!(num(&tx.read(a).unwrap()), 1);
    tx.write(a, &enc(2)).unwrap();
    assert_eq!(num(&tx.read(a).unwrap()), 2);
    assert_eq!(
        num(&stm.get(a).unwrap().current()),
        1,
        "not visible before commit"
    );
    tx.commit().unwrap();
    assert_eq!(num(&stm.get(a).unwrap().current()), 2);
    assert_eq!(tx.read(999), Err(TxError::NoTVar(999)));
}

#[test]
fn a_conflicting_commit_fails_and_changes_nothing() {
    let stm = Stm::new();
    let a = stm.create(&enc(0)).id();
    let b = stm.create(&enc(0)).id();
    let mut t1 = Transaction::new(&stm);
    let mut t2 = Transaction::new(&stm);
    t1.read(a).unwrap();
    t1.write(b, &enc(7)).unwrap();
    t2.write(a, &enc(1)).unwrap();
    t2.commit().unwrap();
    assert_eq!(t1.commit(), Err(Conflict));
    assert_eq!(
        num(&stm.get(b).unwrap().current()),
        0,
        "aborted writes are never visible"
    );
}

#[test]
fn a_read_that_cannot_be_consistent_fails_instead_of_returning_bytes() {
    let stm = Stm::new();
    let a = stm.create(&enc(0)).id();
    let b = stm.create(&enc(0)).id();
    let mut t1 = Transaction::new(&stm);
    assert_eq!(num(&t1.read(a).unwrap()), 0);
    // Another commit moves 5 from a to b after t1 read a.
    atomically(&stm, |t| {
        t.write(a, &enc(5))?;
        t.write(b, &enc(5))
    });
    // t1 would now see a=0, b=5: an inconsistent pair. It must not.
    assert_eq!(t1.read(b), Err(TxError::Conflict));
    assert_eq!(t1.read(b), Err(TxError::Conflict), "stays doomed");
    assert_eq!(t1.commit(), Err(Conflict));
}

#[test]
fn the_snapshot_extends_when_reads_are_still_current() {
    let stm = Stm::new();
    let a = stm.create(&enc(0)).id();
    let b = stm.create(&enc(0)).id();
    let mut t1 = Transaction::new(&stm);
    t1.read(a).unwrap();
    atomically(&stm, |t| t.write(b, &enc(3)));
    assert_eq!(num(&t1.read(b).unwrap()), 3);
    t1.write(a, &enc(1)).unwrap();
    assert!(t1.commit().is_ok());
}

#[test]
fn rollback_undoes_writes_since_the_mark_only() {
    let stm = Stm::new();
    let a = stm.create(&enc(0)).id();
    let b = stm.create(&enc(0)).id();
    let mut tx = Transaction::new(&stm);
    tx.write(a, &enc(1)).unwrap();
    let m = tx.mark();
    tx.write(a, &enc(2)).unwrap();
    tx.write(b, &enc(2)).unwrap();
    tx.rollback(m);
    assert_eq!(num(&tx.read(a).unwrap()), 1);
    assert_eq!(num(&tx.read(b).unwrap()), 0);
    tx.commit().unwrap();
    assert_eq!(num(&stm.get(b).unwrap().current()), 0);
}

#[test]
fn retry_wakes_on_a_write_to_what_it_read_and_not_before() {
    let stm = Stm::new();
    let a = stm.create(&enc(0)).id();
    let other = stm.create(&enc(0)).id();
    let mut tx = Transaction::new(&stm);
    tx.read(a).unwrap();
    let Park::Parked(w) = tx.wait(3) else {
        panic!("should park")
    };
    assert_eq!(w.thread, 3);
    let (_, wakes) = atomically(&stm, |t| t.write(other, &enc(1)));
    assert!(wakes.is_empty(), "a write elsewhere does not wake it");
    let (_, wakes) = atomically(&stm, |t| t.read(a).map(|_| ()));
    assert!(wakes.is_empty(), "a read-only transaction does not wake it");
    let (_, wakes) = atomically(&stm, |t| t.write(a, &enc(1)));
    assert_eq!(wakes, vec![w]);
    let (_, wakes) = atomically(&stm, |t| t.write(a, &enc(2)));
    assert!(wakes.is_empty(), "a waiter fires once");
}

#[test]
fn retry_after_a_change_reruns_at_once_and_with_no_reads_is_refused() {
    let stm = Stm::new();
    let a = stm.create(&enc(0)).id();
    let mut tx = Transaction::new(&stm);
    tx.read(a).unwrap();
    atomically(&stm, |t| t.write(a, &enc(1)));
    assert_eq!(tx.wait(1), Park::Changed);
    assert_eq!(tx.wait(1), Park::NothingRead);
}

#[test]
fn handles_decide_when_a_tvar_is_forgotten() {
    let stm = Stm::new();
    let a = stm.create(&enc(0)).id();
    stm.retain(a).unwrap();
    stm.release(a);
    assert!(stm.get(a).is_ok());
    stm.release(a);
    assert!(stm.get(a).is_err(), "no handle left");
    let b = stm.create(&enc(0)).id();
    stm.pin(b).unwrap();
    stm.release(b);
    assert!(stm.get(b).is_ok(), "an encoded TVar stays");
}

/// 4 OS threads x 100,000 increments of two shared TVars: no update is
/// lost, and every transaction saw both equal (one consistent snapshot).
#[test]
fn lost_update_stress() {
    let stm = Stm::new();
    let a = stm.create(&enc(0)).id();
    let b = stm.create(&enc(0)).id();
    let per = 100_000u64;
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let mut tx = Transaction::new(&stm);
                for _ in 0..per {
                    loop {
                        let r = (|| {
                            let x = num(&tx.read(a)?);
                            let y = num(&tx.read(b)?);
                            assert_eq!(x, y, "inconsistent snapshot");
                            tx.write(a, &enc(x + 1))?;
                            tx.write(b, &enc(y + 1))
                        })();
                        if r.is_ok() && tx.commit().is_ok() {
                            break;
                        }
                        tx.abort();
                    }
                }
            });
        }
    });
    assert_eq!(num(&stm.get(a).unwrap().current()), 4 * per);
    assert_eq!(num(&stm.get(b).unwrap().current()), 4 * per);
}

/// The classic write skew: each transaction reads both and zeroes one if
/// the other is set. Serializable execution leaves at least one set.
#[test]
fn write_skew_cannot_happen() {
    let stm = Stm::new();
    let rounds = 2_000;
    let a = stm.create(&enc(1)).id();
    let b = stm.create(&enc(1)).id();
    let go = Barrier::new(2);
    let done = Barrier::new(3);
    std::thread::scope(|s| {
        for (mine, theirs) in [(a, b), (b, a)] {
            let (go, done, stm) = (&go, &done, &stm);
            s.spawn(move || {
                for _ in 0..rounds {
                    go.wait();
                    atomically(stm, |t| {
                        if num(&t.read(theirs)?) == 1 && num(&t.read(mine)?) == 1 {
                            t.write(mine, &enc(0))?;
                        }
                        Ok(())
                    });
                    done.wait();
                    done.wait();
                }
            });
        }
        for _ in 0..rounds {
            done.wait();
            let x = num(&stm.get(a).unwrap().current());
            let y = num(&stm.get(b).unwrap().current());
            assert_eq!(x + y, 1, "exactly one transaction zeroed its variable");
            atomically(&stm, |t| {
                t.write(a, &enc(1))?;
                t.write(b, &enc(1))
            });
            done.wait();
        }
    });
}

/// A parked waiter on one OS thread is woken by a commit on another, and
/// never misses a commit that races with the park.
#[test]
fn retry_wake_ups_across_threads_are_never_lost() {
    let stm = Stm::new();
    let flag = stm.create(&enc(0)).id();
    let n = 2_000u64;
    let (tx_w, rx_w) = std::sync::mpsc::channel::<Wake>();
    std::thread::scope(|s| {
        s.spawn(|| {
            // The writer bumps the flag each time it is told to.
            for _ in 0..n {
                let (_, wakes) = atomically(&stm, |t| {
                    let v = num(&t.read(flag)?);
                    t.write(flag, &enc(v + 1))
                });
                for w in wakes {
                    tx_w.send(w).unwrap();
                }
            }
        });
        // The waiter waits for each value in turn: retry until it moves.
        let mut tx = Transaction::new(&stm);
        let mut seen = 0;
        while seen < n {
            let Ok(v) = tx.read(flag).map(|b| num(&b)) else {
                tx.abort();
                continue;
            };
            if v > seen {
                seen = v;
                tx.abort();
                continue;
            }
            match tx.wait(1) {
                Park::Parked(w) => {
                    let got = rx_w.recv_timeout(std::time::Duration::from_secs(20));
                    assert_eq!(got.ok(), Some(w), "the wake-up arrived");
                }
                Park::Changed => {}
                Park::NothingRead => panic!("read flag"),
            }
        }
    });
}

#[test]
fn locks_are_all_or_none_and_waiters_go_when_all_are_free() {
    let l = Locks::new();
    let (t1, ok) = l.acquire(1, &["b"]);
    assert!(ok);
    let (t2, ok) = l.acquire(2, &["a", "b", "a"]);
    assert!(!ok);
    assert_eq!(l.holder("a"), None, "a waiting request holds nothing");
    let (t3, ok) = l.acquire(3, &["a"]);
    assert!(ok, "and blocks nobody");
    assert_eq!(l.release(t1), Some(vec![]), "t2 still needs a");
    assert_eq!(
        l.release(t3),
        Some(vec![Wake {
            thread: 2,
            token: t2
        }])
    );
    assert_eq!((l.holder("a"), l.holder("b")), (Some(t2), Some(t2)));
    assert_eq!(l.release(t1), None);
    let (t4, ok) = l.acquire(4, &["a"]);
    assert!(!ok);
    assert_eq!(l.cancel(t4), Cancel::Withdrawn);
    assert_eq!(l.cancel(t2), Cancel::Granted);
    assert_eq!(l.cancel(t4), Cancel::Unknown);
    let (t5, _) = l.acquire(5, &["b"]);
    assert_eq!(
        l.release_thread(2),
        vec![Wake {
            thread: 5,
            token: t5
        }]
    );
    assert_eq!(l.waiting(), 0);
}

/// Random overlapping lock sets from 4 OS threads: every holder sees
/// its names exclusively, and everything finishes (no deadlock).
#[test]
fn lock_stress_has_exclusive_holders_and_no_deadlock() {
    use std::sync::atomic::{AtomicU32, Ordering};
    let l = Locks::new();
    let names = ["a", "b", "c", "d", "e"];
    let owners: Vec<AtomicU32> = names.iter().map(|_| AtomicU32::new(0)).collect();
    let (wake_tx, wake_rx): (Vec<_>, Vec<_>) =
        (0..4).map(|_| std::sync::mpsc::channel::<u64>()).unzip();
    std::thread::scope(|s| {
        for (th, rx) in wake_rx.into_iter().enumerate() {
            let (l, owners, wake_tx) = (&l, &owners, &wake_tx);
            s.spawn(move || {
                let mut seed = th as u64 * 7919 + 1;
                for _ in 0..5_000 {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let pick: Vec<usize> = (0..5).filter(|i| seed >> (33 + i) & 1 == 1).collect();
                    let want: Vec<&str> = pick.iter().map(|&i| names[i]).collect();
                    let (t, ok) = l.acquire(th as u32, &want);
                    if !ok {
                        let got = rx.recv_timeout(std::time::Duration::from_secs(20));
                        assert_eq!(got.ok(), Some(t), "granted before the watchdog");
                    }
                    for &i in &pick {
                        assert_eq!(owners[i].fetch_add(1, Ordering::SeqCst), 0, "exclusive");
                    }
                    for &i in &pick {
                        owners[i].fetch_sub(1, Ordering::SeqCst);
                    }
                    for w in l.release(t).expect("held") {
                        wake_tx[w.thread as usize].send(w.token).unwrap();
                    }
                }
            });
        }
    });
    assert_eq!(l.waiting(), 0);
}

mod model;
