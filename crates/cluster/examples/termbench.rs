//! What the arrival check of a user value costs (envelope::term::check),
//! beside the decoding of the frame that carries it, on the messages of
//! the `remote` bench: 100 B and 64 KiB binaries (the stream), a small
//! structured message (a pid, a map, strings, numbers) and a call.
//! Prints one JSON line per message: median ns per check and per decode
//! over several runs, with min and max. DIV divides the iterations and
//! NAME keeps one message (to count instructions under valgrind, which do
//! not depend on the machine's load).
//!   cargo run --release -p bfly-cluster --example termbench [-- RUNS [DIV [NAME]]]
use bfly_cluster::envelope::{term, Frame};
use std::hint::black_box;
use std::time::Instant;

fn bin(n: usize) -> Vec<u8> {
    let mut v = match n {
        0..=255 => vec![0xc4, n as u8],
        256..=65535 => vec![0xc5, (n >> 8) as u8, n as u8],
        _ => [&[0xc6][..], &(n as u32).to_be_bytes()].concat(),
    };
    v.extend(std::iter::repeat_n(0xa5, n));
    v
}

/// `{ seq: 1234, from: Pid('client@127.0.0.1', 77), body: ['text', 1.5, [1, 2, 3]], tag: 'stream' }`
fn structured() -> Vec<u8> {
    let mut v = vec![0x84, 0xa3, b's', b'e', b'q', 0xcd, 0x04, 0xd2];
    v.extend_from_slice(&[0xa4, b'f', b'r', b'o', b'm', 0xc7, 0x13, 0x01, 0x92, 0xb0]);
    v.extend_from_slice(b"client@127.0.0.1");
    v.push(77);
    v.extend_from_slice(&[0xa4, b'b', b'o', b'd', b'y', 0x93, 0xa4]);
    v.extend_from_slice(b"text");
    v.extend_from_slice(&[0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x93, 1, 2, 3]);
    v.extend_from_slice(&[0xa3, b't', b'a', b'g', 0xa6]);
    v.extend_from_slice(b"stream");
    v
}

/// `['$call', [pid, ref], bin(100)]`, a call as it travels.
fn call() -> Vec<u8> {
    let mut v = vec![0x93, 0xa5];
    v.extend_from_slice(b"$call");
    v.extend_from_slice(&[0x92, 0xc7, 0x06, 0x01, 0x92, 0xa3, b'a', b'@', b'h', 0x07]);
    v.extend_from_slice(&[0xc7, 0x06, 0x02, 0x92, 0xa3, b'a', b'@', b'h', 0x08]);
    v.extend(bin(100));
    v
}

fn median(mut xs: Vec<f64>) -> (f64, f64, f64) {
    xs.sort_by(f64::total_cmp);
    (xs[xs.len() / 2], xs[0], xs[xs.len() - 1])
}

fn time(iters: u32, mut f: impl FnMut()) -> f64 {
    let t = Instant::now();
    for _ in 0..iters {
        f();
    }
    t.elapsed().as_nanos() as f64 / f64::from(iters)
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let div: u32 = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .max(1);
    let cases = [
        ("bin_100B", bin(100), 2_000_000 / div),
        ("structured_80B", structured(), 2_000_000 / div),
        ("call_130B", call(), 2_000_000 / div),
        ("bin_64KiB", bin(64 << 10), 200_000 / div),
    ];
    let only = std::env::args().nth(3);
    for (name, msg, iters) in cases {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        assert!(term::check(&msg).is_ok(), "{name} is well-formed");
        let frame = Frame::Send { to: 7, msg: &msg }.encode();
        let (mut checks, mut decodes) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            checks.push(time(iters, || {
                black_box(term::check(black_box(&msg))).ok();
            }));
            decodes.push(time(iters, || {
                black_box(Frame::decode(black_box(&frame))).ok();
            }));
        }
        let (c, cmin, cmax) = median(checks);
        let (d, dmin, dmax) = median(decodes);
        println!(
            "{{\"msg\":\"{name}\",\"bytes\":{},\"check_ns\":{c:.1},\"check_min\":{cmin:.1},\"check_max\":{cmax:.1},\"decode_ns\":{d:.1},\"decode_min\":{dmin:.1},\"decode_max\":{dmax:.1}}}",
            msg.len()
        );
    }
}
