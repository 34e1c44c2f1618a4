//! What a link has read, opened and reassembled: the receive buffer, the
//! frames decrypted from it, messages put back together from their
//! fragments and batch entries handed out one by one. Who reads, and
//! when, is reader.rs.

use crate::batch;
use crate::frame::{sealed_len, Kind, Opener, MAX_SEALED, TAG_LEN};
use crate::sock::Sock;
use crate::Fail;
use std::time::Instant;

/// The receive buffer: room for several frames, and always for a whole one.
const BUF: usize = 64 << 10;
/// The largest reassembly buffer a link keeps between messages: one that
/// grew for a larger message is freed once it is handed out, so a link
/// that once carried a 64 MiB message does not hold 64 MiB for good.
const KEEP_PARTIAL: usize = 1 << 20;

/// Frames as they arrive: bytes read but not yet opened, and the message
/// being reassembled.
pub(crate) struct Frames {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    opener: Opener,
    /// The message being reassembled: its first `plen` bytes. Past them it
    /// holds whatever it held (its length is the most it ever held, so a
    /// fragment is decrypted into it without zeroing room first).
    partial: Vec<u8>,
    plen: usize,
    /// `partial` was handed out whole: start over before the next message.
    handed: bool,
    max_message: usize,
    /// This side offered to read batch frames (batch.rs).
    batches: bool,
    /// A checked batch being handed out: its next entry and its end in `buf`.
    batch: Option<(usize, usize)>,
}

impl Frames {
    pub(crate) fn new(opener: Opener, max_message: usize, batches: bool) -> Self {
        Frames {
            buf: vec![0u8; BUF].into_boxed_slice(),
            start: 0,
            end: 0,
            opener,
            partial: Vec::new(),
            plen: 0,
            handed: false,
            max_message,
            batches,
            batch: None,
        }
    }

    /// The receiving epoch.
    pub(crate) fn epoch(&self) -> u32 {
        self.opener.epoch()
    }

    /// The next whole message among the bytes read so far, opening frames
    /// as they complete; None when more bytes are needed.
    pub(crate) fn next(&mut self, now: Instant) -> Result<Option<&[u8]>, Fail> {
        if self.handed {
            if self.partial.len() > KEEP_PARTIAL {
                self.partial = Vec::new();
            }
            self.plen = 0;
            self.handed = false;
        }
        if let Some((pos, end)) = self.batch {
            // The bytes stay put: `fill` runs only once this returned None.
            let (m, next) = batch::entry(&self.buf, pos);
            self.batch = (next < end).then_some((next, end));
            return Ok(Some(&self.buf[m]));
        }
        loop {
            if self.end - self.start < 4 {
                return Ok(None);
            }
            let mut header = [0u8; 4];
            header.copy_from_slice(&self.buf[self.start..self.start + 4]);
            let n = sealed_len(header)?;
            if self.end - self.start < 4 + n {
                return Ok(None);
            }
            let body = self.start + 4;
            self.start = body + n;
            if self.plen > 0 {
                // Inside a fragmented message: decrypted straight after
                // what it holds, not in place and then copied there.
                if self.fragment(header, body..body + n, now)? {
                    self.handed = true;
                    return Ok(Some(&self.partial[..self.plen]));
                }
                continue;
            }
            let (kind, len) = self
                .opener
                .open(header, &mut self.buf[body..body + n], now)?;
            let payload = body + 1..body + 1 + len;
            match kind {
                Kind::Heartbeat | Kind::KeyUpdate => continue,
                Kind::Batch => {
                    if !self.batches {
                        return Err(Fail("batch frame from a peer not offered them"));
                    }
                    batch::check(&self.buf[payload.clone()])?;
                    let (m, next) = batch::entry(&self.buf, payload.start + 2);
                    self.batch = (next < payload.end).then_some((next, payload.end));
                    return Ok(Some(&self.buf[m]));
                }
                // A message in one frame is handed out in place.
                Kind::Last => return Ok(Some(&self.buf[payload])),
                Kind::More => {
                    if len > self.max_message {
                        return Err(Fail("message over the size limit"));
                    }
                    self.room(len);
                    self.partial[..len].copy_from_slice(&self.buf[payload]);
                    self.plen = len;
                }
            }
        }
    }

    /// Opens the frame `sealed` of `self.buf` after a message's first
    /// fragment, decrypting it into `partial` from its last byte on (that
    /// byte is put back: the frame's kind lands there): whether it ended
    /// the message. A heartbeat or key update in between leaves the
    /// message as it was.
    fn fragment(
        &mut self,
        header: [u8; 4],
        sealed: std::ops::Range<usize>,
        now: Instant,
    ) -> Result<bool, Fail> {
        let body = sealed.len().saturating_sub(TAG_LEN);
        // The payload is the body less its kind byte.
        if self.plen + body.saturating_sub(1) > self.max_message {
            return Err(Fail("message over the size limit"));
        }
        let at = self.plen - 1;
        self.room(at + body);
        let last = self.partial[at];
        let opened = self.opener.open_into(
            header,
            &self.buf[sealed],
            &mut self.partial[at..at + body],
            now,
        );
        self.partial[at] = last;
        let (kind, len) = opened?;
        match kind {
            Kind::Heartbeat | Kind::KeyUpdate => Ok(false),
            Kind::Batch => Err(Fail("batch frame inside a fragmented message")),
            Kind::More | Kind::Last => {
                self.plen += len;
                Ok(kind == Kind::Last)
            }
        }
    }

    /// Makes `partial` at least `n` bytes long (it never shrinks while a
    /// link reuses it: see `KEEP_PARTIAL`).
    fn room(&mut self, n: usize) {
        if self.partial.len() < n {
            self.partial.resize(n, 0);
        }
    }

    /// One non-blocking read into the buffer, of at most `max` bytes: the
    /// bytes read (0 at end of stream) and whether they filled the room
    /// there was (the buffer's, or `max`), or WouldBlock.
    pub(crate) fn fill(&mut self, r: &Sock, max: usize) -> std::io::Result<(usize, bool)> {
        debug_assert!(self.batch.is_none(), "a batch is still being handed out");
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.buf.len() - self.end < 4 + MAX_SEALED {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let room = (self.buf.len() - self.end).min(max.max(1));
        let n = r.try_read(&mut self.buf[self.end..self.end + room])?;
        self.end += n;
        Ok((n, n == room))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::Sealer;
    use crate::keys::Secret;

    /// `frames` with `wire` as its bytes read (at most `BUF`).
    fn read(frames: &mut Frames, wire: &[u8]) {
        frames.buf[..wire.len()].copy_from_slice(wire);
        frames.start = 0;
        frames.end = wire.len();
    }

    /// `wire` split into its frames (each with its 4-byte header).
    fn frames_of(wire: &[u8]) -> Vec<Vec<u8>> {
        let mut out = vec![];
        let mut at = 0;
        while at < wire.len() {
            let n = u32::from_be_bytes(wire[at..at + 4].try_into().unwrap()) as usize;
            out.push(wire[at..at + 4 + n].to_vec());
            at += 4 + n;
        }
        out
    }

    #[test]
    fn fragments_decrypted_in_place_of_their_message_survive_control_frames_between_them() {
        let now = Instant::now();
        let mut sealer = Sealer::new(Secret([7; 32]), now);
        let mut frames = Frames::new(Opener::new(Secret([7; 32]), now), 4 << 20, false);
        for round in 0..3u8 {
            let msg: Vec<u8> = (0..(40 << 10) + usize::from(round))
                .map(|i| (i * 7) as u8 ^ round)
                .collect();
            let chunks: Vec<&[u8]> = msg.chunks(16 << 10).collect();
            assert!(chunks.len() >= 3);
            let mut got = None;
            for (i, chunk) in chunks.iter().enumerate() {
                let last = i + 1 == chunks.len();
                let mut wire = vec![];
                let kind = if last { Kind::Last } else { Kind::More };
                sealer.seal(kind, chunk, &mut wire).unwrap();
                // Between fragments: a heartbeat, and in the second round a
                // key update, which the next fragment is sealed under.
                if !last {
                    sealer.seal(Kind::Heartbeat, &[], &mut wire).unwrap();
                    if round == 1 && i == 0 {
                        sealer.rotate(&mut wire, now).unwrap();
                    }
                }
                read(&mut frames, &wire);
                if let Some(m) = frames.next(now).unwrap() {
                    got = Some(m.to_vec());
                }
            }
            assert_eq!(got.as_deref(), Some(&msg[..]), "round {round}");
        }
        assert_eq!(frames.epoch(), 1);
    }

    #[test]
    fn a_tampered_fragment_fails_the_link_and_leaves_the_message_as_it_was() {
        let now = Instant::now();
        let mut sealer = Sealer::new(Secret([8; 32]), now);
        let mut frames = Frames::new(Opener::new(Secret([8; 32]), now), 4 << 20, false);
        let msg = vec![3u8; 40 << 10];
        let mut wire = vec![];
        sealer.seal_message(&msg, &mut wire, now).unwrap();
        let mut parts = frames_of(&wire);
        read(&mut frames, &parts[0]);
        assert!(frames.next(now).unwrap().is_none());
        let held = frames.partial[..frames.plen].to_vec();
        let last = parts[1].len() - 1;
        parts[1][last] ^= 1;
        read(&mut frames, &parts[1]);
        assert!(frames.next(now).is_err());
        assert_eq!(frames.partial[..frames.plen], held[..]);
    }

    #[test]
    fn the_reassembly_buffer_is_reused_up_to_its_bound_and_freed_beyond() {
        let now = Instant::now();
        let mut sealer = Sealer::new(Secret([5; 32]), now);
        let mut frames = Frames::new(Opener::new(Secret([5; 32]), now), 4 << 20, false);
        let mut one = |frames: &mut Frames, msg: &[u8]| {
            let mut wire = vec![];
            sealer.seal_message(msg, &mut wire, now).unwrap();
            // A message larger than the receive buffer arrives in parts.
            let mut got = None;
            for chunk in wire.chunks(4 + MAX_SEALED) {
                read(frames, chunk);
                if let Some(m) = frames.next(now).unwrap() {
                    got = Some(m.to_vec());
                }
            }
            assert_eq!(got.as_deref(), Some(msg));
        };
        let small: Vec<u8> = (0..64 << 10).map(|i| i as u8).collect();
        one(&mut frames, &small);
        let kept = frames.partial.as_ptr();
        one(&mut frames, &small);
        assert_eq!(
            frames.partial.as_ptr(),
            kept,
            "a 64 KiB message took a new buffer"
        );
        let big = vec![9u8; 2 << 20];
        one(&mut frames, &big);
        assert!(frames.partial.len() >= big.len());
        one(&mut frames, &small);
        assert!(
            frames.partial.capacity() <= KEEP_PARTIAL,
            "the buffer of a 2 MiB message was kept: {}",
            frames.partial.capacity()
        );
    }
}
