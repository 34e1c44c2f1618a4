//! SL1's per-frame CPU cost without any I/O, to tell it apart from the
//! socket cost in tools/bench/remote.ts's link numbers:
//!
//! ```text
//! cargo run --release -p bfly-net --example sealbench [-- SIZE...]
//! ```
//!
//! For each payload size (default 100 and 65536 bytes), seals messages the
//! way `Link::send` does (16 KiB fragments into one reused buffer, checking
//! the rotation clock per fragment) and opens them the way `Link::recv`
//! does (a fresh `Vec` per frame, payload appended to the message), and
//! prints ns per message for sealing, opening, and `Instant::now()` alone.

use bfly_net::frame::{sealed_len, KeyLimits, Opener, Sealer};
use bfly_net::keys::Secret;
use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

/// Bytes sealed per size, so each size runs for a similar time.
const BUDGET: usize = 256 << 20;
/// Well below the rotation limit: this measures the steady state.
const MAX_MSGS: usize = 200_000;

fn run(size: usize) -> Result<(), String> {
    let msgs = (BUDGET / size.max(1)).clamp(1, MAX_MSGS);
    let now = Instant::now();
    let limits = KeyLimits {
        frames: u64::MAX,
        ..KeyLimits::default()
    };
    let mut sealer = Sealer::new(Secret::from_bytes([7; 32]), now).with_limits(limits);
    let mut opener = Opener::new(Secret::from_bytes([7; 32]), now).with_limits(limits);
    let msg = vec![0xA5u8; size];
    let mut wire = Vec::new();
    let mut seal_ns = 0u128;
    let mut open_ns = 0u128;
    let mut got = 0usize;
    for _ in 0..msgs {
        wire.clear();
        let t = Instant::now();
        sealer
            .seal_message(&msg, &mut wire, Instant::now())
            .map_err(|e| e.to_string())?;
        black_box(Instant::now());
        seal_ns += t.elapsed().as_nanos();

        let t = Instant::now();
        let mut rest = &wire[..];
        let mut partial = Vec::new();
        while rest.len() >= 4 {
            let header: [u8; 4] = [rest[0], rest[1], rest[2], rest[3]];
            let n = sealed_len(header).map_err(|e| e.to_string())?;
            let mut body = rest.get(4..4 + n).ok_or("truncated frame")?.to_vec();
            let (_, len) = opener
                .open(header, &mut body, Instant::now())
                .map_err(|e| e.to_string())?;
            partial.extend_from_slice(&body[1..1 + len]);
            rest = &rest[4 + n..];
        }
        got += black_box(partial).len();
        open_ns += t.elapsed().as_nanos();
    }
    if got != msgs * size {
        return Err(format!("opened {got} bytes, expected {}", msgs * size));
    }
    let clock_runs = 1_000_000u32;
    let t = Instant::now();
    for _ in 0..clock_runs {
        black_box(Instant::now());
    }
    let clock_ns = t.elapsed().as_nanos() as f64 / f64::from(clock_runs);
    let per = |ns: u128| ns as f64 / msgs as f64;
    let mb = |ns: u128| (msgs * size) as f64 / (ns as f64 / 1e9) / 1e6;
    println!(
        "{{\"size\":{size},\"msgs\":{msgs},\"seal_ns_per_msg\":{:.0},\"open_ns_per_msg\":{:.0},\
         \"seal_mb_per_s\":{:.0},\"open_mb_per_s\":{:.0},\"instant_now_ns\":{clock_ns:.1}}}",
        per(seal_ns),
        per(open_ns),
        mb(seal_ns),
        mb(open_ns),
    );
    Ok(())
}

fn main() -> ExitCode {
    let mut sizes = Vec::new();
    for a in std::env::args().skip(1) {
        match a.parse::<usize>() {
            Ok(n) => sizes.push(n),
            Err(e) => {
                eprintln!("sealbench: size {a:?}: {e}\nusage: sealbench [SIZE...]");
                return ExitCode::from(2);
            }
        }
    }
    if sizes.is_empty() {
        sizes = vec![100, 64 * 1024];
    }
    for s in sizes {
        if let Err(e) = run(s) {
            eprintln!("sealbench: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
