//! A naive sequential reference matcher over value trees: each clause in
//! order, recursively, as API.md describes patterns.

use super::super::eval::Sel;
use super::super::ir::{Lit, Pat, TypeTag};
use super::super::mp::Mp;
use super::super::value::{encode, VRef, V};
use std::collections::BTreeMap;

pub type Sels = BTreeMap<Option<String>, RSel>;

/// A selection, its value compared by encoding (so NaN equals NaN).
#[derive(Debug, Clone, PartialEq)]
pub enum RSel {
    V(Option<Vec<u8>>),
    L(Vec<RSel>),
}

fn enc(v: Option<&V>) -> Option<Vec<u8>> {
    v.map(|v| {
        let mut b = vec![];
        encode(v, &mut b);
        b
    })
}

pub fn reference(clauses: &[Pat], v: &V) -> Option<(u32, Sels)> {
    clauses
        .iter()
        .enumerate()
        .find_map(|(i, c)| naive(c, Some(v)).map(|s| (i as u32, s)))
}

fn names(p: &Pat, out: &mut Vec<Option<String>>) {
    match p {
        Pat::Sel { name, of } => {
            if !out.contains(name) {
                out.push(name.clone());
            }
            names(of, out)
        }
        Pat::Arr { items, rest } => {
            items.iter().for_each(|x| names(x, out));
            if let Some(of) = rest.as_ref().and_then(|r| r.of.as_deref()) {
                names(of, out)
            }
        }
        Pat::Obj { keys } | Pat::Inst { fields: keys, .. } => {
            keys.iter().for_each(|(_, x)| names(x, out))
        }
        Pat::ArrayOf { of } | Pat::Optional { of } => names(of, out),
        Pat::Union { of } => of.iter().for_each(|x| names(x, out)),
        _ => {}
    }
}

fn all(of: &Pat, items: &[V], s: &mut Sels) -> bool {
    let mut declared = vec![];
    names(of, &mut declared);
    let mut lists: Vec<Vec<RSel>> = vec![vec![]; declared.len()];
    for x in items {
        let Some(es) = naive(of, Some(x)) else {
            return false;
        };
        for (n, l) in declared.iter().zip(lists.iter_mut()) {
            l.push(es.get(n).cloned().unwrap_or(RSel::V(None)));
        }
    }
    for (n, l) in declared.into_iter().zip(lists) {
        s.insert(n, RSel::L(l));
    }
    true
}

fn naive(p: &Pat, v: Option<&V>) -> Option<Sels> {
    let mut s = Sels::new();
    let ok = match p {
        Pat::Any => true,
        Pat::Lit { lit } => match (lit, v) {
            (Lit::Null, Some(V::Null)) | (Lit::Undef, None) => true,
            (Lit::Bool(b), Some(V::Bool(x))) => b == x,
            (Lit::Num(_), Some(V::Num(x))) => {
                let y = lit.num()?;
                (x.is_nan() && y.is_nan())
                    || (*x == y && x.is_sign_negative() == y.is_sign_negative())
            }
            (Lit::Str(a), Some(V::Str(b)))
            | (Lit::Big(a), Some(V::Big(b)))
            | (Lit::Sym(a), Some(V::Sym(b))) => a == b,
            _ => false,
        },
        Pat::Type { t } => matches!(
            (t, v),
            (TypeTag::String, Some(V::Str(_)))
                | (TypeTag::Number, Some(V::Num(_)))
                | (TypeTag::Boolean, Some(V::Bool(_)))
                | (TypeTag::Bigint, Some(V::Big(_)))
                | (TypeTag::Symbol, Some(V::Sym(_)))
                | (TypeTag::Nullish, None | Some(V::Null))
                | (TypeTag::Pid, Some(V::Pid(..)))
        ),
        Pat::Arr { items, rest } => match v {
            Some(V::Arr(a))
                if (rest.is_some() && a.len() >= items.len()) || a.len() == items.len() =>
            {
                for (i, item) in items.iter().enumerate() {
                    s.extend(naive(item, a.get(i))?);
                }
                match rest.as_ref().and_then(|r| r.of.as_deref()) {
                    Some(of) => all(of, &a[items.len()..], &mut s),
                    None => true,
                }
            }
            _ => false,
        },
        // A key must be present unless its pattern is P.optional (ts-pattern's rule).
        Pat::Obj { keys } => match v {
            Some(V::Obj(o)) => {
                for (k, kp) in keys {
                    let found = o.iter().rev().find(|(x, _)| x == k).map(|(_, x)| x);
                    if found.is_none() && !matches!(kp, Pat::Optional { .. }) {
                        return None;
                    }
                    s.extend(naive(kp, found)?);
                }
                true
            }
            // The generated keys (x, y) are absent from arrays and pids in JS.
            Some(V::Arr(_) | V::Pid(..)) => {
                for (_, kp) in keys {
                    if !matches!(kp, Pat::Optional { .. }) {
                        return None;
                    }
                    s.extend(naive(kp, None)?);
                }
                true
            }
            _ => false,
        },
        Pat::Optional { of } => match v {
            None => {
                let mut declared = vec![];
                names(of, &mut declared);
                for n in declared {
                    s.insert(n, RSel::V(None));
                }
                true
            }
            Some(_) => {
                s.extend(naive(of, v)?);
                true
            }
        },
        Pat::ArrayOf { of } => match v {
            Some(V::Arr(a)) => all(of, a, &mut s),
            _ => false,
        },
        Pat::Union { of } => {
            let mut declared = vec![];
            names(p, &mut declared);
            match of.iter().find_map(|x| naive(x, v)) {
                Some(mut got) => {
                    for n in declared {
                        got.entry(n).or_insert(RSel::V(None));
                    }
                    s = got;
                    true
                }
                None => false,
            }
        }
        Pat::Not { of } => naive(of, v).is_none(),
        Pat::Sel { name, of } => {
            s.extend(naive(of, v)?);
            s.insert(name.clone(), RSel::V(enc(v)));
            true
        }
        Pat::Inst { .. } | Pat::When { .. } => unreachable!("JS-only"),
    };
    ok.then_some(s)
}

pub fn rsel_vref(s: &Sel<VRef>) -> RSel {
    match s {
        Sel::Term(t) => RSel::V(enc(t.0)),
        Sel::List(l) => RSel::L(l.iter().map(rsel_vref).collect()),
        Sel::Undefined => RSel::V(None),
    }
}

/// A selection from the encoded back end, compared by its bytes.
pub fn bytes_of_vref(s: &Sel<VRef>) -> Vec<Option<Vec<u8>>> {
    match s {
        Sel::Term(VRef(Some(v))) => {
            let mut b = vec![];
            encode(v, &mut b);
            vec![Some(b)]
        }
        Sel::Term(VRef(None)) | Sel::Undefined => vec![None],
        Sel::List(l) => l.iter().flat_map(bytes_of_vref).collect(),
    }
}

pub fn bytes_of_mp(s: &Sel<Mp>) -> Vec<Option<Vec<u8>>> {
    match s {
        Sel::Term(m) if !m.bytes().is_empty() => vec![Some(m.bytes().to_vec())],
        Sel::Term(_) | Sel::Undefined => vec![None],
        Sel::List(l) => l.iter().flat_map(bytes_of_mp).collect(),
    }
}
