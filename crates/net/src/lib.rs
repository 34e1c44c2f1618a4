//! SL1, Butterfly's link between nodes (specified in docs/PROTOCOL.md).
//!
//! - [`keys`]: the cookie and the key schedule (X25519, HKDF-SHA256).
//! - [`handshake`]: the four-message mutual challenge/response, sans I/O.
//! - [`frame`]: AES-128-GCM frames with implicit counters and rotating keys.
//! - [`batch`]: several small messages sealed as one frame.
//! - [`link`]: the handshake and frames over a tokio TCP stream.
//! - [`listener`]: accepting links, with fair slots for handshakes.
//! - [`identity`]: optional static node keys, proven over a link.
//!
//! Any failure closes the link without saying why to the peer; the local
//! side gets a [`Fail`] naming the step (never a secret).

pub mod batch;
mod busy;
pub mod frame;
pub mod handshake;
pub mod identity;
mod incoming;
pub mod keys;
pub mod link;
pub mod listener;
mod outbox;
pub mod reader;
mod sock;

/// Why a link was closed. Reported locally only; carries no secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fail(pub &'static str);

impl std::fmt::Display for Fail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SL1 link closed: {}", self.0)
    }
}

impl std::error::Error for Fail {}
