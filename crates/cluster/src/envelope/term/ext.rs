//! The payloads of bfly's extension types (pid, ref, symbol, error,
//! bigint, TVar, Date), which `check` meets inside a value: each a fixed
//! shape of scalars, checked exactly (a map's and a set's payloads are
//! values, which `check` walks itself).

use super::{be, head, BadTerm, Head, MAX_BIGINT, MAX_ID};

pub(super) const EXT_PID: i8 = 1;
pub(super) const EXT_REF: i8 = 2;
pub(super) const EXT_SYMBOL: i8 = 3;
pub(super) const EXT_ERROR: i8 = 4;
pub(super) const EXT_MAP: i8 = 5;
pub(super) const EXT_SET: i8 = 6;
pub(super) const EXT_BIGINT: i8 = 7;
pub(super) const EXT_TVAR: i8 = 8;
pub(super) const EXT_DATE: i8 = -1;

/// Levels this extension adds to the depth (its own and its payload's).
pub(super) fn ext_levels(t: i8) -> usize {
    match t {
        EXT_SYMBOL | EXT_BIGINT | EXT_DATE => 1,
        _ => 2,
    }
}

/// The payload of an extension other than Map and Set, which is exactly
/// `d`: a fixed shape of scalars.
pub(super) fn leaf(t: i8, d: &[u8]) -> Result<(), BadTerm> {
    let mut r = Fields { d, at: 0 };
    match t {
        EXT_PID | EXT_REF => {
            r.array(2, "a pid or ref whose payload is not [node, id]")?;
            r.str("a pid or ref whose node is not a string")?;
            r.id("a pid or ref whose id is not an integer from 0 to 2^53-1")?;
        }
        EXT_TVAR => {
            r.array(2, "a TVar whose payload is not [instance, id]")?;
            r.id("a TVar whose instance is not an integer from 0 to 2^53-1")?;
            r.id("a TVar whose id is not an integer from 0 to 2^53-1")?;
        }
        EXT_SYMBOL => {
            r.str("a Symbol whose key is not a string")?;
        }
        EXT_ERROR => {
            r.array(3, "an Error whose payload is not [name, message, stack]")?;
            r.str("an Error whose name is not a string")?;
            r.str("an Error whose message is not a string")?;
            if d.get(r.at) == Some(&0xc0) {
                r.at += 1;
            } else {
                r.str("an Error whose stack is not a string or nil")?;
            }
        }
        EXT_BIGINT => {
            let (s, e) = r.str("a BigInt whose payload is not a string")?;
            let digits = d[s..e].strip_prefix(b"-").unwrap_or(&d[s..e]);
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return Err(BadTerm("a BigInt that is not decimal digits"));
            }
            if e - s > MAX_BIGINT {
                return Err(BadTerm("a BigInt over 65,536 characters"));
            }
        }
        EXT_DATE => return date(d),
        _ => return Err(BadTerm("an unknown extension type")),
    }
    if r.at != d.len() {
        return Err(BadTerm("extension data is not exactly its payload"));
    }
    Ok(())
}

/// MessagePack's timestamp: 4, 8 or 12 bytes with nanoseconds below 10^9;
/// or the one byte `ff` that JS writes for an invalid Date.
fn date(d: &[u8]) -> Result<(), BadTerm> {
    let nanos = match d.len() {
        1 if d[0] == 0xff => 0,
        4 => 0,
        8 => be(d, 0, 4)? >> 2,
        12 => be(d, 0, 4)?,
        _ => return Err(BadTerm("a Date that is not a MessagePack timestamp")),
    };
    if nanos > 999_999_999 {
        return Err(BadTerm("a Date with nanoseconds over 999,999,999"));
    }
    Ok(())
}

/// Reads the fixed fields of an extension payload.
struct Fields<'a> {
    d: &'a [u8],
    at: usize,
}

impl Fields<'_> {
    fn array(&mut self, n: usize, why: &'static str) -> Result<(), BadTerm> {
        match head(self.d, self.at).map_err(|_| BadTerm(why))? {
            (Head::Arr(c), body) if c == n => {
                self.at = body;
                Ok(())
            }
            _ => Err(BadTerm(why)),
        }
    }
    /// A string's byte range.
    fn str(&mut self, why: &'static str) -> Result<(usize, usize), BadTerm> {
        match head(self.d, self.at).map_err(|_| BadTerm(why))? {
            (Head::Str(n), body) => {
                self.at = body + n;
                Ok((body, body + n))
            }
            _ => Err(BadTerm(why)),
        }
    }
    fn id(&mut self, why: &'static str) -> Result<(), BadTerm> {
        match head(self.d, self.at).map_err(|_| BadTerm(why))? {
            (Head::Uint(v), body) if v <= MAX_ID => {
                self.at = body;
                Ok(())
            }
            _ => Err(BadTerm(why)),
        }
    }
}
