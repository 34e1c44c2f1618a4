//! Inbox and thread-registry tests: routing, order, wake-ups.

use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn counting() -> (Arc<AtomicUsize>, Box<dyn Fn() + Send + Sync>) {
    let n = Arc::new(AtomicUsize::new(0));
    let m = n.clone();
    (
        n,
        Box::new(move || {
            m.fetch_add(1, Ordering::SeqCst);
        }),
    )
}

#[test]
fn one_wake_per_batch() {
    let (wakes, w) = counting();
    let inbox = Inbox::new(w);
    for i in 0..100u8 {
        inbox.post(Delivery {
            to: 1,
            lane: Lane::User,
            payload: vec![i],
        });
    }
    assert_eq!(wakes.load(Ordering::SeqCst), 1);
    let got = inbox.drain();
    assert_eq!(got.len(), 100);
    assert!(got
        .iter()
        .enumerate()
        .all(|(i, d)| d.payload == vec![i as u8]));
    inbox.post(Delivery {
        to: 1,
        lane: Lane::User,
        payload: vec![],
    });
    assert_eq!(wakes.load(Ordering::SeqCst), 2);
}

#[test]
fn a_post_to_a_spinning_thread_skips_the_waker_and_ends_the_spin() {
    let (wakes, w) = counting();
    let inbox = Arc::new(Inbox::new(w));
    let poster = {
        let inbox = inbox.clone();
        std::thread::spawn(move || {
            while inbox.state.load(Ordering::SeqCst) & SPINNING == 0 {
                std::thread::yield_now();
            }
            inbox.post(Delivery {
                to: 1,
                lane: Lane::User,
                payload: vec![7],
            });
        })
    };
    // Long enough never to run out first: the post ends it.
    assert_eq!(inbox.spin(Duration::from_secs(60)), Spun::Came);
    poster.join().unwrap();
    let waked = wakes.load(Ordering::SeqCst);
    assert_eq!(inbox.drain()[0].payload, vec![7]);
    // Once the spin is over, a post wakes the thread again.
    inbox.post(Delivery {
        to: 1,
        lane: Lane::User,
        payload: vec![8],
    });
    assert_eq!(wakes.load(Ordering::SeqCst), waked + 1);
    assert_eq!(waked, 0, "the post during the spin made a wake-up");
}

#[test]
fn a_spin_with_nothing_posted_times_out_and_one_with_a_wake_pending_does_not_start() {
    let (wakes, w) = counting();
    let inbox = Inbox::new(w);
    assert_eq!(inbox.spin(Duration::from_micros(200)), Spun::Nothing);
    inbox.post(Delivery {
        to: 1,
        lane: Lane::User,
        payload: vec![],
    });
    assert_eq!(wakes.load(Ordering::SeqCst), 1);
    // The wake-up made is on its way: spinning would only burn it twice.
    assert_eq!(inbox.spin(Duration::from_secs(60)), Spun::Pending);
}

#[test]
fn post_routes_by_owner_and_drops_for_dead() {
    let table = ProcessTable::new();
    let threads = Threads::new();
    let (_, w1) = counting();
    let (_, w2) = counting();
    let t1 = threads.add(w1);
    let t2 = threads.add(w2);
    let a = table.spawn(t1);
    let b = table.spawn(t2);
    assert!(threads.post(&table, a, Lane::User, vec![1]));
    assert!(threads.post(&table, b, Lane::Signal, vec![2]));
    assert_eq!(threads.inbox(t1).unwrap().drain()[0].payload, vec![1]);
    assert_eq!(threads.inbox(t2).unwrap().drain()[0].lane, Lane::Signal);
    table.exit(a);
    assert!(!threads.post(&table, a, Lane::User, vec![1]));
}

fn post_sizes(inbox: &Inbox, sizes: &[usize]) {
    for (i, &n) in sizes.iter().enumerate() {
        inbox.post(Delivery {
            to: 1,
            lane: Lane::User,
            payload: vec![i as u8; n],
        });
    }
}

fn firsts(ds: &[Delivery]) -> Vec<u8> {
    ds.iter().map(|d| d.payload[0]).collect()
}

#[test]
fn drain_front_takes_an_ordered_prefix_within_its_bounds() {
    let (n, w) = counting();
    let inbox = Inbox::new(w);
    post_sizes(&inbox, &[10, 10, 10, 10]);
    assert_eq!(n.load(Ordering::SeqCst), 1);
    let (got, more) = inbox.drain_front(2, 1000, false);
    assert_eq!((firsts(&got), more), (vec![0, 1], true), "by count");
    let (got, more) = inbox.drain_front(10, 15, false);
    assert_eq!((firsts(&got), more), (vec![2], true), "by bytes");
    // Something is left: the wake-up stays pending, so a post makes none
    // (the thread comes back for the rest on its own).
    post_sizes(&inbox, &[10]);
    assert_eq!(n.load(Ordering::SeqCst), 1);
    let (got, more) = inbox.drain_front(10, 1000, false);
    assert_eq!(
        (firsts(&got), more),
        (vec![3, 0], false),
        "the rest, in order"
    );
    // All taken: the next post wakes the thread again.
    post_sizes(&inbox, &[10]);
    assert_eq!(n.load(Ordering::SeqCst), 2);
}

#[test]
fn backlog_counts_deliveries_and_payload_bytes_through_posts_and_drains() {
    let inbox = Inbox::new(Box::new(|| {}));
    assert_eq!(inbox.backlog(), (0, 0));
    post_sizes(&inbox, &[10, 20, 30]);
    inbox.post_many((0..2u8).map(|i| Delivery {
        to: 1,
        lane: Lane::User,
        payload: vec![i; 5],
    }));
    assert_eq!(inbox.backlog(), (5, 70));
    // A bounded part, then one past the bounds (at_least_one), then the rest.
    let (got, more) = inbox.drain_front(2, 1000, false);
    assert_eq!((got.len(), more), (2, true));
    assert_eq!(inbox.backlog(), (3, 40));
    let (got, _) = inbox.drain_front(10, 1, true);
    assert_eq!(got.len(), 1);
    assert_eq!(inbox.backlog(), (2, 10));
    post_sizes(&inbox, &[7]);
    assert_eq!(inbox.drain().len(), 3);
    assert_eq!(inbox.backlog(), (0, 0));
    post_sizes(&inbox, &[4, 4]);
    let (got, more) = inbox.drain_front(10, 1000, false);
    assert_eq!((got.len(), more), (2, false));
    assert_eq!(inbox.backlog(), (0, 0));
}

#[test]
fn drain_front_leaves_an_oversized_first_delivery_unless_asked_for_one() {
    let (_, w) = counting();
    let inbox = Inbox::new(w);
    post_sizes(&inbox, &[100, 1]);
    let (got, more) = inbox.drain_front(10, 50, false);
    assert!(got.is_empty() && more, "nothing fits: nothing taken");
    assert_eq!(inbox.len(), 2);
    let (got, more) = inbox.drain_front(10, 50, true);
    assert_eq!((got.len(), got[0].payload.len(), more), (1, 100, true));
    let (got, more) = inbox.drain_front(10, 50, true);
    assert_eq!((got.len(), more), (1, false));
    let (got, more) = inbox.drain_front(10, 50, true);
    assert!(got.is_empty() && !more, "an empty inbox");
}

#[test]
fn post_batch_keeps_order_per_thread_drops_the_dead_and_wakes_once_per_run() {
    let table = ProcessTable::new();
    let threads = Threads::new();
    let (n1, w1) = counting();
    let (_, w2) = counting();
    let t1 = threads.add(w1);
    let t2 = threads.add(w2);
    let (a, b, dead) = (table.spawn(t1), table.spawn(t2), table.spawn(t1));
    table.exit(dead);
    let batch: Vec<(Id, Vec<u8>)> = vec![
        (a, vec![1]),
        (dead, vec![9]),
        (a, vec![2]),
        (b, vec![3]),
        (a, vec![4]),
    ];
    threads.post_batch(&table, batch.iter().map(|(id, p)| (*id, &p[..])));
    let got = |t| -> Vec<(Id, Vec<u8>)> {
        threads
            .inbox(t)
            .unwrap()
            .drain()
            .into_iter()
            .map(|d| (d.to, d.payload))
            .collect()
    };
    assert_eq!(got(t1), vec![(a, vec![1]), (a, vec![2]), (a, vec![4])]);
    assert_eq!(got(t2), vec![(b, vec![3])]);
    assert_eq!(
        n1.load(Ordering::SeqCst),
        1,
        "the second run found a wake-up pending"
    );
}

/// Many senders on many OS threads: each sender's messages come out of
/// the one inbox in that sender's order, and nothing is lost, while the
/// receiver drains concurrently.
#[test]
fn per_sender_fifo_under_concurrency() {
    let (_, w) = counting();
    let inbox = Arc::new(Inbox::new(w));
    let senders = 4u8;
    let per = 20_000u32;
    let hs: Vec<_> = (0..senders)
        .map(|s| {
            let inbox = inbox.clone();
            std::thread::spawn(move || {
                for i in 0..per {
                    let mut p = vec![s];
                    p.extend_from_slice(&i.to_le_bytes());
                    inbox.post(Delivery {
                        to: 7,
                        lane: Lane::User,
                        payload: p,
                    });
                }
            })
        })
        .collect();
    let mut next = vec![0u32; senders as usize];
    let mut total = 0usize;
    while total < senders as usize * per as usize {
        for d in inbox.drain() {
            let s = d.payload[0] as usize;
            let i = u32::from_le_bytes(d.payload[1..5].try_into().unwrap());
            assert_eq!(i, next[s], "sender {s} out of order");
            next[s] += 1;
            total += 1;
        }
        std::thread::yield_now();
    }
    for h in hs {
        h.join().unwrap();
    }
    assert!(inbox.is_empty());
}
