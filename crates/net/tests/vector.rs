//! The worked test vector of docs/PROTOCOL.md: fixed cookie and randomness
//! in, exact bytes out. The expected hex is read from the document itself,
//! so the specification and the implementation cannot drift apart.

use bfly_net::frame::Kind;
use bfly_net::handshake::{client_on_m1, server_start, Randomness};
use bfly_net::keys::Cookie;
use std::time::Instant;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The value of `name:` inside the ```sl1-vector block of PROTOCOL.md.
fn expected(doc: &str, name: &str) -> String {
    let block = doc
        .split("```sl1-vector")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("vector block");
    let mut out = String::new();
    let mut on = false;
    for line in block.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix(&format!("{name}:")) {
            on = true;
            out.push_str(rest.trim());
        } else if on && !line.is_empty() && !line.contains(':') {
            out.push_str(line);
        } else {
            on = false;
        }
    }
    out
}

#[test]
fn protocol_md_test_vector() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/PROTOCOL.md"
    ))
    .unwrap();
    let cookie = Cookie::new(&(0u8..32).collect::<Vec<_>>()).unwrap();
    let server = Randomness {
        ephemeral: [0x11; 32],
        challenge: [0x22; 32],
        instance: [0x33; 16],
    };
    let client = Randomness {
        ephemeral: [0x44; 32],
        challenge: [0x55; 32],
        instance: [0x66; 16],
    };
    let now = Instant::now();
    let (s, m1) = server_start(&cookie, server);
    let (c, m2) = client_on_m1(&cookie, client, &m1).unwrap();
    let (s, m3) = s.on_m2(&m2).unwrap();
    let (mut cs, m4) = c.on_m3(&m3, now).unwrap();
    let mut ss = s.on_m4(&m4, now).unwrap();
    let mut f1 = vec![];
    cs.tx.seal(Kind::Last, b"hello", &mut f1).unwrap();
    let mut f2 = vec![];
    ss.tx.seal(Kind::Last, b"world", &mut f2).unwrap();
    let got = [
        ("m1", m1),
        ("m2", m2),
        ("m3", m3),
        ("m4", m4),
        ("c2s_frame0", f1),
        ("s2c_frame0", f2),
    ];
    let mut report = String::new();
    for (name, bytes) in &got {
        report.push_str(&format!("{name}: {}\n", hex(bytes)));
    }
    for (name, bytes) in &got {
        assert_eq!(
            expected(&doc, name),
            hex(bytes),
            "{name} differs from docs/PROTOCOL.md; actual values:\n{report}"
        );
    }
}
