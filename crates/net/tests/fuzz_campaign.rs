//! Mutation fuzzing (tools/fuzz/mutate.rs; `npm run fuzz` for the long run) of
//! what a peer's bytes reach: the SL1 frame decoder and the handshake state
//! machine. Beyond "never panics", each checks authentication: from a
//! mutated input, only what the genuine sender sealed may come out.

#[path = "../../../tools/fuzz/mutate.rs"]
mod mutate;

use bfly_net::batch;
use bfly_net::frame::{sealed_len, Kind, Opener, Sealer};
use bfly_net::handshake::{client_on_m1, server_start, Randomness};
use bfly_net::keys::{Cookie, Secret};
use std::time::Instant;

const SECRET: [u8; 32] = [3; 32];

/// A genuine stream: small and fragmented messages, a heartbeat, a key
/// rotation; and the (kind, payload) frames it holds, in order.
fn genuine() -> (Vec<u8>, Vec<(Kind, Vec<u8>)>) {
    let now = Instant::now();
    let mut s = Sealer::new(Secret::from_bytes(SECRET), now);
    let mut out = Vec::new();
    s.seal(Kind::Last, b"hello", &mut out).unwrap();
    s.seal(Kind::More, &[1; 40], &mut out).unwrap();
    s.seal(Kind::Last, &[2; 10], &mut out).unwrap();
    s.seal(Kind::Heartbeat, &[], &mut out).unwrap();
    s.rotate(&mut out, now).unwrap();
    s.seal(Kind::Last, b"after the rotation", &mut out).unwrap();
    let frames = open_all(&out).0;
    assert_eq!(frames.len(), 6, "the genuine stream opens whole");
    (out, frames)
}

/// Opens frames as a link's reader does, up to the first failure; returns
/// what opened and whether every byte was consumed without failure.
fn open_all(mut b: &[u8]) -> (Vec<(Kind, Vec<u8>)>, bool) {
    let mut o = Opener::new(Secret::from_bytes(SECRET), Instant::now());
    let mut got = Vec::new();
    while b.len() >= 4 {
        let header = [b[0], b[1], b[2], b[3]];
        let Ok(n) = sealed_len(header) else {
            return (got, false);
        };
        if b.len() < 4 + n {
            return (got, false);
        }
        let mut body = b[4..4 + n].to_vec();
        match o.open(header, &mut body, Instant::now()) {
            Ok((kind, len)) => got.push((kind, body[1..1 + len].to_vec())),
            Err(_) => return (got, false),
        }
        b = &b[4 + n..];
    }
    (got, b.is_empty())
}

#[test]
fn fuzz_frame_decoder() {
    let (stream, frames) = genuine();
    mutate::run("sl1_frames", vec![stream], 4096, |input| {
        let (got, whole) = open_all(input);
        assert!(
            got.len() <= frames.len() && got[..] == frames[..got.len()],
            "a frame that was never sealed opened"
        );
        whole
    });
}

fn rand(b: u8) -> Randomness {
    Randomness {
        ephemeral: [b; 32],
        challenge: [b ^ 0x5a; 32],
        instance: [b ^ 0xa5; 16],
    }
}

/// The genuine transcript M1..M4 with fixed randomness.
fn transcript(c: &Cookie) -> [Vec<u8>; 4] {
    let (s, m1) = server_start(c, rand(2));
    let (cl, m2) = client_on_m1(c, rand(1), &m1).unwrap();
    let (s, m3) = s.on_m2(&m2).unwrap();
    let (_, m4) = cl.on_m3(&m3, Instant::now()).unwrap();
    s.on_m4(&m4, Instant::now()).unwrap();
    [m1, m2, m3, m4]
}

/// Feeds `m` at step `step` (0: M1 to the client, 1: M2 to the server,
/// 2: M3 to the client, 3: M4 to the server), the earlier steps genuine.
fn step(c: &Cookie, t: &[Vec<u8>; 4], step: u8, m: &[u8]) -> bool {
    let now = Instant::now();
    match step % 4 {
        0 => client_on_m1(c, rand(1), m).is_ok(),
        1 => server_start(c, rand(2)).0.on_m2(m).is_ok(),
        2 => {
            let (cl, _) = client_on_m1(c, rand(1), &t[0]).unwrap();
            cl.on_m3(m, now).is_ok()
        }
        _ => {
            let (s, _) = server_start(c, rand(2));
            let (s, _) = s.on_m2(&t[1]).unwrap();
            s.on_m4(m, now).is_ok()
        }
    }
}

#[test]
fn fuzz_handshake_state_machine() {
    let c = Cookie::new(&[7; 32]).unwrap();
    let t = transcript(&c);
    let seeds = (0..4u8)
        .map(|i| {
            let mut v = vec![i];
            v.extend_from_slice(&t[i as usize]);
            v
        })
        .collect();
    mutate::run("handshake", seeds, 512, |input| {
        let Some((&s, m)) = input.split_first() else {
            return false;
        };
        let ok = step(&c, &t, s, m);
        // M1 is unauthenticated (any well-formed challenge is answered);
        // every later message is accepted only when genuine.
        if s % 4 != 0 {
            assert!(
                !ok || m == &t[(s % 4) as usize][..],
                "a forged handshake message was accepted"
            );
        }
        ok
    });
}

#[test]
fn fuzz_batch_payload() {
    // The layout is checked after decryption: a cookie holder seals anything.
    let mut genuine = vec![0, 3];
    for m in [&b"a"[..], &[7; 300], b"last"] {
        genuine.extend((m.len() as u16).to_be_bytes());
        genuine.extend_from_slice(m);
    }
    mutate::run("sl1_batch", vec![genuine], 20_000, |input| {
        if batch::check(input).is_err() {
            return false;
        }
        // A checked payload walks to exactly its end, each entry a
        // non-empty message within the item limit.
        let (mut pos, mut n) = (2, 0);
        while pos < input.len() {
            let (m, next) = batch::entry(input, pos);
            assert!(!m.is_empty() && m.len() <= batch::MAX_ITEM && m.end <= input.len());
            pos = next;
            n += 1;
        }
        assert_eq!(pos, input.len());
        assert_eq!(n, u16::from_be_bytes([input[0], input[1]]) as usize);
        true
    });
}
