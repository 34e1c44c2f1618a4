use super::*;
use crate::frame::{sealed_len, Kind};

fn rand(seed: u8) -> Randomness {
    Randomness {
        ephemeral: [seed; 32],
        challenge: [seed.wrapping_add(1); 32],
        instance: [seed.wrapping_add(2); 16],
    }
}

fn cookie(b: u8) -> Cookie {
    Cookie::new(&[b; 32]).unwrap()
}

/// Runs a full handshake; returns (client session, server session, messages).
fn run(
    ck_c: &Cookie,
    ck_s: &Cookie,
    rc: Randomness,
    rs: Randomness,
) -> Result<(Session, Session, [Vec<u8>; 4]), Fail> {
    let now = Instant::now();
    let (s, m1) = server_start(ck_s, rs);
    let (c, m2) = client_on_m1(ck_c, rc, &m1)?;
    let (s, m3) = s.on_m2(&m2)?;
    let (cs, m4) = c.on_m3(&m3, now)?;
    let ss = s.on_m4(&m4, now)?;
    Ok((cs, ss, [m1, m2, m3, m4]))
}

fn roundtrip(tx: &mut Sealer, rx: &mut Opener, msg: &[u8]) -> Result<Vec<u8>, Fail> {
    let mut wire = vec![];
    tx.seal(Kind::Last, msg, &mut wire)?;
    let header: [u8; 4] = wire[..4].try_into().unwrap();
    assert_eq!(sealed_len(header)?, wire.len() - 4);
    let mut body = wire[4..].to_vec();
    let (_, n) = rx.open(header, &mut body, Instant::now())?;
    Ok(body[1..1 + n].to_vec())
}

#[test]
fn handshake_then_data_both_ways() {
    let (mut c, mut s, _) = run(&cookie(1), &cookie(1), rand(10), rand(20)).unwrap();
    assert_eq!(roundtrip(&mut c.tx, &mut s.rx, b"ping").unwrap(), b"ping");
    assert_eq!(roundtrip(&mut s.tx, &mut c.rx, b"pong").unwrap(), b"pong");
    assert_eq!(c.peer, [22; 16]);
    assert_eq!(s.peer, [12; 16]);
}

#[test]
fn wrong_cookie_fails_on_either_side() {
    assert!(run(&cookie(1), &cookie(2), rand(10), rand(20)).is_err());
}

#[test]
fn keys_differ_per_session_and_per_direction() {
    let (mut c1, mut s1, _) = run(&cookie(1), &cookie(1), rand(10), rand(20)).unwrap();
    let (_, mut s2, _) = run(&cookie(1), &cookie(1), rand(11), rand(21)).unwrap();
    // A frame from session 1 does not open in session 2, nor in the other direction.
    let mut wire = vec![];
    c1.tx.seal(Kind::Last, b"x", &mut wire).unwrap();
    let header: [u8; 4] = wire[..4].try_into().unwrap();
    assert!(s2
        .rx
        .open(header, &mut wire[4..].to_vec(), Instant::now())
        .is_err());
    assert!(c1
        .rx
        .open(header, &mut wire[4..].to_vec(), Instant::now())
        .is_err());
    assert!(s1
        .rx
        .open(header, &mut wire[4..].to_vec(), Instant::now())
        .is_ok());
}

#[test]
fn every_flipped_bit_in_a_handshake_message_fails() {
    let (_, _, msgs) = run(&cookie(1), &cookie(1), rand(10), rand(20)).unwrap();
    for which in 0..4 {
        for byte in 0..msgs[which].len() {
            let mut m = msgs.clone();
            m[which][byte] ^= 0x01;
            let now = Instant::now();
            let (s, _) = server_start(&cookie(1), rand(20));
            let r = (|| {
                let (c, m2) = client_on_m1(&cookie(1), rand(10), &m[0])?;
                let m2 = if which == 1 { m[1].clone() } else { m2 };
                let (s, m3) = s.on_m2(&m2)?;
                let m3 = if which == 2 { m[2].clone() } else { m3 };
                let (_, m4) = c.on_m3(&m3, now)?;
                let m4 = if which == 3 { m[3].clone() } else { m4 };
                s.on_m4(&m4, now).map(|_| ())
            })();
            // Flipping a bit of M1's server challenge or instance id changes
            // only what the client echoes into its own proof; the server's
            // transcript still differs, so the proof must fail.
            assert!(r.is_err(), "message {} byte {byte} accepted", which + 1);
        }
    }
}

#[test]
fn replayed_message_2_from_another_session_fails() {
    let (_, _, old) = run(&cookie(1), &cookie(1), rand(10), rand(20)).unwrap();
    let (s, _) = server_start(&cookie(1), rand(30));
    assert!(s.on_m2(&old[1]).is_err());
}

#[test]
fn reflection_and_self_connect_fail() {
    // A server that gets its own message 1 back as a "client" answer.
    let (s, m1) = server_start(&cookie(1), rand(20));
    let (_, m2) = client_on_m1(&cookie(1), rand(40), &m1).unwrap();
    let mut reflected = m2.clone();
    reflected[..32].copy_from_slice(&m1[6..38]);
    assert!(s.on_m2(&reflected).is_err());
    // The same node (same instance id) on both ends.
    let me = rand(50);
    let (_, m1) = server_start(&cookie(1), me.clone());
    let mut client = rand(60);
    client.instance = me.instance;
    assert!(client_on_m1(&cookie(1), client, &m1).is_err());
}

#[test]
fn downgrade_by_rewriting_offered_versions_fails() {
    let (s, mut m1) = server_start(&cookie(1), rand(20));
    // An attacker offers a different version list; the client proves over
    // what it saw, the server over what it sent.
    m1[5] = 9;
    assert!(client_on_m1(&cookie(1), rand(10), &m1).is_err());
    let (s2, m1b) = server_start(&cookie(1), rand(21));
    let mut m1c = m1b.clone();
    m1c[4] = 2;
    m1c.insert(5, 1);
    let (_, m2) = client_on_m1(&cookie(1), rand(10), &m1c).unwrap();
    assert!(s2.on_m2(&m2).is_err());
    drop(s);
}

#[test]
fn low_order_x25519_points_are_refused() {
    let (_, m1) = server_start(&cookie(1), rand(20));
    for point in [[0u8; 32], {
        let mut p = [0u8; 32];
        p[0] = 1;
        p
    }] {
        let mut bad = m1.clone();
        bad[6..38].copy_from_slice(&point);
        assert!(client_on_m1(&cookie(1), rand(10), &bad).is_err());
    }
}

#[test]
fn secrets_never_appear_in_debug_output() {
    let c = cookie(0x5A);
    let text = format!("{c:?} {:?}", Fail("x"));
    assert!(!text.contains("5a") && !text.contains("90"));
}
