//! Differential mutation fuzzing (tools/fuzz/mutate.rs; `npm run fuzz` for
//! the long run) of the arrival check of values (`envelope::term::check`,
//! docs/PROTOCOL.md 1.1): it never panics, and it accepts exactly what a
//! second, deliberately different implementation of the same rules
//! accepts (recursive, depth-bounded, each extension's data parsed as its
//! own slice instead of within the message).

#[path = "../../../tools/fuzz/mutate.rs"]
mod mutate;

use bfly_cluster::envelope::term::{check, MAX_BIGINT, MAX_DEPTH};

/// The reference: Ok when `b` is exactly one acceptable value.
fn reference(b: &[u8]) -> bool {
    let mut r = Reader { b, p: 0 };
    r.value(0, false).is_some() && r.p == b.len()
}

struct Reader<'a> {
    b: &'a [u8],
    p: usize,
}

enum Kind {
    Scalar,
    Uint(u64),
    Str(usize),
    Bin(usize),
    Array(usize),
    Map(usize),
    Ext(i8, usize),
}

const MAX_ID: u64 = (1 << 53) - 1;

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let s = self.b.get(self.p..self.p.checked_add(n)?)?;
        self.p += n;
        Some(s)
    }
    fn be(&mut self, n: usize) -> Option<u64> {
        Some(
            self.take(n)?
                .iter()
                .fold(0, |a, &x| (a << 8) | u64::from(x)),
        )
    }
    fn float(f: f64) -> Kind {
        if (0.0..=MAX_ID as f64).contains(&f) && f.trunc() == f {
            Kind::Uint(f as u64)
        } else {
            Kind::Scalar
        }
    }
    fn int(v: i64) -> Kind {
        if v >= 0 {
            Kind::Uint(v as u64)
        } else {
            Kind::Scalar
        }
    }
    fn kind(&mut self) -> Option<Kind> {
        let m = *self.take(1)?.first()?;
        Some(match m {
            0x00..=0x7f => Kind::Uint(u64::from(m)),
            0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => Kind::Scalar,
            0x80..=0x8f => Kind::Map(usize::from(m & 0x0f)),
            0x90..=0x9f => Kind::Array(usize::from(m & 0x0f)),
            0xa0..=0xbf => Kind::Str(usize::from(m & 0x1f)),
            0xc4 => Kind::Bin(self.be(1)? as usize),
            0xc5 => Kind::Bin(self.be(2)? as usize),
            0xc6 => Kind::Bin(self.be(4)? as usize),
            0xc7 => {
                let n = self.be(1)? as usize;
                Kind::Ext(self.be(1)? as u8 as i8, n)
            }
            0xc8 => {
                let n = self.be(2)? as usize;
                Kind::Ext(self.be(1)? as u8 as i8, n)
            }
            0xc9 => {
                let n = self.be(4)? as usize;
                Kind::Ext(self.be(1)? as u8 as i8, n)
            }
            0xca => Self::float(f64::from(f32::from_bits(self.be(4)? as u32))),
            0xcb => Self::float(f64::from_bits(self.be(8)?)),
            0xcc => Kind::Uint(self.be(1)?),
            0xcd => Kind::Uint(self.be(2)?),
            0xce => Kind::Uint(self.be(4)?),
            0xcf => Kind::Uint(self.be(8)?),
            0xd0 => Self::int(i64::from(self.be(1)? as u8 as i8)),
            0xd1 => Self::int(i64::from(self.be(2)? as u16 as i16)),
            0xd2 => Self::int(i64::from(self.be(4)? as u32 as i32)),
            0xd3 => Self::int(self.be(8)? as i64),
            0xd4..=0xd8 => Kind::Ext(self.be(1)? as u8 as i8, 1 << (m - 0xd4)),
            0xd9 => Kind::Str(self.be(1)? as usize),
            0xda => Kind::Str(self.be(2)? as usize),
            0xdb => Kind::Str(self.be(4)? as usize),
            0xdc => Kind::Array(self.be(2)? as usize),
            0xdd => Kind::Array(self.be(4)? as usize),
            0xde => Kind::Map(self.be(2)? as usize),
            0xdf => Kind::Map(self.be(4)? as usize),
            0xc1 => return None,
        })
    }
    fn str(&mut self) -> Option<&[u8]> {
        match self.kind()? {
            Kind::Str(n) => self.take(n),
            _ => None,
        }
    }
    fn uint(&mut self) -> Option<()> {
        matches!(self.kind()?, Kind::Uint(v) if v <= MAX_ID).then_some(())
    }
    fn array(&mut self) -> Option<usize> {
        match self.kind()? {
            Kind::Array(n) => Some(n),
            _ => None,
        }
    }

    /// One value, `depth` levels inside the top.
    fn value(&mut self, depth: usize, key: bool) -> Option<()> {
        let k = self.kind()?;
        if key && !matches!(k, Kind::Str(_)) {
            return None;
        }
        match k {
            Kind::Scalar | Kind::Uint(_) => Some(()),
            Kind::Str(n) | Kind::Bin(n) => self.take(n).map(|_| ()),
            Kind::Array(n) => {
                (depth < MAX_DEPTH).then_some(())?;
                (0..n).try_for_each(|_| self.value(depth + 1, false))
            }
            Kind::Map(n) => {
                (depth < MAX_DEPTH).then_some(())?;
                (0..n).try_for_each(|_| {
                    self.value(depth + 1, true)?;
                    self.value(depth + 1, false)
                })
            }
            Kind::Ext(t, n) => {
                let d = self.take(n)?;
                ext(t, d, depth)
            }
        }
    }
}

/// An extension of type `t` whose data is `d`, at `depth`.
fn ext(t: i8, d: &[u8], depth: usize) -> Option<()> {
    let mut r = Reader { b: d, p: 0 };
    let levels = if matches!(t, 3 | 7 | -1) { 1 } else { 2 };
    (depth + levels <= MAX_DEPTH).then_some(())?;
    match t {
        1 | 2 => {
            (r.array()? == 2).then_some(())?;
            r.str()?;
            r.uint()?;
        }
        8 => {
            (r.array()? == 2).then_some(())?;
            r.uint()?;
            r.uint()?;
        }
        3 => {
            r.str()?;
        }
        4 => {
            (r.array()? == 3).then_some(())?;
            r.str()?;
            r.str()?;
            if d.get(r.p) == Some(&0xc0) {
                r.p += 1;
            } else {
                r.str()?;
            }
        }
        5 | 6 => {
            let n = r.array()?;
            (t == 6 || n % 2 == 0).then_some(())?;
            for _ in 0..n {
                r.value(depth + 2, false)?;
            }
        }
        7 => {
            let s = r.str()?;
            let digits = s.strip_prefix(b"-").unwrap_or(s);
            let ok = !digits.is_empty()
                && digits.iter().all(u8::is_ascii_digit)
                && s.len() <= MAX_BIGINT;
            ok.then_some(())?;
        }
        -1 => {
            let nanos = match d.len() {
                1 if d[0] == 0xff => 0,
                4 => 0,
                8 => r.be(4)? >> 2,
                12 => r.be(4)?,
                _ => return None,
            };
            (nanos <= 999_999_999).then_some(())?;
            r.p = d.len();
        }
        _ => return None,
    }
    (r.p == d.len()).then_some(())
}

/// Values of every kind, as hex: scalars, a map, a pid and a ref (one id a
/// float64), an Error, a Map, a Set holding a Map holding a pid, a BigInt, a
/// TVar, Dates (32, 64 and 96 bits, invalid), a call, and depths around the bound.
fn seeds() -> Vec<Vec<u8>> {
    let hex = |s: &str| -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    };
    let mut out: Vec<Vec<u8>> = [
        "c0",
        "93c3ff7f",
        "82a161cb3ff8000000000000a162c402dead",
        "c7060192a361406807",
        "c70e0292a36140 68cb4270000000000000",
        "c7110493a954797065457272 6f72a4626f6f6dc0",
        "c70c0691c708059201c7030192a000",
        "d607a32d3132",
        "c703089203 04",
        "d6ff00000001",
        "d7ff0000000400000001",
        "c70cff00000000ffffffffffffff00",
        "d4ffff",
        "93a52463616c6c92c7030192a001c7030292a002a470696e67",
    ]
    .iter()
    .map(|s| hex(&s.replace(' ', "")))
    .collect();
    for n in [MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1] {
        out.push([vec![0x91; n], vec![0xc0]].concat());
    }
    out
}

#[test]
fn the_reference_agrees_on_the_seeds() {
    let seeds = seeds();
    for (i, s) in seeds.iter().enumerate() {
        // All are well-formed but the last (one level too deep).
        assert_eq!(check(s).is_ok(), i + 1 < seeds.len(), "{s:02x?}");
        assert_eq!(check(s).is_ok(), reference(s), "{s:02x?}");
    }
    assert!(reference(&[0xc0]) && !reference(&[0xc0, 0xc0]));
}

#[test]
fn fuzz_term_check() {
    mutate::run("term", seeds(), 4096, |input| {
        let ours = check(input);
        assert_eq!(
            ours.is_ok(),
            reference(input),
            "term::check says {ours:?} for {input:02x?}"
        );
        ours.is_ok()
    });
}
