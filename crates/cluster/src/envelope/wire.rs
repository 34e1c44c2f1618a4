//! The field encodings of distribution frames: ids as u64 little-endian,
//! strings as a u16 little-endian length and UTF-8 (at most `MAX_STR`
//! bytes), and a tail that is the rest of the frame. Reads check every
//! length before they take bytes.

use super::{term, BadFrame, Proof, MAX_STR};

pub(super) struct W(pub(super) Vec<u8>);

impl W {
    /// Starts frame `op` over `v` (cleared; its capacity kept), reserving `cap` more bytes.
    /// Appends a frame with opcode `op` (and about `cap` bytes after it) to `v`.
    pub(super) fn start(mut v: Vec<u8>, op: u8, cap: usize) -> Self {
        v.reserve(cap + 1);
        v.push(op);
        W(v)
    }
    pub(super) fn id(mut self, x: u64) -> Self {
        self.0.extend_from_slice(&x.to_le_bytes());
        self
    }
    pub(super) fn byte(mut self, b: u8) -> Self {
        self.0.push(b);
        self
    }
    pub(super) fn u32(mut self, x: u32) -> Self {
        self.0.extend_from_slice(&x.to_le_bytes());
        self
    }
    /// An optional last byte: present or not at all.
    pub(super) fn opt(self, b: Option<u8>) -> Self {
        match b {
            Some(b) => self.byte(b),
            None => self,
        }
    }
    /// An identity key and proof (64 bytes), or nothing.
    pub(super) fn proof(mut self, p: Option<Proof<'_>>) -> Self {
        if let Some((key, proof)) = p {
            self.0.extend_from_slice(key);
            self.0.extend_from_slice(proof);
        }
        self
    }
    pub(super) fn str(mut self, s: &str) -> Self {
        // Longer strings are cut at a char boundary (names are checked
        // before they get here; details are informative).
        let mut n = s.len().min(MAX_STR);
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        self.0.extend_from_slice(&(n as u16).to_le_bytes());
        self.0.extend_from_slice(&s.as_bytes()[..n]);
        self
    }
    pub(super) fn tail(mut self, t: &[u8]) -> Vec<u8> {
        self.0.extend_from_slice(t);
        self.0
    }
}

pub(super) struct R<'a>(pub(super) &'a [u8]);

impl<'a> R<'a> {
    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], BadFrame> {
        if self.0.len() < n {
            return Err(BadFrame("frame cut short"));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    pub(super) fn id(&mut self) -> Result<u64, BadFrame> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    pub(super) fn byte(&mut self) -> Result<u8, BadFrame> {
        Ok(self.take(1)?[0])
    }
    pub(super) fn u32(&mut self) -> Result<u32, BadFrame> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// A u16 little-endian count of the entries that follow.
    pub(super) fn count(&mut self) -> Result<usize, BadFrame> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]) as usize)
    }
    /// An optional last byte (fields added after a frame was first defined).
    pub(super) fn opt(&mut self) -> Result<Option<u8>, BadFrame> {
        if self.0.is_empty() {
            return Ok(None);
        }
        self.byte().map(Some)
    }
    /// An optional identity key and proof after the features: 64 bytes or none.
    pub(super) fn proof(&mut self) -> Result<Option<Proof<'a>>, BadFrame> {
        if self.0.is_empty() {
            return Ok(None);
        }
        let key = self
            .take(32)?
            .try_into()
            .map_err(|_| BadFrame("frame cut short"))?;
        let proof = self
            .take(32)?
            .try_into()
            .map_err(|_| BadFrame("frame cut short"))?;
        Ok(Some((key, proof)))
    }
    pub(super) fn flag(&mut self) -> Result<bool, BadFrame> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(BadFrame("flag not 0 or 1")),
        }
    }
    pub(super) fn str(&mut self) -> Result<&'a str, BadFrame> {
        let b = self.take(2)?;
        let n = u16::from_le_bytes([b[0], b[1]]) as usize;
        if n > MAX_STR {
            return Err(BadFrame("string too long"));
        }
        std::str::from_utf8(self.take(n)?).map_err(|_| BadFrame("string not UTF-8"))
    }
    /// The rest: exactly one well-formed term (`term::check`).
    pub(super) fn tail(&mut self) -> Result<&'a [u8], BadFrame> {
        if self.0.is_empty() {
            return Err(BadFrame("missing term"));
        }
        term::check(self.0)?;
        Ok(std::mem::take(&mut self.0))
    }
    /// A tail that is an array of one of `sizes` elements whose first is
    /// `first` (`term::shaped`).
    pub(super) fn shaped(
        &mut self,
        sizes: &[usize],
        first: Option<i8>,
        why: &'static str,
    ) -> Result<&'a [u8], BadFrame> {
        let t = self.tail()?;
        if !term::shaped(t, sizes, first) {
            return Err(BadFrame(why));
        }
        Ok(t)
    }
}
