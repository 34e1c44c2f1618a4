//! Batch frames (SL1 frame type 4): several whole small messages sealed as
//! one frame, so a burst of small messages costs one AES-GCM seal, one
//! length header and one tag per ~16 KiB instead of per message (the seal
//! was a third of a JS thread's native send of a 100-byte message).
//!
//! The payload: `[count: u16 BE]` then `count` entries `[len: u16 BE][len
//! bytes]`, with `count` in 1..=`MAX_BATCH`, every `len` in 1..=`MAX_ITEM`,
//! and nothing after the last entry. Each entry is one message, exactly as
//! if it had come in a frame of its own, in order. A batch never splits a
//! fragmented message (the receiver refuses one between `More` and
//! `Last`). A sender puts messages in batches only once the peer said it
//! reads them (the distribution layer's `FEAT_BATCH`); a receiver not
//! offered them refuses one like any unknown frame type.

use crate::frame::{Kind, MAX_PAYLOAD};
use crate::Fail;

/// Most messages in one batch.
pub const MAX_BATCH: usize = 4096;
/// Largest message put in a batch; larger ones leave in frames of their own
/// (their seal is cheap beside their bytes).
pub const MAX_ITEM: usize = 4096;

/// A batch being built: plain bytes, sealed when full or flushed.
pub(crate) struct Batch {
    /// The payload so far; its count is written when it is sealed.
    buf: Vec<u8>,
    n: usize,
}

impl Batch {
    pub(crate) fn new() -> Self {
        Batch {
            buf: Vec::new(),
            n: 0,
        }
    }

    /// Whether a message of `len` bytes may travel in a batch at all.
    pub(crate) fn takes(len: usize) -> bool {
        (1..=MAX_ITEM).contains(&len)
    }

    /// Whether a message of `len` bytes (which `takes`) still fits beside
    /// what is here.
    pub(crate) fn has_room(&self, len: usize) -> bool {
        let used = if self.n == 0 { 2 } else { self.buf.len() };
        self.n < MAX_BATCH && used + 2 + len <= MAX_PAYLOAD
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Plain bytes waiting (for the queue's bound).
    pub(crate) fn len(&self) -> usize {
        if self.n == 0 {
            0
        } else {
            self.buf.len()
        }
    }

    /// Adds the message that is `parts` joined, `len` bytes (the caller
    /// checked `takes` and `has_room`).
    pub(crate) fn push(&mut self, parts: &[&[u8]], len: usize) {
        if self.n == 0 {
            self.buf.clear();
            self.buf.extend_from_slice(&[0, 0]);
        }
        self.buf.extend_from_slice(&(len as u16).to_be_bytes());
        for p in parts {
            self.buf.extend_from_slice(p);
        }
        self.n += 1;
    }

    /// The frame to seal for what is here (not empty): a lone message as
    /// an ordinary `Last` frame (a round trip's wire bytes do not change),
    /// several as one `Batch`. The batch is empty afterwards.
    pub(crate) fn take(&mut self) -> (Kind, &[u8]) {
        let n = std::mem::take(&mut self.n);
        if n == 1 {
            return (Kind::Last, &self.buf[4..]);
        }
        self.buf[..2].copy_from_slice(&(n as u16).to_be_bytes());
        (Kind::Batch, &self.buf)
    }
}

/// Checks a received batch payload against the layout and limits above
/// before any of it is handed on: a bad count, an empty, oversized or
/// truncated entry, or bytes after the last entry refuse it whole.
pub fn check(payload: &[u8]) -> Result<(), Fail> {
    let Some((count, mut rest)) = payload.split_first_chunk::<2>() else {
        return Err(Fail("batch frame without a count"));
    };
    let count = u16::from_be_bytes(*count) as usize;
    if !(1..=MAX_BATCH).contains(&count) {
        return Err(Fail("batch count out of bounds"));
    }
    for _ in 0..count {
        let Some((len, tail)) = rest.split_first_chunk::<2>() else {
            return Err(Fail("batch entry truncated"));
        };
        let len = u16::from_be_bytes(*len) as usize;
        if !(1..=MAX_ITEM).contains(&len) {
            return Err(Fail("batch entry length out of bounds"));
        }
        if tail.len() < len {
            return Err(Fail("batch entry truncated"));
        }
        rest = &tail[len..];
    }
    if !rest.is_empty() {
        return Err(Fail("bytes after a batch's last entry"));
    }
    Ok(())
}

/// The entry at `pos` of a checked payload `buf[..end]`: the message's
/// range and where the next entry starts (`end` after the last).
pub fn entry(buf: &[u8], pos: usize) -> (std::ops::Range<usize>, usize) {
    let len = u16::from_be_bytes([buf[pos], buf[pos + 1]]) as usize;
    let at = pos + 2;
    (at..at + len, at + len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built(msgs: &[&[u8]]) -> (Kind, Vec<u8>) {
        let mut b = Batch::new();
        for m in msgs {
            assert!(Batch::takes(m.len()) && b.has_room(m.len()));
            b.push(&[m], m.len());
        }
        let (k, p) = b.take();
        (k, p.to_vec())
    }

    #[test]
    fn a_lone_message_is_an_ordinary_frame() {
        assert_eq!(built(&[b"one"]), (Kind::Last, b"one".to_vec()));
    }

    #[test]
    fn several_round_trip_in_order() {
        let (k, p) = built(&[b"one", b"two", &[9; 300]]);
        assert_eq!(k, Kind::Batch);
        check(&p).unwrap();
        let mut pos = 2;
        let mut got = Vec::new();
        while pos < p.len() {
            let (r, next) = entry(&p, pos);
            got.push(p[r].to_vec());
            pos = next;
        }
        assert_eq!(got, vec![b"one".to_vec(), b"two".to_vec(), vec![9; 300]]);
    }

    #[test]
    fn a_full_batch_stays_within_one_frame() {
        let mut b = Batch::new();
        let m = [1u8; 1000];
        while b.has_room(m.len()) {
            b.push(&[&m[..600], &m[600..]], m.len());
        }
        let (_, p) = b.take();
        assert!(p.len() <= MAX_PAYLOAD);
        check(p).unwrap();
        let tiny = [1u8; 1];
        let mut b = Batch::new();
        while b.has_room(tiny.len()) {
            b.push(&[&tiny], tiny.len());
        }
        assert_eq!(b.n, MAX_BATCH);
    }

    #[test]
    fn malformed_batches_are_refused() {
        let (_, good) = built(&[b"ab", b"cd"]);
        let bad: Vec<(&str, Vec<u8>)> = vec![
            ("empty", vec![]),
            ("no count", vec![0]),
            ("count 0", vec![0, 0]),
            ("count over the limit", {
                let mut v = ((MAX_BATCH + 1) as u16).to_be_bytes().to_vec();
                v.extend((0..=MAX_BATCH).flat_map(|_| [0, 1, 7]));
                v
            }),
            ("count above the entries", {
                let mut v = good.clone();
                v[1] = 3;
                v
            }),
            ("count below the entries: trailing bytes", {
                let mut v = good.clone();
                v[1] = 1;
                v
            }),
            ("trailing byte", {
                let mut v = good.clone();
                v.push(0);
                v
            }),
            ("truncated entry", good[..good.len() - 1].to_vec()),
            ("truncated length", vec![0, 1, 0]),
            ("empty entry", vec![0, 1, 0, 0]),
            ("entry over the item limit", {
                let mut v = vec![0, 1];
                v.extend(((MAX_ITEM + 1) as u16).to_be_bytes());
                v.extend(vec![0; MAX_ITEM + 1]);
                v
            }),
        ];
        for (what, p) in bad {
            assert!(check(&p).is_err(), "{what} was accepted");
        }
    }
}
