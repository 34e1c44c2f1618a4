//! The SL1 handshake, without I/O: four messages, each carried as
//! `[len: u16 BE][body]` (at most `MAX_HANDSHAKE` bytes).
//!
//! 1. server -> client, clear: magic, offered versions, the server's
//!    ephemeral X25519 key, its challenge and its instance id.
//! 2. client -> server: the client's ephemeral key, then sealed under the
//!    handshake key: the chosen version, the client's challenge and
//!    instance id, and the client's proof (HMAC-SHA256 over the transcript).
//! 3. server -> client, sealed: the server's proof over messages 1 and 2.
//! 4. client -> server, sealed: key confirmation.
//!
//! The cookie salts HKDF over the X25519 secret, so only cookie holders can
//! derive the handshake or proof keys; proofs cover the offered versions
//! (no downgrade) and both challenges; roles have distinct labels (no
//! reflection) and instance ids refuse a node talking to itself.

use crate::frame::{Opener, Sealer};
use crate::identity::Binder;
use crate::keys::{Cookie, Prk, Secret};
use crate::Fail;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Nonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::time::Instant;
use x25519_dalek::{PublicKey, StaticSecret};

/// The four bytes every SL1 connection starts with.
pub const MAGIC: &[u8; 4] = b"SL1\0";
/// Versions this implementation speaks, oldest first.
pub const VERSIONS: &[u8] = &[1];
/// Largest handshake message body.
pub const MAX_HANDSHAKE: usize = 256;

/// The random inputs of one side of a handshake (fixed in test vectors).
#[derive(Clone)]
pub struct Randomness {
    pub ephemeral: [u8; 32],
    pub challenge: [u8; 32],
    pub instance: [u8; 16],
}

impl Randomness {
    /// Fresh randomness from the OS; `instance` identifies this node process.
    pub fn fresh(instance: [u8; 16]) -> Self {
        let mut r = Randomness {
            ephemeral: [0; 32],
            challenge: [0; 32],
            instance,
        };
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut r.ephemeral);
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut r.challenge);
        r
    }
}

impl Drop for Randomness {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.ephemeral);
    }
}

/// An established link's keys.
pub struct Session {
    pub tx: Sealer,
    pub rx: Opener,
    /// The peer's instance id.
    pub peer: [u8; 16],
    pub version: u8,
    /// What identity proofs over this link need (identity.rs).
    pub binder: Binder,
}

struct HsKeys {
    prk: Prk,
    c2s: Aes128Gcm,
    c2s_iv: [u8; 12],
    s2c: Aes128Gcm,
    s2c_iv: [u8; 12],
    auth_c: Secret,
    auth_s: Secret,
}

fn hash(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

fn keys(
    cookie: &Cookie,
    own: &StaticSecret,
    peer: &[u8; 32],
    h1: &[u8; 32],
) -> Result<HsKeys, Fail> {
    let dh = own.diffie_hellman(&PublicKey::from(*peer));
    let prk = Prk::new(cookie, dh.as_bytes())?;
    let mut c2s = [0u8; 28];
    let mut s2c = [0u8; 28];
    prk.expand(b"SL1 hs c2s", h1, &mut c2s);
    prk.expand(b"SL1 hs s2c", h1, &mut s2c);
    let cipher = |k: &[u8]| Aes128Gcm::new_from_slice(k).map_err(|_| Fail("key setup"));
    let iv = |k: &[u8; 28]| -> [u8; 12] { k[16..].try_into().unwrap_or([0; 12]) };
    let out = HsKeys {
        c2s: cipher(&c2s[..16])?,
        c2s_iv: iv(&c2s),
        s2c: cipher(&s2c[..16])?,
        s2c_iv: iv(&s2c),
        auth_c: prk.secret(b"SL1 auth c", h1),
        auth_s: prk.secret(b"SL1 auth s", h1),
        prk,
    };
    zeroize::Zeroize::zeroize(&mut c2s);
    zeroize::Zeroize::zeroize(&mut s2c);
    Ok(out)
}

fn nonce(iv: &[u8; 12], ctr: u8) -> [u8; 12] {
    let mut n = *iv;
    n[11] ^= ctr;
    n
}

fn seal(c: &Aes128Gcm, iv: &[u8; 12], ctr: u8, aad: &[u8], pt: &[u8]) -> Result<Vec<u8>, Fail> {
    c.encrypt(&Nonce::from(nonce(iv, ctr)), Payload { msg: pt, aad })
        .map_err(|_| Fail("encryption failed"))
}

fn open(c: &Aes128Gcm, iv: &[u8; 12], ctr: u8, aad: &[u8], ct: &[u8]) -> Result<Vec<u8>, Fail> {
    c.decrypt(&Nonce::from(nonce(iv, ctr)), Payload { msg: ct, aad })
        .map_err(|_| Fail("handshake message failed authentication (wrong cookie?)"))
}

fn mac(key: &Secret, label: &[u8], transcript: &[u8; 32]) -> Result<Hmac<Sha256>, Fail> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&key.0).map_err(|_| Fail("mac setup"))?;
    m.update(label);
    m.update(transcript);
    Ok(m)
}

fn traffic(prk: &Prk, transcript: &[u8; 32]) -> (Secret, Secret) {
    (
        prk.secret(b"SL1 data c2s", transcript),
        prk.secret(b"SL1 data s2c", transcript),
    )
}

/// The link's binder: `own` ephemeral secret, the `peer`'s ephemeral key,
/// and the binding secret `Expand(prk, "SL1 binding" || t, 32)`.
fn binder(prk: &Prk, transcript: &[u8; 32], own: StaticSecret, peer: [u8; 32]) -> Binder {
    Binder {
        own,
        peer,
        binding: prk.secret(b"SL1 binding", transcript),
    }
}

/// The server after sending message 1.
pub struct ServerHello {
    cookie: Cookie,
    eph: StaticSecret,
    m1: Vec<u8>,
    rand: Randomness,
}

/// The server after sending message 3, waiting for the confirmation.
pub struct ServerProved {
    keys: HsKeys,
    transcript: Vec<u8>,
    peer: [u8; 16],
    version: u8,
    eph: StaticSecret,
    xc: [u8; 32],
}

/// Starts the server side: returns its state and message 1.
pub fn server_start(cookie: &Cookie, rand: Randomness) -> (ServerHello, Vec<u8>) {
    let eph = StaticSecret::from(rand.ephemeral);
    let mut m1 = MAGIC.to_vec();
    m1.push(VERSIONS.len() as u8);
    m1.extend_from_slice(VERSIONS);
    m1.extend_from_slice(PublicKey::from(&eph).as_bytes());
    m1.extend_from_slice(&rand.challenge);
    m1.extend_from_slice(&rand.instance);
    let s = ServerHello {
        cookie: cookie.clone(),
        eph,
        m1: m1.clone(),
        rand,
    };
    (s, m1)
}

impl ServerHello {
    /// Checks message 2 (the client's proof) and returns message 3.
    pub fn on_m2(self, m2: &[u8]) -> Result<(ServerProved, Vec<u8>), Fail> {
        let xc: [u8; 32] = m2
            .get(..32)
            .and_then(|x| x.try_into().ok())
            .ok_or(Fail("short message 2"))?;
        let h1 = hash(&[&self.m1, &xc]);
        let k = keys(&self.cookie, &self.eph, &xc, &h1)?;
        let pt = open(&k.c2s, &k.c2s_iv, 0, b"SL1 M2", &m2[32..])?;
        if pt.len() != 1 + 32 + 16 + 32 {
            return Err(Fail("malformed message 2"));
        }
        let (version, nc, ic, pc) = (pt[0], &pt[1..33], &pt[33..49], &pt[49..81]);
        if !VERSIONS.contains(&version) {
            return Err(Fail("no common version"));
        }
        if ic == self.rand.instance
            || nc == self.rand.challenge
            || xc == *PublicKey::from(&self.eph).as_bytes()
        {
            return Err(Fail("reflected or self-connected handshake"));
        }
        let t2 = hash(&[&self.m1, &xc, &[version], nc, ic]);
        mac(&k.auth_c, b"SL1 client proof", &t2)?
            .verify_slice(pc)
            .map_err(|_| Fail("client proof rejected (wrong cookie?)"))?;
        let t3 = hash(&[&self.m1, m2]);
        let ps = mac(&k.auth_s, b"SL1 server proof", &t3)?
            .finalize()
            .into_bytes();
        let m3 = seal(&k.s2c, &k.s2c_iv, 0, b"SL1 M3", &ps)?;
        let transcript = [self.m1.as_slice(), m2, &m3].concat();
        let peer: [u8; 16] = ic.try_into().map_err(|_| Fail("malformed message 2"))?;
        Ok((
            ServerProved {
                keys: k,
                transcript,
                peer,
                version,
                eph: self.eph,
                xc,
            },
            m3,
        ))
    }
}

impl ServerProved {
    /// Checks message 4 (key confirmation) and returns the session.
    pub fn on_m4(self, m4: &[u8], now: Instant) -> Result<Session, Fail> {
        let pt = open(&self.keys.c2s, &self.keys.c2s_iv, 1, b"SL1 M4", m4)?;
        if pt != [1] {
            return Err(Fail("malformed message 4"));
        }
        let t4 = hash(&[&self.transcript, m4]);
        let (c2s, s2c) = traffic(&self.keys.prk, &t4);
        Ok(Session {
            tx: Sealer::new(s2c, now),
            rx: Opener::new(c2s, now),
            peer: self.peer,
            version: self.version,
            binder: binder(&self.keys.prk, &t4, self.eph, self.xc),
        })
    }
}

/// The client after sending message 2.
pub struct ClientProved {
    keys: HsKeys,
    m1: Vec<u8>,
    m2: Vec<u8>,
    peer: [u8; 16],
    version: u8,
    eph: StaticSecret,
    xs: [u8; 32],
}

/// Answers message 1: checks it and returns the client state and message 2.
pub fn client_on_m1(
    cookie: &Cookie,
    rand: Randomness,
    m1: &[u8],
) -> Result<(ClientProved, Vec<u8>), Fail> {
    if m1.len() < 5 || &m1[..4] != MAGIC {
        return Err(Fail("not an SL1 peer"));
    }
    let n = m1[4] as usize;
    if n == 0 || n > 8 || m1.len() != 5 + n + 32 + 32 + 16 {
        return Err(Fail("malformed message 1"));
    }
    let offered = &m1[5..5 + n];
    let version = *VERSIONS
        .iter()
        .rev()
        .find(|v| offered.contains(v))
        .ok_or(Fail("no common version"))?;
    let xs: [u8; 32] = m1[5 + n..37 + n]
        .try_into()
        .map_err(|_| Fail("malformed message 1"))?;
    let ns = &m1[37 + n..69 + n];
    let is: [u8; 16] = m1[69 + n..]
        .try_into()
        .map_err(|_| Fail("malformed message 1"))?;
    if is == rand.instance || ns == rand.challenge {
        return Err(Fail("reflected or self-connected handshake"));
    }
    let eph = StaticSecret::from(rand.ephemeral);
    let xc = *PublicKey::from(&eph).as_bytes();
    if xc == xs {
        return Err(Fail("reflected handshake"));
    }
    let h1 = hash(&[m1, &xc]);
    let k = keys(cookie, &eph, &xs, &h1)?;
    let t2 = hash(&[m1, &xc, &[version], &rand.challenge, &rand.instance]);
    let pc = mac(&k.auth_c, b"SL1 client proof", &t2)?
        .finalize()
        .into_bytes();
    let mut pt = vec![version];
    pt.extend_from_slice(&rand.challenge);
    pt.extend_from_slice(&rand.instance);
    pt.extend_from_slice(&pc);
    let mut m2 = xc.to_vec();
    m2.extend(seal(&k.c2s, &k.c2s_iv, 0, b"SL1 M2", &pt)?);
    Ok((
        ClientProved {
            keys: k,
            m1: m1.to_vec(),
            m2: m2.clone(),
            peer: is,
            version,
            eph,
            xs,
        },
        m2,
    ))
}

impl ClientProved {
    /// Checks message 3 (the server's proof); returns the session and message 4.
    pub fn on_m3(self, m3: &[u8], now: Instant) -> Result<(Session, Vec<u8>), Fail> {
        let ps = open(&self.keys.s2c, &self.keys.s2c_iv, 0, b"SL1 M3", m3)?;
        let t3 = hash(&[&self.m1, &self.m2]);
        mac(&self.keys.auth_s, b"SL1 server proof", &t3)?
            .verify_slice(&ps)
            .map_err(|_| Fail("server proof rejected (wrong cookie?)"))?;
        let m4 = seal(&self.keys.c2s, &self.keys.c2s_iv, 1, b"SL1 M4", &[1])?;
        let t4 = hash(&[&self.m1, &self.m2, m3, &m4]);
        let (c2s, s2c) = traffic(&self.keys.prk, &t4);
        Ok((
            Session {
                tx: Sealer::new(c2s, now),
                rx: Opener::new(s2c, now),
                peer: self.peer,
                version: self.version,
                binder: binder(&self.keys.prk, &t4, self.eph, self.xs),
            },
            m4,
        ))
    }
}

#[cfg(test)]
mod tests;
