//! A small coverage-free mutation fuzzer shared by the fuzz targets (each
//! crate's tests/fuzz_*.rs includes this file): seeds from
//! tools/fuzz/corpus/<target>/, byte-level mutations (flips, interesting values,
//! inserts, deletes, duplicated and spliced ranges), every input run under
//! catch_unwind. A panicking input is written to tools/fuzz/crashes/<target>/ and
//! fails the run; inputs the target calls "valid" join the in-memory pool,
//! the only feedback (no coverage instrumentation: no nightly toolchain is
//! needed). Budget: BFLY_FUZZ_SECS seconds, else BFLY_FUZZ_CASES
//! executions (default 2,000: the quick run in `npm test`); BFLY_FUZZ_SEED
//! picks the random stream (printed, so a run can be repeated);
//! BFLY_FUZZ_SAVE_SEEDS=1 writes the seeds built in code to the corpus.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The repository's tools/fuzz/ folder.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/fuzz")
}

/// xorshift64*: deterministic from the seed, no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const INTERESTING: [u8; 10] = [0, 1, 0x7f, 0x80, 0xff, 0xc0, 0xc1, 0xd9, 0xdc, 0xdf];

/// One to four random edits of `input`, sometimes spliced with `other`.
pub fn mutate(rng: &mut Rng, input: &[u8], other: &[u8], max_len: usize) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..=rng.below(4) {
        let n = v.len();
        match rng.below(8) {
            0 if n > 0 => {
                let i = rng.below(n);
                v[i] ^= 1 << rng.below(8);
            }
            1 if n > 0 => {
                let i = rng.below(n);
                v[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            2 => {
                let i = rng.below(n + 1);
                v.insert(i, rng.next() as u8);
            }
            3 if n > 0 => {
                let i = rng.below(n);
                let k = 1 + rng.below((n - i).min(16));
                v.drain(i..i + k);
            }
            4 if n > 0 => {
                let i = rng.below(n);
                let k = 1 + rng.below((n - i).min(32));
                let chunk = v[i..i + k].to_vec();
                let at = rng.below(v.len() + 1);
                v.splice(at..at, chunk);
            }
            5 if !other.is_empty() => {
                let cut = rng.below(n + 1);
                let from = rng.below(other.len());
                v.truncate(cut);
                v.extend_from_slice(&other[from..]);
            }
            6 if n > 0 => {
                v.truncate(rng.below(n));
            }
            _ if n > 0 => {
                // A little-endian or big-endian length field pushed to an edge.
                let i = rng.below(n);
                let edge = [0u8, 0xff][rng.below(2)];
                for b in v.iter_mut().skip(i).take(1 + rng.below(4)) {
                    *b = edge;
                }
            }
            _ => v.push(rng.next() as u8),
        }
    }
    v.truncate(max_len);
    v
}

/// Runs `target` on the seeds of tools/fuzz/corpus/`name`/ plus `extra`, then on
/// mutations for the budget. `target` returns whether the input was
/// accepted (it must assert its own properties). Returns executions run.
pub fn run(name: &str, extra: Vec<Vec<u8>>, max_len: usize, target: impl Fn(&[u8]) -> bool) -> u64 {
    let dir = root().join("corpus").join(name);
    let mut pool: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| std::fs::read(e.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    if std::env::var_os("BFLY_FUZZ_SAVE_SEEDS").is_some() {
        // Refreshes the committed corpus from the seeds built in code.
        let _ = std::fs::create_dir_all(&dir);
        for (i, e) in extra.iter().enumerate() {
            let _ = std::fs::write(dir.join(format!("seed-{i}")), e);
        }
    }
    pool.extend(extra);
    assert!(!pool.is_empty(), "no seeds for {name} in {}", dir.display());
    let secs = std::env::var("BFLY_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok());
    let cases = std::env::var("BFLY_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(2_000);
    let seed = std::env::var("BFLY_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(7, |d| d.as_nanos() as u64)
                ^ std::process::id() as u64
        })
        | 1;
    let mut rng = Rng(seed);
    let start = Instant::now();
    let end = secs.map(|s| start + Duration::from_secs(s));
    let mut execs = 0u64;
    let mut crashes = 0u64;
    let seeds = pool.len();
    // Panics are expected to be caught here; keep their noise short.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut i = 0usize;
    loop {
        let done = match end {
            Some(e) => Instant::now() >= e,
            None => execs >= cases,
        };
        if done {
            break;
        }
        let input = if i < seeds {
            pool[i].clone()
        } else {
            let a = &pool[rng.below(pool.len())];
            let b = &pool[rng.below(pool.len())];
            mutate(&mut rng, a, b, max_len)
        };
        i += 1;
        execs += 1;
        match catch_unwind(AssertUnwindSafe(|| target(&input))) {
            Ok(true) if pool.len() < 4096 && i > seeds => pool.push(input),
            Ok(_) => {}
            Err(_) => {
                crashes += 1;
                let out = root().join("crashes").join(name);
                let _ = std::fs::create_dir_all(&out);
                let _ = std::fs::write(out.join(format!("crash-{seed}-{execs}")), &input);
            }
        }
    }
    std::panic::set_hook(hook);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "fuzz {name}: {execs} executions in {secs:.1} s ({:.0}/s), seed {seed}, {} seeds, pool {}, {crashes} crashes",
        execs as f64 / secs.max(1e-9),
        seeds,
        pool.len()
    );
    assert_eq!(
        crashes, 0,
        "{name}: {crashes} crashing inputs saved under tools/fuzz/crashes/{name}/"
    );
    execs
}
