//! Optional static node identities (docs/PROTOCOL.md, 2.8): a long-term
//! X25519 key per node, proven over an established SL1 link so that a peer
//! that pins the key knows it talks to that node, not to any cookie holder
//! that says its name (as WireGuard pins peers' static keys).
//!
//! A proof is an HMAC keyed with the link's binding secret (derived from the
//! handshake transcript) over the role, the static public key and the
//! X25519 of the static secret with the other side's ephemeral key. Only the
//! holder of the static secret can compute it, and only for this link: the
//! verifier computes the same X25519 from its own ephemeral secret, which
//! the link keeps (in its [`Binder`]) until the Hello exchange is done.

use crate::keys::Secret;
use crate::Fail;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use x25519_dalek::{PublicKey, StaticSecret};

/// Which side of the link proves: the client sends its proof in Hello,
/// the server in HelloAck.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Client,
    Server,
}

impl Role {
    fn label(self) -> &'static [u8] {
        match self {
            Role::Client => b"SL1 id client",
            Role::Server => b"SL1 id server",
        }
    }
}

/// What a link keeps from its handshake for identity proofs: its own
/// ephemeral secret, the peer's ephemeral public key and the binding
/// secret. Wiped when dropped (the link drops it after the Hello exchange).
pub struct Binder {
    pub(crate) own: StaticSecret,
    pub(crate) peer: [u8; 32],
    pub(crate) binding: Secret,
}

impl Binder {
    /// The binding secret (test vectors).
    pub fn binding(&self) -> [u8; 32] {
        self.binding.0
    }
}

/// A node's static X25519 key pair. The secret is wiped when dropped and
/// never printed.
pub struct Identity {
    secret: StaticSecret,
    public: [u8; 32],
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Identity(public {:02x?})", &self.public[..4])
    }
}

impl Identity {
    /// The identity whose secret is `secret` (clamped by X25519).
    pub fn from_secret(secret: [u8; 32]) -> Self {
        let secret = StaticSecret::from(secret);
        let public = *PublicKey::from(&secret).as_bytes();
        Identity { secret, public }
    }

    /// A fresh random identity.
    pub fn generate() -> Self {
        let mut b = [0u8; 32];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
        let id = Identity::from_secret(b);
        zeroize::Zeroize::zeroize(&mut b);
        id
    }

    /// The secret's bytes (to store in a file only its owner reads).
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.secret.to_bytes()
    }

    /// The public key peers pin.
    pub fn public(&self) -> [u8; 32] {
        self.public
    }

    /// This side's proof, as `role`, over the link that `b` belongs to.
    pub fn prove(&self, b: &Binder, role: Role) -> Result<[u8; 32], Fail> {
        let dh = self.secret.diffie_hellman(&PublicKey::from(b.peer));
        proof(b, role, &self.public, dh.as_bytes())
    }
}

fn proof(b: &Binder, role: Role, key: &[u8; 32], dh: &[u8; 32]) -> Result<[u8; 32], Fail> {
    if dh.iter().all(|&x| x == 0) {
        return Err(Fail("invalid identity key"));
    }
    let mut m =
        <Hmac<Sha256> as Mac>::new_from_slice(&b.binding.0).map_err(|_| Fail("mac setup"))?;
    m.update(role.label());
    m.update(key);
    m.update(dh);
    Ok(m.finalize().into_bytes().into())
}

/// Whether `proof` shows that the peer, as `role`, holds the secret of
/// static key `key` on the link that `b` belongs to (compared in
/// constant time; a low-order key never verifies).
pub fn verify(b: &Binder, role: Role, key: &[u8; 32], proof_bytes: &[u8; 32]) -> bool {
    let dh = b.own.diffie_hellman(&PublicKey::from(*key));
    if dh.as_bytes().iter().all(|&x| x == 0) {
        return false;
    }
    let Ok(mut m) = <Hmac<Sha256> as Mac>::new_from_slice(&b.binding.0) else {
        return false;
    };
    m.update(role.label());
    m.update(key);
    m.update(dh.as_bytes());
    m.verify_slice(proof_bytes).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (Binder, Binder) {
        let (a, b) = (StaticSecret::from([1u8; 32]), StaticSecret::from([2u8; 32]));
        let (pa, pb) = (
            *PublicKey::from(&a).as_bytes(),
            *PublicKey::from(&b).as_bytes(),
        );
        let binding = Secret([9; 32]);
        (
            Binder {
                own: a,
                peer: pb,
                binding: binding.clone(),
            },
            Binder {
                own: b,
                peer: pa,
                binding,
            },
        )
    }

    #[test]
    fn a_proof_verifies_only_for_its_key_role_and_link() {
        let (client, server) = pair();
        let id = Identity::from_secret([7; 32]);
        let p = id.prove(&client, Role::Client).unwrap();
        assert!(verify(&server, Role::Client, &id.public(), &p));
        assert!(!verify(&server, Role::Server, &id.public(), &p));
        let other = Identity::from_secret([8; 32]);
        assert!(!verify(&server, Role::Client, &other.public(), &p));
        // Another link (another binding) refuses the same proof.
        let (_, mut elsewhere) = pair();
        elsewhere.binding = Secret([10; 32]);
        assert!(!verify(&elsewhere, Role::Client, &id.public(), &p));
        // A low-order key never verifies.
        assert!(!verify(&server, Role::Client, &[0; 32], &p));
        assert!(!format!("{id:?}").contains(&format!("{:?}", id.secret_bytes())));
    }
}
