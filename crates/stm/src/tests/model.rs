//! Model-based property test: interleaved transactions, each a list of
//! reads and writes (a write stores the sum of what the transaction read so
//! far plus a constant) ending in a commit. Checks opacity against the
//! serial model: committed transactions replayed in commit order give the
//! same reads and the same final state, and every transaction, committed
//! or not, read values from one state that existed (after some prefix of
//! the commits).

use super::super::*;
use proptest::prelude::*;

const VARS: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    Read(usize),
    Write(usize, u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..VARS).prop_map(Op::Read),
        (0..VARS, 0..10u64).prop_map(|(v, c)| Op::Write(v, c)),
    ]
}

/// The reads `ops` makes when run alone on `state`, and the state after.
fn replay(ops: &[Op], state: &[u64; VARS]) -> (Vec<u64>, [u64; VARS]) {
    let mut s = *state;
    let mut reads = Vec::new();
    for o in ops {
        match *o {
            Op::Read(v) => reads.push(s[v]),
            Op::Write(v, c) => s[v] = reads.iter().sum::<u64>() + c,
        }
    }
    (reads, s)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn interleaved_transactions_are_opaque_and_serializable(
        txs in prop::collection::vec(prop::collection::vec(op(), 1..6), 2..4),
        schedule in prop::collection::vec(0..4usize, 0..40),
    ) {
        let stm = Stm::new();
        let ids: Vec<u64> = (0..VARS).map(|_| stm.create(&0u64.to_le_bytes()).id()).collect();
        let mut t: Vec<Transaction> = txs.iter().map(|_| Transaction::new(&stm)).collect();
        let mut pos = vec![0usize; txs.len()];
        let mut reads: Vec<Vec<u64>> = vec![Vec::new(); txs.len()];
        let mut done = vec![false; txs.len()];
        let mut commits: Vec<usize> = Vec::new();
        // The schedule, then round-robin until every transaction has ended.
        let order = schedule.iter().map(|&i| i % txs.len()).chain((0..).map(|i| i % txs.len()));
        for i in order {
            if done.iter().all(|&d| d) { break; }
            if done[i] { continue; }
            if pos[i] == txs[i].len() {
                done[i] = true;
                if t[i].commit().is_ok() { commits.push(i); }
                continue;
            }
            match txs[i][pos[i]] {
                Op::Read(v) => match t[i].read(ids[v]) {
                    Ok(b) => reads[i].push(u64::from_le_bytes(b[..].try_into().unwrap())),
                    Err(_) => { done[i] = true; t[i].abort(); }
                },
                Op::Write(v, c) => {
                    let sum: u64 = reads[i].iter().sum();
                    t[i].write(ids[v], &(sum + c).to_le_bytes()).unwrap();
                }
            }
            pos[i] += 1;
        }
        // Serial replay of the updating transactions in commit order (a
        // read-only one takes effect at its snapshot: the opacity check
        // below covers it).
        let mut states = vec![[0u64; VARS]];
        for &i in commits.iter().filter(|&&i| txs[i].iter().any(|o| matches!(o, Op::Write(..)))) {
            let (r, s) = replay(&txs[i], states.last().unwrap());
            prop_assert_eq!(&r, &reads[i], "committed tx {} read what a serial run reads", i);
            states.push(s);
        }
        let last = states.last().unwrap();
        for v in 0..VARS {
            let now = u64::from_le_bytes(stm.get(ids[v]).unwrap().current()[..].try_into().unwrap());
            prop_assert_eq!(now, last[v]);
        }
        // Opacity: whatever a transaction read came from one real state.
        for (i, ops) in txs.iter().enumerate() {
            let n = reads[i].len();
            let upto: Vec<Op> = {
                let mut k = 0;
                ops.iter().take_while(|o| { let keep = k < n || !matches!(o, Op::Read(_)); if matches!(o, Op::Read(_)) { k += 1; } keep }).cloned().collect()
            };
            let ok = states.iter().any(|s| replay(&upto, s).0[..n] == reads[i][..]);
            prop_assert!(ok, "tx {} read {:?}, which no single state gives", i, reads[i]);
        }
    }
}
