//! A plain value tree implementing `Term`, and its MessagePack encoding in
//! bfly's codec: for tests that compare the back ends and for fuzzing.

use super::eval::{Kind, Term};

/// A JS value as far as patterns and the codec are concerned.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Big(String),
    Sym(String),
    Arr(Vec<V>),
    Obj(Vec<(String, V)>),
    Pid(String, u32),
}

/// A borrowed `V`, or `undefined`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VRef<'a>(pub Option<&'a V>);

impl Term for VRef<'_> {
    fn undefined() -> Self {
        VRef(None)
    }
    fn kind(&self) -> Kind {
        match self.0 {
            None => Kind::Undefined,
            Some(V::Null) => Kind::Null,
            Some(V::Bool(_)) => Kind::Bool,
            Some(V::Num(_)) => Kind::Num,
            Some(V::Str(_)) => Kind::Str,
            Some(V::Big(_)) => Kind::Big,
            Some(V::Sym(_)) => Kind::Sym,
            Some(V::Arr(_)) => Kind::Array,
            Some(V::Obj(_)) => Kind::Object,
            Some(V::Pid(..)) => Kind::Pid,
        }
    }
    fn num(&self) -> Option<f64> {
        match self.0 {
            Some(V::Num(x)) => Some(*x),
            _ => None,
        }
    }
    fn boolean(&self) -> Option<bool> {
        match self.0 {
            Some(V::Bool(b)) => Some(*b),
            _ => None,
        }
    }
    fn text(&self) -> Option<&str> {
        match self.0 {
            Some(V::Str(s) | V::Big(s) | V::Sym(s)) => Some(s),
            _ => None,
        }
    }
    fn array_len(&self) -> Option<usize> {
        match self.0 {
            Some(V::Arr(a)) => Some(a.len()),
            _ => None,
        }
    }
    fn index(&self, i: usize) -> Self {
        match self.0 {
            Some(V::Arr(a)) => VRef(a.get(i)),
            _ => VRef(None),
        }
    }
    fn key(&self, k: &str) -> Self {
        match self.0 {
            Some(V::Obj(o)) => VRef(o.iter().rev().find(|(x, _)| x == k).map(|(_, v)| v)),
            _ => VRef(None),
        }
    }
    fn has(&self, k: &str) -> bool {
        matches!(self.0, Some(V::Obj(o)) if o.iter().any(|(x, _)| x == k))
    }
}

/// Encodes `v` as bfly's codec does (MessagePack plus extension types).
pub fn encode(v: &V, out: &mut Vec<u8>) {
    use rmp::encode as e;
    // Writing into a Vec cannot fail.
    match v {
        V::Null => e::write_nil(out).unwrap_or(()),
        V::Bool(b) => e::write_bool(out, *b).unwrap_or(()),
        V::Num(x) if x.fract() == 0.0 && x.abs() < 1e15 && !(*x == 0.0 && x.is_sign_negative()) => {
            e::write_sint(out, *x as i64).map(|_| ()).unwrap_or(())
        }
        V::Num(x) => e::write_f64(out, *x).unwrap_or(()),
        V::Str(s) => e::write_str(out, s).unwrap_or(()),
        V::Big(s) => ext_str(out, 7, s),
        V::Sym(s) => ext_str(out, 3, s),
        V::Arr(a) => {
            e::write_array_len(out, a.len() as u32)
                .map(|_| ())
                .unwrap_or(());
            a.iter().for_each(|x| encode(x, out));
        }
        V::Obj(o) => {
            e::write_map_len(out, o.len() as u32)
                .map(|_| ())
                .unwrap_or(());
            for (k, x) in o {
                e::write_str(out, k).unwrap_or(());
                encode(x, out);
            }
        }
        V::Pid(node, id) => {
            let mut p = vec![];
            e::write_array_len(&mut p, 2).map(|_| ()).unwrap_or(());
            e::write_str(&mut p, node).unwrap_or(());
            e::write_uint(&mut p, *id as u64).map(|_| ()).unwrap_or(());
            e::write_ext_meta(out, p.len() as u32, 1)
                .map(|_| ())
                .unwrap_or(());
            out.extend(p);
        }
    }
}

fn ext_str(out: &mut Vec<u8>, ty: i8, s: &str) {
    let mut p = vec![];
    rmp::encode::write_str(&mut p, s).unwrap_or(());
    rmp::encode::write_ext_meta(out, p.len() as u32, ty)
        .map(|_| ())
        .unwrap_or(());
    out.extend(p);
}
