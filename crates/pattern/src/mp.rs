//! Encoded terms: a MessagePack value read in place, for the Rust back end.
//! Malformed bytes never panic: what cannot be read is `undefined`.

use super::eval::{Kind, Term};
use rmp::Marker;

/// Extension types of bfly's codec (docs/PROTOCOL.md).
const EXT_PID: i8 = 1;
const EXT_SYMBOL: i8 = 3;
const EXT_BIGINT: i8 = 7;

/// A MessagePack value at the start of `buf`.
#[derive(Debug, Clone, Copy)]
pub struct Mp<'a> {
    buf: &'a [u8],
    undef: bool,
}

#[derive(Debug, Clone, Copy)]
enum Head {
    Nil,
    Bool(bool),
    Num(f64),
    /// An int64/uint64 beyond ±2^53: a BigInt in JS (src/kernel/codec.ts),
    /// whose decimal text is not in the bytes.
    Int,
    Str(usize),
    Bin(usize),
    Arr(usize),
    Map(usize),
    Ext(i8, usize),
    Bad,
}

fn be(b: &[u8], at: usize, n: usize) -> Option<u64> {
    let s = b.get(at..at + n)?;
    Some(s.iter().fold(0u64, |a, &x| (a << 8) | x as u64))
}

/// The header of the value at the start of `b` and the header's length.
fn head(b: &[u8]) -> (Head, usize) {
    let Some(&m) = b.first() else {
        return (Head::Bad, 0);
    };
    let len = |n: usize| be(b, 1, n).map(|x| x as usize);
    let r = match Marker::from_u8(m) {
        Marker::FixPos(v) => Some((Head::Num(v as f64), 1)),
        Marker::FixNeg(v) => Some((Head::Num(v as f64), 1)),
        Marker::Null => Some((Head::Nil, 1)),
        Marker::True => Some((Head::Bool(true), 1)),
        Marker::False => Some((Head::Bool(false), 1)),
        Marker::U8 => be(b, 1, 1).map(|x| (Head::Num(x as f64), 2)),
        Marker::U16 => be(b, 1, 2).map(|x| (Head::Num(x as f64), 3)),
        Marker::U32 => be(b, 1, 4).map(|x| (Head::Num(x as f64), 5)),
        Marker::U64 => be(b, 1, 8).map(|x| (int64(x as i128), 9)),
        Marker::I8 => be(b, 1, 1).map(|x| (Head::Num(x as u8 as i8 as f64), 2)),
        Marker::I16 => be(b, 1, 2).map(|x| (Head::Num(x as u16 as i16 as f64), 3)),
        Marker::I32 => be(b, 1, 4).map(|x| (Head::Num(x as u32 as i32 as f64), 5)),
        Marker::I64 => be(b, 1, 8).map(|x| (int64(x as i64 as i128), 9)),
        Marker::F32 => be(b, 1, 4).map(|x| (Head::Num(f32::from_bits(x as u32) as f64), 5)),
        Marker::F64 => be(b, 1, 8).map(|x| (Head::Num(f64::from_bits(x)), 9)),
        Marker::FixStr(n) => Some((Head::Str(n as usize), 1)),
        Marker::Str8 => len(1).map(|n| (Head::Str(n), 2)),
        Marker::Str16 => len(2).map(|n| (Head::Str(n), 3)),
        Marker::Str32 => len(4).map(|n| (Head::Str(n), 5)),
        Marker::Bin8 => len(1).map(|n| (Head::Bin(n), 2)),
        Marker::Bin16 => len(2).map(|n| (Head::Bin(n), 3)),
        Marker::Bin32 => len(4).map(|n| (Head::Bin(n), 5)),
        Marker::FixArray(n) => Some((Head::Arr(n as usize), 1)),
        Marker::Array16 => len(2).map(|n| (Head::Arr(n), 3)),
        Marker::Array32 => len(4).map(|n| (Head::Arr(n), 5)),
        Marker::FixMap(n) => Some((Head::Map(n as usize), 1)),
        Marker::Map16 => len(2).map(|n| (Head::Map(n), 3)),
        Marker::Map32 => len(4).map(|n| (Head::Map(n), 5)),
        Marker::FixExt1 => ext(b, 1, 1),
        Marker::FixExt2 => ext(b, 1, 2),
        Marker::FixExt4 => ext(b, 1, 4),
        Marker::FixExt8 => ext(b, 1, 8),
        Marker::FixExt16 => ext(b, 1, 16),
        Marker::Ext8 => len(1).and_then(|n| ext(b, 2, n)),
        Marker::Ext16 => len(2).and_then(|n| ext(b, 3, n)),
        Marker::Ext32 => len(4).and_then(|n| ext(b, 5, n)),
        Marker::Reserved => None,
    };
    match r {
        // Each element takes at least one byte: a count beyond the bytes
        // left is malformed (and must not drive a loop).
        Some((Head::Arr(n), hl)) if n > b.len().saturating_sub(hl) => (Head::Bad, 0),
        Some((Head::Map(n), hl)) if n.saturating_mul(2) > b.len().saturating_sub(hl) => {
            (Head::Bad, 0)
        }
        Some(x) => x,
        None => (Head::Bad, 0),
    }
}

/// A 64-bit integer as the JS codec decodes it: a Number within ±2^53
/// (exact there), a BigInt beyond.
fn int64(x: i128) -> Head {
    const SAFE: i128 = 1 << 53;
    if (-SAFE..=SAFE).contains(&x) {
        Head::Num(x as f64)
    } else {
        Head::Int
    }
}

fn ext(b: &[u8], type_at: usize, n: usize) -> Option<(Head, usize)> {
    let t = *b.get(type_at)? as i8;
    Some((Head::Ext(t, n), type_at + 1))
}

/// The total length of the value at the start of `b`, without recursion
/// (a counter of values still to skip), or None when malformed.
fn skip(b: &[u8]) -> Option<usize> {
    let mut at = 0usize;
    let mut pending = 1usize;
    while pending > 0 {
        pending -= 1;
        let (h, hl) = head(b.get(at..)?);
        at = at.checked_add(hl)?;
        match h {
            Head::Bad => return None,
            Head::Str(n) | Head::Bin(n) | Head::Ext(_, n) => at = at.checked_add(n)?,
            Head::Arr(n) => pending = pending.checked_add(n)?,
            Head::Map(n) => pending = pending.checked_add(n.checked_mul(2)?)?,
            _ => {}
        }
        if at > b.len() {
            return None;
        }
    }
    Some(at)
}

impl<'a> Mp<'a> {
    /// The value encoded at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Mp { buf, undef: false }
    }

    /// The exact bytes of this value (empty for `undefined` or malformed).
    pub fn bytes(&self) -> &'a [u8] {
        if self.undef {
            return &[];
        }
        skip(self.buf)
            .and_then(|n| self.buf.get(..n))
            .unwrap_or(&[])
    }

    fn at(&self, off: usize) -> Self {
        match self.buf.get(off..) {
            Some(b) if !b.is_empty() => Mp {
                buf: b,
                undef: false,
            },
            _ => Self::undefined(),
        }
    }

    /// The bytes of a string-like payload of `n` bytes after a header.
    fn payload(&self, hl: usize, n: usize) -> Option<&'a [u8]> {
        self.buf.get(hl..hl.checked_add(n)?)
    }

    /// The string inside an extension whose payload is one MessagePack string.
    fn ext_text(&self, hl: usize, n: usize) -> Option<&'a str> {
        let p = self.payload(hl, n)?;
        let (h, l) = head(p);
        match h {
            Head::Str(sn) => std::str::from_utf8(p.get(l..l.checked_add(sn)?)?).ok(),
            _ => None,
        }
    }
}

impl Term for Mp<'_> {
    fn undefined() -> Self {
        Mp {
            buf: &[],
            undef: true,
        }
    }

    fn kind(&self) -> Kind {
        if self.undef {
            return Kind::Undefined;
        }
        match head(self.buf).0 {
            Head::Nil => Kind::Null,
            Head::Bool(_) => Kind::Bool,
            Head::Num(_) => Kind::Num,
            Head::Str(_) => Kind::Str,
            Head::Arr(_) => Kind::Array,
            Head::Map(_) => Kind::Object,
            Head::Ext(EXT_PID, _) => Kind::Pid,
            Head::Ext(EXT_SYMBOL, _) => Kind::Sym,
            Head::Ext(EXT_BIGINT, _) | Head::Int => Kind::Big,
            Head::Bin(_) | Head::Ext(..) => Kind::Opaque,
            Head::Bad => Kind::Undefined,
        }
    }

    fn num(&self) -> Option<f64> {
        match head(self.buf).0 {
            Head::Num(x) if !self.undef => Some(x),
            _ => None,
        }
    }

    fn boolean(&self) -> Option<bool> {
        match head(self.buf).0 {
            Head::Bool(b) if !self.undef => Some(b),
            _ => None,
        }
    }

    fn text(&self) -> Option<&str> {
        if self.undef {
            return None;
        }
        match head(self.buf) {
            (Head::Str(n), hl) => std::str::from_utf8(self.payload(hl, n)?).ok(),
            (Head::Ext(EXT_SYMBOL | EXT_BIGINT, n), hl) => self.ext_text(hl, n),
            _ => None,
        }
    }

    fn array_len(&self) -> Option<usize> {
        match head(self.buf).0 {
            Head::Arr(n) if !self.undef => Some(n),
            _ => None,
        }
    }

    fn index(&self, i: usize) -> Self {
        let (Head::Arr(n), mut at) = head(self.buf) else {
            return Self::undefined();
        };
        if self.undef || i >= n {
            return Self::undefined();
        }
        for _ in 0..i {
            match self.buf.get(at..).and_then(skip) {
                Some(l) => at += l,
                None => return Self::undefined(),
            }
        }
        self.at(at)
    }

    fn items(&self, from: usize) -> Vec<Self> {
        let (Head::Arr(n), mut at) = head(self.buf) else {
            return vec![];
        };
        if self.undef {
            return vec![];
        }
        let mut out = Vec::with_capacity(n.saturating_sub(from));
        for i in 0..n {
            if i >= from {
                out.push(self.at(at));
            }
            match self.buf.get(at..).and_then(skip) {
                Some(l) => at += l,
                None => break,
            }
        }
        out
    }

    fn has(&self, k: &str) -> bool {
        !self.key(k).undef
    }

    fn key(&self, k: &str) -> Self {
        let (Head::Map(n), mut at) = head(self.buf) else {
            return Self::undefined();
        };
        if self.undef {
            return Self::undefined();
        }
        // The last occurrence wins, as when a JS decoder assigns keys in order.
        let mut found = Self::undefined();
        for _ in 0..n {
            let key = self.at(at);
            let Some(kl) = self.buf.get(at..).and_then(skip) else {
                return Self::undefined();
            };
            at += kl;
            let is_k = key.kind() == Kind::Str && key.text() == Some(k);
            if is_k {
                found = self.at(at);
            }
            let Some(vl) = self.buf.get(at..).and_then(skip) else {
                return Self::undefined();
            };
            at += vl;
        }
        found
    }
}
