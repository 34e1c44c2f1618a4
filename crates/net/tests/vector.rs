//! The worked test vectors of docs/PROTOCOL.md: fixed cookie and randomness
//! in, exact bytes out. The expected hex is read from the document itself,
//! so the specification and the implementation cannot drift apart. The key
//! step and identity vectors are also derived a second time here from the
//! primitives, following the document's words (which bytes are hashed,
//! where the counter sits in the nonce), independently of the crate.

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use bfly_net::frame::Kind;
use bfly_net::handshake::{client_on_m1, server_start, Randomness, Session};
use bfly_net::identity::{verify, Identity, Role};
use bfly_net::keys::Cookie;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::time::Instant;
use x25519_dalek::{PublicKey, StaticSecret};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The value of `name:` inside the ```sl1-vector block of PROTOCOL.md.
fn expected(doc: &str, name: &str) -> String {
    expected_in(doc, "sl1-vector", name)
}

/// The value of `name:` inside the ```BLOCK block of PROTOCOL.md.
fn expected_in(doc: &str, block: &str, name: &str) -> String {
    let block = doc
        .split(&format!("```{block}\n"))
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

fn doc() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/PROTOCOL.md"
    ))
    .unwrap()
}

fn cookie() -> Cookie {
    Cookie::new(&(0u8..32).collect::<Vec<_>>()).unwrap()
}

/// The handshake of section 2.7: its four messages and both sessions
/// (client's, server's).
fn handshake() -> ([Vec<u8>; 4], Session, Session) {
    let cookie = cookie();
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
    let (cs, m4) = c.on_m3(&m3, now).unwrap();
    let ss = s.on_m4(&m4, now).unwrap();
    ([m1, m2, m3, m4], cs, ss)
}

/// Compares each (name, bytes) with the document's block, reporting all
/// actual values on a mismatch (to paste into the document).
fn check_block(doc: &str, block: &str, got: &[(&str, Vec<u8>)]) {
    let mut report = String::new();
    for (name, bytes) in got {
        report.push_str(&format!("{name}: {}\n", hex(bytes)));
    }
    assert!(
        doc.contains(&format!("```{block}\n")),
        "docs/PROTOCOL.md has no {block} block; actual values:\n{report}"
    );
    for (name, bytes) in got {
        assert_eq!(
            expected_in(doc, block, name),
            hex(bytes),
            "{name} differs from the {block} block of docs/PROTOCOL.md; actual values:\n{report}"
        );
    }
}

fn expand(prk: &[u8], info: &[&[u8]], n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    Hkdf::<Sha256>::from_prk(prk)
        .unwrap()
        .expand_multi_info(info, &mut out)
        .unwrap();
    out
}

/// PROTOCOL.md 2.4 and 2.5 from the primitives: the traffic secret c2s[0]
/// of the 2.7 handshake, and the frame sealed under `secret` with
/// `counter`: nonce = iv XOR (4 zero bytes || counter as u64 big-endian),
/// aad = the 4 length bytes.
fn prk_of(msgs: &[Vec<u8>; 4]) -> Vec<u8> {
    let xs: [u8; 32] = msgs[0][6..38].try_into().unwrap();
    let dh = StaticSecret::from([0x44; 32]).diffie_hellman(&PublicKey::from(xs));
    let (prk, _) = Hkdf::<Sha256>::extract(Some(cookie().bytes()), dh.as_bytes());
    prk.to_vec()
}

fn seal_by_hand(secret: &[u8], counter: u64, kind: u8, payload: &[u8]) -> Vec<u8> {
    let key = expand(secret, &[b"SL1 key"], 16);
    let iv = expand(secret, &[b"SL1 iv"], 12);
    let mut nonce = [0u8; 12];
    nonce[4..].copy_from_slice(&counter.to_be_bytes());
    for (n, i) in nonce.iter_mut().zip(&iv) {
        *n ^= i;
    }
    let len = ((1 + payload.len() + 16) as u32).to_be_bytes();
    let mut body = vec![kind];
    body.extend_from_slice(payload);
    let tag = Aes128Gcm::new_from_slice(&key)
        .unwrap()
        .encrypt_inout_detached(&Nonce::from(nonce), &len, body.as_mut_slice().into())
        .unwrap();
    [&len[..], &body, &tag].concat()
}

#[test]
fn protocol_md_key_step_vector() {
    let doc = doc();
    let (msgs, mut cs, _) = handshake();
    let now = Instant::now();
    let mut frames = vec![vec![]; 5];
    cs.tx.seal(Kind::Last, b"hello", &mut frames[0]).unwrap();
    cs.tx.seal(Kind::Last, b"one", &mut frames[1]).unwrap();
    cs.tx.seal(Kind::Last, b"two", &mut frames[2]).unwrap();
    cs.tx.rotate(&mut frames[3], now).unwrap();
    cs.tx.seal(Kind::Last, b"next", &mut frames[4]).unwrap();
    // The same, from the document's words: t hashes the message bodies
    // (no 2-byte length prefixes); a key update is frame 3 of epoch 0.
    let t = Sha256::digest(msgs.concat()).to_vec();
    let prk = prk_of(&msgs);
    let s0 = expand(&prk, &[b"SL1 data c2s", &t], 32);
    let s1 = expand(&s0, &[b"SL1 next"], 32);
    let iv0 = expand(&s0, &[b"SL1 iv"], 12);
    let mut nonce2 = iv0.clone();
    nonce2[11] ^= 2;
    assert_eq!(frames[0], seal_by_hand(&s0, 0, 0, b"hello"));
    assert_eq!(frames[2], seal_by_hand(&s0, 2, 0, b"two"));
    assert_eq!(frames[3], seal_by_hand(&s0, 3, 3, b""));
    assert_eq!(frames[4], seal_by_hand(&s1, 0, 0, b"next"));
    check_block(
        &doc,
        "sl1-keystep-vector",
        &[
            ("t", t),
            ("c2s_secret0", s0.clone()),
            ("c2s_key0", expand(&s0, &[b"SL1 key"], 16)),
            ("c2s_iv0", iv0),
            ("c2s_nonce2", nonce2),
            ("c2s_frame2", frames[2].clone()),
            ("c2s_update", frames[3].clone()),
            ("c2s_secret1", s1.clone()),
            ("c2s_key1", expand(&s1, &[b"SL1 key"], 16)),
            ("c2s_iv1", expand(&s1, &[b"SL1 iv"], 12)),
            ("c2s_e1_frame0", frames[4].clone()),
        ],
    );
}

#[test]
fn protocol_md_identity_vector() {
    let doc = doc();
    let (msgs, cs, ss) = handshake();
    let (client, server) = (
        Identity::from_secret([0x77; 32]),
        Identity::from_secret([0x88; 32]),
    );
    let cp = client.prove(&cs.binder, Role::Client).unwrap();
    let sp = server.prove(&ss.binder, Role::Server).unwrap();
    assert!(verify(&ss.binder, Role::Client, &client.public(), &cp));
    assert!(verify(&cs.binder, Role::Server, &server.public(), &sp));
    assert!(!verify(&ss.binder, Role::Server, &client.public(), &cp));
    // From the primitives: binding = Expand(prk, "SL1 binding" || t, 32);
    // proof = HMAC(binding, label || K || X25519(k, other side's ephemeral key)).
    let t = Sha256::digest(msgs.concat()).to_vec();
    let binding = expand(&prk_of(&msgs), &[b"SL1 binding", &t], 32);
    assert_eq!(binding, cs.binder.binding().to_vec());
    let by_hand = |k: u8, label: &[u8], eph: &[u8]| {
        let s = StaticSecret::from([k; 32]);
        let eph: [u8; 32] = eph.try_into().unwrap();
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&binding).unwrap();
        m.update(label);
        m.update(PublicKey::from(&s).as_bytes());
        m.update(s.diffie_hellman(&PublicKey::from(eph)).as_bytes());
        m.finalize().into_bytes().to_vec()
    };
    // Xs is in M1 after the magic and one offered version; Xc opens M2.
    assert_eq!(
        cp.to_vec(),
        by_hand(0x77, b"SL1 id client", &msgs[0][6..38])
    );
    assert_eq!(sp.to_vec(), by_hand(0x88, b"SL1 id server", &msgs[1][..32]));
    check_block(
        &doc,
        "sl1-identity-vector",
        &[
            ("binding", binding),
            ("client_key", client.public().to_vec()),
            ("client_proof", cp.to_vec()),
            ("server_key", server.public().to_vec()),
            ("server_proof", sp.to_vec()),
        ],
    );
}

#[test]
fn protocol_md_test_vector() {
    let doc = doc();
    let ([m1, m2, m3, m4], mut cs, mut ss) = handshake();
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
