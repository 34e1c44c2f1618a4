//! What a link has read, opened and reassembled: the receive buffer, the
//! frames decrypted from it, messages put back together from their
//! fragments and batch entries handed out one by one. Who reads, and
//! when, is reader.rs.

use crate::batch;
use crate::frame::{sealed_len, Kind, Opener, MAX_SEALED};
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
    partial: Vec<u8>,
    /// `partial` was handed out whole: clear it before the next message.
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
            if self.partial.capacity() > KEEP_PARTIAL {
                self.partial = Vec::new();
            } else {
                self.partial.clear();
            }
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
                    if !self.partial.is_empty() {
                        return Err(Fail("batch frame inside a fragmented message"));
                    }
                    batch::check(&self.buf[payload.clone()])?;
                    let (m, next) = batch::entry(&self.buf, payload.start + 2);
                    self.batch = (next < payload.end).then_some((next, payload.end));
                    return Ok(Some(&self.buf[m]));
                }
                Kind::More | Kind::Last => {
                    if self.partial.len() + len > self.max_message {
                        return Err(Fail("message over the size limit"));
                    }
                    if kind == Kind::Last && self.partial.is_empty() {
                        // A message in one frame is handed out in place.
                        return Ok(Some(&self.buf[payload]));
                    }
                    self.partial.extend_from_slice(&self.buf[payload]);
                    if kind == Kind::Last {
                        self.handed = true;
                        return Ok(Some(&self.partial));
                    }
                }
            }
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
        assert!(frames.partial.capacity() >= big.len());
        one(&mut frames, &small);
        assert!(
            frames.partial.capacity() <= KEEP_PARTIAL,
            "the buffer of a 2 MiB message was kept: {}",
            frames.partial.capacity()
        );
    }
}
