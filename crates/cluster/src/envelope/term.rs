//! The check every value from a peer passes before a frame is routed
//! (docs/PROTOCOL.md, section 1.1): exactly one MessagePack value (not
//! truncated, nothing left over), at most `MAX_DEPTH` levels deep, map keys
//! that are strings, and every extension one of bfly's codec types with a
//! well-formed payload. What passes decodes in the JS codec without an
//! error; what fails is a protocol error that closes the link, so a
//! malformed value never reaches a process (as Erlang closes a connection
//! on a term it cannot decode).
//!
//! One pass over the bytes, no allocation: containers still open are kept
//! on a fixed stack of `MAX_DEPTH` entries, so depth can never overflow the
//! thread's stack.

use ext::{ext_levels, leaf, EXT_MAP, EXT_SET};
use rmp::Marker;

/// The deepest value a peer may send: arrays, maps and extensions each
/// count one level, and an extension's payload sits one level inside it
/// (a pid at the top is 2 deep, `[[1]]` is 2). The JS encoder refuses
/// deeper values, and JS decodes this depth with room to spare.
pub const MAX_DEPTH: usize = 512;

/// The longest BigInt payload (characters, sign included): V8 parses
/// decimal strings in superlinear time, and this keeps the cost per byte
/// near that of the rest of a message.
pub const MAX_BIGINT: usize = 65_536;

/// The largest id a pid, ref or TVar may carry: JS numbers are exact below 2^53.
const MAX_ID: u64 = (1 << 53) - 1;

/// Why a value was refused. Carries no data from the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadTerm(pub &'static str);

/// A value's header.
#[derive(Debug, Clone, Copy)]
enum Head {
    Scalar,
    /// An integer that is not negative, or a float holding one: its value.
    Uint(u64),
    Str(usize),
    Bin(usize),
    Arr(usize),
    Map(usize),
    Ext(i8, usize),
}

/// The `n`-byte (1, 2, 4 or 8) big-endian integer at `b[at..]`.
fn be(b: &[u8], at: usize, n: usize) -> Result<u64, BadTerm> {
    let s = b
        .get(at..at.saturating_add(n))
        .ok_or(BadTerm("value cut short"))?;
    let mut x = [0u8; 8];
    x[8 - n..].copy_from_slice(s);
    Ok(u64::from_be_bytes(x))
}

/// A float that holds an id (JS writes integers from 2^32 on as float64).
fn float_id(f: f64) -> Head {
    // In range, `as` is exact for integers (no call to trunc).
    if f >= 0.0 && f <= MAX_ID as f64 && (f as u64) as f64 == f {
        Head::Uint(f as u64)
    } else {
        Head::Scalar
    }
}

/// The header of the value at `b[at..]` and where its body starts. Strings,
/// binaries and extension data must fit in `b`; a container's count must
/// not exceed the bytes left (each element takes one at least).
fn head(b: &[u8], at: usize) -> Result<(Head, usize), BadTerm> {
    let m = *b.get(at).ok_or(BadTerm("value cut short"))?;
    let len = |n: usize| be(b, at + 1, n).map(|x| x as usize);
    let int = |n: usize| be(b, at + 1, n);
    let (h, hl) = match Marker::from_u8(m) {
        Marker::FixPos(v) => (Head::Uint(u64::from(v)), 1),
        Marker::U8 => (Head::Uint(int(1)?), 2),
        Marker::U16 => (Head::Uint(int(2)?), 3),
        Marker::U32 => (Head::Uint(int(4)?), 5),
        Marker::U64 => (Head::Uint(int(8)?), 9),
        Marker::I8 => (signed(int(1)? as u8 as i8 as i64), 2),
        Marker::I16 => (signed(int(2)? as u16 as i16 as i64), 3),
        Marker::I32 => (signed(int(4)? as u32 as i32 as i64), 5),
        Marker::I64 => (signed(int(8)? as i64), 9),
        Marker::F32 => (float_id(f64::from(f32::from_bits(int(4)? as u32))), 5),
        Marker::F64 => (float_id(f64::from_bits(int(8)?)), 9),
        Marker::FixNeg(_) | Marker::Null | Marker::True | Marker::False => (Head::Scalar, 1),
        Marker::FixStr(n) => (Head::Str(n as usize), 1),
        Marker::Str8 => (Head::Str(len(1)?), 2),
        Marker::Str16 => (Head::Str(len(2)?), 3),
        Marker::Str32 => (Head::Str(len(4)?), 5),
        Marker::Bin8 => (Head::Bin(len(1)?), 2),
        Marker::Bin16 => (Head::Bin(len(2)?), 3),
        Marker::Bin32 => (Head::Bin(len(4)?), 5),
        Marker::FixArray(n) => (Head::Arr(n as usize), 1),
        Marker::Array16 => (Head::Arr(len(2)?), 3),
        Marker::Array32 => (Head::Arr(len(4)?), 5),
        Marker::FixMap(n) => (Head::Map(n as usize), 1),
        Marker::Map16 => (Head::Map(len(2)?), 3),
        Marker::Map32 => (Head::Map(len(4)?), 5),
        Marker::FixExt1 => (Head::Ext(ext_type(b, at + 1)?, 1), 2),
        Marker::FixExt2 => (Head::Ext(ext_type(b, at + 1)?, 2), 2),
        Marker::FixExt4 => (Head::Ext(ext_type(b, at + 1)?, 4), 2),
        Marker::FixExt8 => (Head::Ext(ext_type(b, at + 1)?, 8), 2),
        Marker::FixExt16 => (Head::Ext(ext_type(b, at + 1)?, 16), 2),
        Marker::Ext8 => (Head::Ext(ext_type(b, at + 2)?, len(1)?), 3),
        Marker::Ext16 => (Head::Ext(ext_type(b, at + 3)?, len(2)?), 4),
        Marker::Ext32 => (Head::Ext(ext_type(b, at + 5)?, len(4)?), 6),
        Marker::Reserved => return Err(BadTerm("the reserved byte c1")),
    };
    let body = at + hl;
    let left = b.len().saturating_sub(body);
    let fits = match h {
        Head::Str(n) | Head::Bin(n) | Head::Ext(_, n) => n <= left,
        Head::Arr(n) => n <= left,
        Head::Map(n) => n.saturating_mul(2) <= left,
        Head::Scalar | Head::Uint(_) => body <= b.len(),
    };
    if !fits {
        return Err(BadTerm("value cut short"));
    }
    Ok((h, body))
}

fn signed(v: i64) -> Head {
    u64::try_from(v).map_or(Head::Scalar, Head::Uint)
}

fn ext_type(b: &[u8], at: usize) -> Result<i8, BadTerm> {
    b.get(at)
        .map(|&t| t as i8)
        .ok_or(BadTerm("value cut short"))
}

/// Open containers: `(count << 2) | kind`, count being what is left to
/// read, or for `END` the offset where an extension's data ends.
struct Stack<'s> {
    items: &'s mut [u64],
    len: usize,
}

/// Levels a check holds on a small stack first; a deeper value is checked
/// again with room for `MAX_DEPTH` (clearing 4 KiB for every message cost
/// more than the check of a 100-byte one).
const SHALLOW: usize = 32;

/// The small stack ran out (not an error: the caller retries).
const SHALLOW_FULL: BadTerm = BadTerm("shallow stack full");

const ARR: u64 = 0;
const MAP: u64 = 1;
const END: u64 = 2;

impl Stack<'_> {
    fn room(&self, levels: usize) -> Result<(), BadTerm> {
        if self.len + levels > self.items.len() {
            return Err(if self.items.len() < MAX_DEPTH {
                SHALLOW_FULL
            } else {
                BadTerm("value nested deeper than 512 levels")
            });
        }
        Ok(())
    }
    fn push(&mut self, kind: u64, n: usize) {
        // `room` was checked by the caller.
        self.items[self.len] = ((n as u64) << 2) | kind;
        self.len += 1;
    }
}

/// Checks that `b` is exactly one well-formed value (see the module doc).
pub fn check(b: &[u8]) -> Result<(), BadTerm> {
    // A lone string or binary (raw bytes streamed) is whole when its length is.
    if let Ok((Head::Str(n) | Head::Bin(n), body)) = head(b, 0) {
        if body + n == b.len() {
            return Ok(());
        }
    }
    match check_on(b, &mut [0; SHALLOW]) {
        Err(SHALLOW_FULL) => check_on(b, &mut [0; MAX_DEPTH]),
        r => r,
    }
}

fn check_on(b: &[u8], stack: &mut [u64]) -> Result<(), BadTerm> {
    let mut s = Stack {
        items: stack,
        len: 0,
    };
    let mut at = 0usize;
    let mut first = true;
    loop {
        // Close what is complete, then take the next element's slot.
        let key = loop {
            let Some(&top) = s.items[..s.len].last() else {
                if first {
                    break false;
                }
                return if at == b.len() {
                    Ok(())
                } else {
                    Err(BadTerm("bytes left over after the value"))
                };
            };
            let (n, kind) = ((top >> 2) as usize, top & 3);
            if kind == END {
                if at != n {
                    return Err(BadTerm("extension data is not exactly its payload"));
                }
                s.len -= 1;
            } else if n == 0 {
                s.len -= 1;
            } else {
                s.items[s.len - 1] = top - 4;
                break kind == MAP && n % 2 == 0;
            }
        };
        first = false;
        // Fast path: one-byte scalars and short strings (most of a message).
        match b.get(at) {
            Some(&m) if !key && (!(0x80..0xe0).contains(&m) || matches!(m, 0xc0 | 0xc2 | 0xc3)) => {
                at += 1;
                continue;
            }
            Some(&m) if m & 0xe0 == 0xa0 => {
                at += 1 + (m & 0x1f) as usize;
                if at > b.len() {
                    return Err(BadTerm("value cut short"));
                }
                continue;
            }
            // Short arrays and maps: no length field to read.
            Some(&m) if !key && m & 0xe0 == 0x80 => {
                s.room(1)?;
                let (kind, n) = if m < 0x90 {
                    (MAP, 2 * (m & 0x0f) as usize)
                } else {
                    (ARR, (m & 0x0f) as usize)
                };
                at += 1;
                if n > b.len() - at {
                    return Err(BadTerm("value cut short"));
                }
                s.push(kind, n);
                continue;
            }
            _ => {}
        }
        let (h, body) = head(b, at)?;
        at = body;
        if key && !matches!(h, Head::Str(_)) {
            return Err(BadTerm("a map key that is not a string"));
        }
        match h {
            Head::Scalar | Head::Uint(_) => {}
            Head::Str(n) | Head::Bin(n) => at += n,
            Head::Arr(n) => {
                s.room(1)?;
                s.push(ARR, n);
            }
            Head::Map(n) => {
                s.room(1)?;
                s.push(MAP, 2 * n);
            }
            Head::Ext(t, n) => {
                s.room(ext_levels(t))?;
                let end = at + n;
                if t == EXT_MAP || t == EXT_SET {
                    let (Head::Arr(count), inner) = head(b, at)? else {
                        return Err(BadTerm("a Map or Set whose payload is not an array"));
                    };
                    if t == EXT_MAP && count % 2 != 0 {
                        return Err(BadTerm("a Map with an odd number of keys and values"));
                    }
                    if inner > end {
                        return Err(BadTerm("extension data is not exactly its payload"));
                    }
                    s.push(END, end);
                    s.push(ARR, count);
                    at = inner;
                } else {
                    leaf(t, &b[at..end])?;
                    at = end;
                }
            }
        }
    }
}

/// Whether `b` (already checked) is an array of `n` elements, `n` in
/// `sizes`, whose first element starts with one of the `first` headers
/// (`Some(t)`: an extension of type `t`; `None`: a boolean). For the
/// frames whose tail has a fixed outer shape (Reply, Answer).
pub fn shaped(b: &[u8], sizes: &[usize], first: Option<i8>) -> bool {
    let Ok((Head::Arr(n), at)) = head(b, 0) else {
        return false;
    };
    if !sizes.contains(&n) {
        return false;
    }
    match first {
        Some(t) => matches!(head(b, at), Ok((Head::Ext(x, _), _)) if x == t),
        None => matches!(b.get(at), Some(0xc2 | 0xc3)),
    }
}

/// The extension type of a ref, for `shaped`.
pub const REF: i8 = ext::EXT_REF;

mod ext;
#[cfg(test)]
mod tests;
