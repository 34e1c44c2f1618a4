//! SL1 data frames: `[len: u32 BE][AES-128-GCM(type || payload)]`.
//!
//! Each direction has its own traffic secret; the key and IV of an epoch
//! come from it, and the nonce is the IV XOR a 64-bit frame counter that
//! is never sent (so a replayed, reordered, dropped or spliced frame fails
//! to decrypt). The length prefix is the AEAD's associated data and is
//! checked against the limits before any buffer is allocated. A sender
//! rotates to the next epoch every 2^20 frames or 120 s, whichever comes
//! first, by sending KEY_UPDATE under the old key; a receiver refuses a key
//! used past those limits (with a grace period for the clock).

use crate::keys::{key_iv, next_secret, Secret};
use crate::Fail;
use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce, Tag};
use std::time::{Duration, Instant};

/// Largest payload in one frame; longer messages are fragmented.
pub const MAX_PAYLOAD: usize = 16 * 1024;
/// AES-GCM tag length.
pub const TAG_LEN: usize = 16;
/// Smallest sealed frame: a type byte and the tag.
pub const MIN_SEALED: usize = 1 + TAG_LEN;
/// Largest sealed frame.
pub const MAX_SEALED: usize = 1 + MAX_PAYLOAD + TAG_LEN;
/// Frames a key may seal before the sender must rotate.
pub const ROTATE_FRAMES: u64 = 1 << 20;
/// Age at which the sender rotates, idle or not.
pub const ROTATE_AFTER: Duration = Duration::from_secs(120);
/// How much later than `ROTATE_AFTER` a receiver still accepts a key.
pub const KEY_GRACE: Duration = Duration::from_secs(30);

/// When keys rotate, and how late a receiver still accepts one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyLimits {
    pub frames: u64,
    pub age: Duration,
    pub grace: Duration,
}

impl Default for KeyLimits {
    /// 2^20 frames or 120 s, with 30 s of grace for the receiver.
    fn default() -> Self {
        KeyLimits {
            frames: ROTATE_FRAMES,
            age: ROTATE_AFTER,
            grace: KEY_GRACE,
        }
    }
}

/// What a frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// The last (or only) fragment of a message.
    Last = 0,
    /// A fragment with more to follow.
    More = 1,
    /// Liveness only.
    Heartbeat = 2,
    /// The sender switches to the next epoch after this frame.
    KeyUpdate = 3,
    /// Several whole messages (batch.rs), from a peer offered them.
    Batch = 4,
}

impl Kind {
    fn from(b: u8) -> Option<Kind> {
        Some(match b {
            0 => Kind::Last,
            1 => Kind::More,
            2 => Kind::Heartbeat,
            3 => Kind::KeyUpdate,
            4 => Kind::Batch,
            _ => return None,
        })
    }
}

struct Epoch {
    secret: Secret,
    cipher: Aes128Gcm,
    iv: [u8; 12],
    ctr: u64,
    number: u32,
    born: Instant,
}

impl Epoch {
    fn new(secret: Secret, number: u32, born: Instant) -> Self {
        let k = key_iv(&secret);
        Epoch {
            cipher: Aes128Gcm::new(&k.key.into()),
            iv: k.iv,
            secret,
            ctr: 0,
            number,
            born,
        }
    }

    fn next(&self, now: Instant) -> Result<Self, Fail> {
        let n = self
            .number
            .checked_add(1)
            .ok_or(Fail("epoch counter exhausted"))?;
        Ok(Epoch::new(next_secret(&self.secret), n, now))
    }

    fn nonce(&self) -> [u8; 12] {
        let mut n = self.iv;
        for (b, c) in n[4..].iter_mut().zip(self.ctr.to_be_bytes()) {
            *b ^= c;
        }
        n
    }
}

/// The sending half of a direction.
pub struct Sealer(Epoch, KeyLimits);

impl Sealer {
    /// Starts at epoch 0 with the direction's first traffic secret.
    pub fn new(secret: Secret, now: Instant) -> Self {
        Sealer(Epoch::new(secret, 0, now), KeyLimits::default())
    }

    /// The same, rotating at `limits` (tests use short ones).
    pub fn with_limits(mut self, limits: KeyLimits) -> Self {
        self.1 = limits;
        self
    }

    /// The current epoch number.
    pub fn epoch(&self) -> u32 {
        self.0.number
    }

    /// Whether the key has reached its frame or age limit (leaving room for
    /// the KEY_UPDATE frame itself).
    pub fn due(&self, now: Instant) -> bool {
        self.0.ctr + 1 >= self.1.frames || now.duration_since(self.0.born) >= self.1.age
    }

    /// Appends one sealed frame to `out`.
    pub fn seal(&mut self, kind: Kind, payload: &[u8], out: &mut Vec<u8>) -> Result<(), Fail> {
        self.seal_with(kind, payload.len(), out, |o| o.extend_from_slice(payload))
    }

    /// Appends one sealed frame whose payload is the `len` bytes `fill`
    /// appends to `out` (so a payload in several pieces is copied once,
    /// straight into place, and encrypted there).
    fn seal_with(
        &mut self,
        kind: Kind,
        len: usize,
        out: &mut Vec<u8>,
        fill: impl FnOnce(&mut Vec<u8>),
    ) -> Result<(), Fail> {
        if len > MAX_PAYLOAD {
            return Err(Fail("payload over the frame limit"));
        }
        if self.0.ctr >= self.1.frames {
            return Err(Fail("key used past its frame limit"));
        }
        let header = ((1 + len + TAG_LEN) as u32).to_be_bytes();
        out.reserve(4 + 1 + len + TAG_LEN);
        out.extend_from_slice(&header);
        let start = out.len();
        out.push(kind as u8);
        fill(out);
        if out.len() != start + 1 + len {
            return Err(Fail("frame payload of the wrong length"));
        }
        let nonce = self.0.nonce();
        let tag = self
            .0
            .cipher
            .encrypt_inout_detached(&Nonce::from(nonce), &header, (&mut out[start..]).into())
            .map_err(|_| Fail("encryption failed"))?;
        out.extend_from_slice(&tag);
        self.0.ctr = self
            .0
            .ctr
            .checked_add(1)
            .ok_or(Fail("frame counter exhausted"))?;
        Ok(())
    }

    /// Appends one message as fragments of at most `MAX_PAYLOAD` bytes (an
    /// empty message is one empty final fragment), rotating keys whenever
    /// a limit is reached, so a long message never overruns a key.
    pub fn seal_message(
        &mut self,
        msg: &[u8],
        out: &mut Vec<u8>,
        now: Instant,
    ) -> Result<(), Fail> {
        self.seal_message_parts(&[msg], out, now)
    }

    /// `seal_message` of the message that is `parts` joined, without
    /// joining them first: each byte is copied once, into its frame (a
    /// frame's head and a 64 KiB body were joined into a buffer of their
    /// own before, one copy of the body more per message). The frames are
    /// exactly those of `seal_message` over the joined bytes.
    pub fn seal_message_parts(
        &mut self,
        parts: &[&[u8]],
        out: &mut Vec<u8>,
        now: Instant,
    ) -> Result<(), Fail> {
        let mut left: usize = parts.iter().map(|p| p.len()).sum();
        // Where the next frame's bytes start: a part, and an offset in it.
        let (mut part, mut off) = (0, 0);
        loop {
            let n = left.min(MAX_PAYLOAD);
            left -= n;
            let kind = if left > 0 { Kind::More } else { Kind::Last };
            if self.due(now) {
                self.rotate(out, now)?;
            }
            self.seal_with(kind, n, out, |o| {
                let mut want = n;
                while want > 0 {
                    let Some(p) = parts.get(part) else { return };
                    let take = (p.len() - off).min(want);
                    o.extend_from_slice(&p[off..off + take]);
                    want -= take;
                    off += take;
                    if off == p.len() {
                        part += 1;
                        off = 0;
                    }
                }
            })?;
            if left == 0 {
                return Ok(());
            }
        }
    }

    /// `seal`, preceded by a rotation when the key is due.
    pub fn seal_rotating(
        &mut self,
        kind: Kind,
        payload: &[u8],
        out: &mut Vec<u8>,
        now: Instant,
    ) -> Result<(), Fail> {
        if self.due(now) {
            self.rotate(out, now)?;
        }
        self.seal(kind, payload, out)
    }

    /// Sends KEY_UPDATE under the current key, then moves to the next epoch.
    pub fn rotate(&mut self, out: &mut Vec<u8>, now: Instant) -> Result<(), Fail> {
        self.seal(Kind::KeyUpdate, &[], out)?;
        self.0 = self.0.next(now)?;
        Ok(())
    }
}

/// The receiving half of a direction.
pub struct Opener(Epoch, KeyLimits);

/// The sealed length announced by a 4-byte header, refused outside the
/// limits before anything is allocated for it.
pub fn sealed_len(header: [u8; 4]) -> Result<usize, Fail> {
    let n = u32::from_be_bytes(header) as usize;
    if !(MIN_SEALED..=MAX_SEALED).contains(&n) {
        return Err(Fail("frame length out of bounds"));
    }
    Ok(n)
}

impl Opener {
    /// Starts at epoch 0 with the direction's first traffic secret.
    pub fn new(secret: Secret, now: Instant) -> Self {
        Opener(Epoch::new(secret, 0, now), KeyLimits::default())
    }

    /// The same, enforcing `limits` on the peer.
    pub fn with_limits(mut self, limits: KeyLimits) -> Self {
        self.1 = limits;
        self
    }

    /// The current epoch number.
    pub fn epoch(&self) -> u32 {
        self.0.number
    }

    /// Whether the peer has kept its key past the limits.
    pub fn expired(&self, now: Instant) -> bool {
        now.duration_since(self.0.born) > self.1.age + self.1.grace
    }

    /// Authenticates and decrypts one frame (`sealed` is the body after the
    /// header, decrypted in place). Returns its kind and the payload range.
    pub fn open(
        &mut self,
        header: [u8; 4],
        sealed: &mut [u8],
        now: Instant,
    ) -> Result<(Kind, usize), Fail> {
        let nonce = self.admit(header, sealed.len(), now)?;
        let (body, tag) = sealed.split_at_mut(sealed.len() - TAG_LEN);
        self.decrypt(nonce, header, body.into(), tag)?;
        self.opened(body, now)
    }

    /// As `open`, but decrypts into `out` (as long as `sealed` less its
    /// tag; nothing is written there unless the frame authenticates) and
    /// leaves `sealed` as it was: the kind is `out[0]`, the payload
    /// `out[1..]`. A fragment decrypted straight to where its message is
    /// put back together is not copied there afterwards.
    pub fn open_into(
        &mut self,
        header: [u8; 4],
        sealed: &[u8],
        out: &mut [u8],
        now: Instant,
    ) -> Result<(Kind, usize), Fail> {
        let nonce = self.admit(header, sealed.len(), now)?;
        let (body, tag) = sealed.split_at(sealed.len() - TAG_LEN);
        let buf = InOutBuf::new(body, out).map_err(|_| Fail("frame length mismatch"))?;
        self.decrypt(nonce, header, buf, tag)?;
        self.opened(out, now)
    }

    /// Checks a frame of `len` bytes after `header` against the length in
    /// it and the peer's key limits: the nonce it must be opened with.
    fn admit(&self, header: [u8; 4], len: usize, now: Instant) -> Result<[u8; 12], Fail> {
        if sealed_len(header)? != len {
            return Err(Fail("frame length mismatch"));
        }
        if self.0.ctr >= self.1.frames || self.expired(now) {
            return Err(Fail("peer used a key past its limits"));
        }
        Ok(self.0.nonce())
    }

    fn decrypt(
        &self,
        nonce: [u8; 12],
        header: [u8; 4],
        buf: InOutBuf<'_, '_, u8>,
        tag: &[u8],
    ) -> Result<(), Fail> {
        self.0
            .cipher
            .decrypt_inout_detached(
                &Nonce::from(nonce),
                &header,
                buf,
                <&Tag>::try_from(tag).map_err(|_| Fail("frame tag length"))?,
            )
            .map_err(|_| Fail("frame failed authentication"))
    }

    /// After a frame authenticated (`body` its plaintext): counts it, and
    /// moves to the next epoch on a key update.
    fn opened(&mut self, body: &[u8], now: Instant) -> Result<(Kind, usize), Fail> {
        self.0.ctr = self
            .0
            .ctr
            .checked_add(1)
            .ok_or(Fail("frame counter exhausted"))?;
        let kind = Kind::from(body[0]).ok_or(Fail("unknown frame type"))?;
        if kind == Kind::KeyUpdate {
            if body.len() != 1 {
                return Err(Fail("malformed key update"));
            }
            self.0 = self.0.next(now)?;
        }
        Ok((kind, body.len() - 1))
    }
}

#[cfg(test)]
mod tests;
