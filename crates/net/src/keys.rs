//! The cluster cookie and SL1's key schedule.

use crate::Fail;
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Cookie length: exactly 32 bytes (shorter cookies are refused).
pub const COOKIE_LEN: usize = 32;

/// The cluster's shared secret. Never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Cookie([u8; COOKIE_LEN]);

impl Cookie {
    /// A cookie from exactly 32 bytes; anything else is refused.
    pub fn new(bytes: &[u8]) -> Result<Self, Fail> {
        let b: [u8; COOKIE_LEN] = bytes
            .try_into()
            .map_err(|_| Fail("cookie must be exactly 32 bytes"))?;
        Ok(Cookie(b))
    }

    /// A fresh random cookie.
    pub fn generate() -> Self {
        let mut b = [0u8; COOKIE_LEN];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
        Cookie(b)
    }

    /// The raw bytes (to store in a 0600 file).
    pub fn bytes(&self) -> &[u8; COOKIE_LEN] {
        &self.0
    }
}

impl std::fmt::Debug for Cookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cookie(<redacted>)")
    }
}

/// A 32-byte secret that is wiped when dropped and never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct Secret(pub(crate) [u8; 32]);

impl Secret {
    /// A secret from raw bytes (tests and test vectors).
    pub fn from_bytes(b: [u8; 32]) -> Self {
        Secret(b)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The pseudo-random key mixing the cookie and the X25519 shared secret:
/// HKDF-Extract(salt = cookie, ikm = dh).
pub struct Prk(Hkdf<Sha256>);

impl Prk {
    /// Refuses the all-zero shared secret (a low-order peer point).
    pub fn new(cookie: &Cookie, dh: &[u8; 32]) -> Result<Self, Fail> {
        if dh.iter().all(|&b| b == 0) {
            return Err(Fail("invalid peer key"));
        }
        Ok(Prk(Hkdf::<Sha256>::new(Some(&cookie.0), dh)))
    }

    /// HKDF-Expand(label || context) into `out`.
    pub fn expand(&self, label: &[u8], context: &[u8], out: &mut [u8]) {
        let info = [label, context];
        // Lengths used here (12..=32 bytes) are far below HKDF's limit.
        let _ = self.0.expand_multi_info(&info, out);
    }

    /// A 32-byte secret for `label || context`.
    pub fn secret(&self, label: &[u8], context: &[u8]) -> Secret {
        let mut s = [0u8; 32];
        self.expand(label, context, &mut s);
        Secret(s)
    }
}

/// An AES-128-GCM key and IV derived from a traffic secret.
pub struct KeyIv {
    pub key: [u8; 16],
    pub iv: [u8; 12],
}

impl Drop for KeyIv {
    fn drop(&mut self) {
        self.key.zeroize();
        self.iv.zeroize();
    }
}

fn expand_from(secret: &Secret, label: &[u8], out: &mut [u8]) {
    // A traffic secret is a PRK for HKDF-Expand (RFC 5869, 3.3).
    if let Ok(h) = Hkdf::<Sha256>::from_prk(&secret.0) {
        let _ = h.expand(label, out);
    }
}

/// Key and IV of the epoch whose secret is `secret`.
pub fn key_iv(secret: &Secret) -> KeyIv {
    let mut k = KeyIv {
        key: [0; 16],
        iv: [0; 12],
    };
    expand_from(secret, b"SL1 key", &mut k.key);
    expand_from(secret, b"SL1 iv", &mut k.iv);
    k
}

/// The next epoch's secret (a one-way ratchet: old keys cannot be rebuilt).
pub fn next_secret(secret: &Secret) -> Secret {
    let mut s = [0u8; 32];
    expand_from(secret, b"SL1 next", &mut s);
    Secret(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_cookies_are_refused_and_nothing_prints() {
        assert!(Cookie::new(&[1; 31]).is_err());
        assert!(Cookie::new(&[1; 33]).is_err());
        let c = Cookie::new(&[0xAB; 32]).unwrap();
        assert_eq!(format!("{c:?}"), "Cookie(<redacted>)");
        assert!(!format!("{:?}", Secret([0xAB; 32])).contains("171"));
    }

    #[test]
    fn zero_shared_secret_is_refused() {
        let c = Cookie::new(&[1; 32]).unwrap();
        assert!(Prk::new(&c, &[0; 32]).is_err());
    }

    #[test]
    fn ratchet_changes_keys() {
        let s0 = Secret([7; 32]);
        let s1 = next_secret(&s0);
        assert_ne!(key_iv(&s0).key, key_iv(&s1).key);
        assert_ne!(s0, s1);
    }
}
