//! The compiled matcher against a naive sequential reference, on both
//! term representations; the seed's example; malformed input.

use super::compile::{compile, Node};
use super::eval::{eval, Outcome, Sel};
use super::explain::{explain, Names};
use super::flat::Check;
use super::ir::{Lit, Pat, Rest, TypeTag};
use super::mp::Mp;
use super::value::{encode, VRef, V};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn sym(s: &str) -> Pat {
    Pat::Lit {
        lit: Lit::Sym(s.into()),
    }
}
fn arr(items: Vec<Pat>) -> Pat {
    Pat::Arr { items, rest: None }
}
fn sel(name: Option<&str>, of: Pat) -> Pat {
    Pat::Sel {
        name: name.map(Into::into),
        of: Box::new(of),
    }
}

#[test]
fn seed_example_merges_the_common_prefix() {
    // (match x (('A 'B 'C) (oper1)) (('A 'B 'D) (oper2)) (('A 'B va1) (oper3 va1)))
    let clauses = vec![
        arr(vec![sym("A"), sym("B"), sym("C")]),
        arr(vec![sym("A"), sym("B"), sym("D")]),
        arr(vec![sym("A"), sym("B"), sel(None, Pat::Any)]),
    ];
    let m = compile(&clauses).unwrap();
    assert!(!m.memo);
    // Each of IsArray, length, v[0] is A, v[1] is B sits on exactly one node.
    let count = |pred: &dyn Fn(&Check) -> bool| {
        m.nodes
            .iter()
            .filter(
                |n| matches!(n, Node::Test { test, .. } if pred(&m.tests[*test as usize].check)),
            )
            .count()
    };
    assert_eq!(count(&|c| matches!(c, Check::IsArray)), 1);
    assert_eq!(count(&|c| matches!(c, Check::LenEq { .. })), 1);
    assert_eq!(
        count(&|c| matches!(c, Check::Eq { lit: Lit::Sym(s) } if s == "A")),
        1
    );
    assert_eq!(
        count(&|c| matches!(c, Check::Eq { lit: Lit::Sym(s) } if s == "B")),
        1
    );
    let text = explain(&m, &Names::default());
    assert!(text.contains("if v[0] is Symbol.for('A'):"), "{text}");
    assert!(text.contains("=> clause 2 with _ = v[2]"), "{text}");
    let v = V::Arr(vec![V::Sym("A".into()), V::Sym("B".into()), V::Num(7.0)]);
    match eval(&m, &VRef(Some(&v))) {
        Outcome::Matched {
            clause: 2,
            selections,
        } => {
            assert_eq!(
                selections,
                vec![(None, Sel::Term(VRef(Some(&V::Num(7.0)))))]
            )
        }
        o => panic!("{o:?}"),
    }
}

#[test]
fn first_written_clause_wins_across_non_adjacent_sharing() {
    // Clause 0 and 2 share [1, _]; clause 1 is broader and must win over 2.
    let one = Pat::Lit {
        lit: Lit::Num("1".into()),
    };
    let clauses = vec![
        arr(vec![
            one.clone(),
            Pat::Lit {
                lit: Lit::Str("x".into()),
            },
        ]),
        Pat::Type { t: TypeTag::Pid },
        arr(vec![one, Pat::Any]),
        Pat::Arr {
            items: vec![],
            rest: Some(Rest { of: None }),
        },
    ];
    let m = compile(&clauses).unwrap();
    let cases = [
        (V::Arr(vec![V::Num(1.0), V::Str("x".into())]), Some(0)),
        (V::Arr(vec![V::Num(1.0), V::Str("y".into())]), Some(2)),
        (V::Arr(vec![V::Num(2.0)]), Some(3)),
        (V::Pid("n".into(), 3), Some(1)),
        (V::Null, None),
    ];
    for (v, want) in cases {
        assert_eq!(clause(&eval(&m, &VRef(Some(&v)))), want, "{v:?}");
    }
}

#[test]
fn malformed_ir_and_selections_are_refused() {
    assert!(super::ir::parse("{\"clauses\":[{\"k\":\"nope\"}]}").is_err());
    let dup = arr(vec![sel(Some("x"), Pat::Any), sel(Some("x"), Pat::Any)]);
    assert!(compile(&[dup]).unwrap_err().contains("'x'"));
    let mixed = arr(vec![sel(Some("x"), Pat::Any), sel(None, Pat::Any)]);
    assert!(compile(&[mixed]).is_err());
}

#[test]
fn budget_falls_back_to_ordered_memoized_tests() {
    // 14 clauses each testing a different key: the tree would be 2^14.
    let clauses: Vec<Pat> = (0..14)
        .map(|i| Pat::Obj {
            keys: (0..14)
                .map(|k| {
                    (
                        format!("k{k}"),
                        Pat::Lit {
                            lit: Lit::Bool((i >> (k % 7)) & 1 == 1),
                        },
                    )
                })
                .collect(),
        })
        .collect();
    let m = compile(&clauses).unwrap();
    let v = V::Obj(
        (0..14)
            .map(|k| (format!("k{k}"), V::Bool(k % 2 == 0)))
            .collect(),
    );
    assert_eq!(
        clause(&eval(&m, &VRef(Some(&v)))),
        reference(&clauses, &v).map(|x| x.0)
    );
}

fn clause<T>(o: &Outcome<T>) -> Option<u32> {
    match o {
        Outcome::Matched { clause, .. } => Some(*clause),
        Outcome::NoMatch => None,
        Outcome::NeedsJs => panic!("no JS-only test in these patterns"),
    }
}

// ---- the naive reference: each clause in order, recursively ----

type Sels = BTreeMap<Option<String>, RSel>;

/// A selection, its value compared by encoding (so NaN equals NaN).
#[derive(Debug, Clone, PartialEq)]
enum RSel {
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

fn reference(clauses: &[Pat], v: &V) -> Option<(u32, Sels)> {
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
        Pat::ArrayOf { of } => names(of, out),
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
        Pat::Obj { keys } => match v {
            Some(V::Obj(o)) => {
                for (k, kp) in keys {
                    s.extend(naive(
                        kp,
                        o.iter().rev().find(|(x, _)| x == k).map(|(_, x)| x),
                    )?);
                }
                true
            }
            // The generated keys (x, y) are absent from arrays and pids in JS.
            Some(V::Arr(_) | V::Pid(..)) => {
                for (_, kp) in keys {
                    s.extend(naive(kp, None)?);
                }
                true
            }
            _ => false,
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

fn rsel_vref(s: &Sel<VRef>) -> RSel {
    match s {
        Sel::Term(t) => RSel::V(enc(t.0)),
        Sel::List(l) => RSel::L(l.iter().map(rsel_vref).collect()),
        Sel::Undefined => RSel::V(None),
    }
}

/// A selection from the encoded back end, compared by its bytes.
fn bytes_of_vref(s: &Sel<VRef>) -> Vec<Option<Vec<u8>>> {
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

fn bytes_of_mp(s: &Sel<Mp>) -> Vec<Option<Vec<u8>>> {
    match s {
        Sel::Term(m) if !m.bytes().is_empty() => vec![Some(m.bytes().to_vec())],
        Sel::Term(_) | Sel::Undefined => vec![None],
        Sel::List(l) => l.iter().flat_map(bytes_of_mp).collect(),
    }
}

// ---- generators ----

fn value() -> impl Strategy<Value = V> {
    let leaf = prop_oneof![
        Just(V::Null),
        any::<bool>().prop_map(V::Bool),
        prop_oneof![
            Just(0.0),
            Just(-0.0),
            Just(1.0),
            Just(2.5),
            Just(f64::NAN),
            Just(300.0)
        ]
        .prop_map(V::Num),
        prop_oneof![Just("a"), Just("b"), Just("")].prop_map(|s| V::Str(s.into())),
        Just(V::Big("10".into())),
        prop_oneof![Just("A"), Just("B")].prop_map(|s| V::Sym(s.into())),
        (0u32..3).prop_map(|i| V::Pid("n".into(), i)),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(V::Arr),
            proptest::collection::vec(
                (
                    prop_oneof![Just("x"), Just("y")].prop_map(String::from),
                    inner
                ),
                0..3
            )
            .prop_map(V::Obj),
        ]
    })
}

fn lit() -> impl Strategy<Value = Lit> {
    prop_oneof![
        Just(Lit::Null),
        Just(Lit::Undef),
        any::<bool>().prop_map(Lit::Bool),
        prop_oneof![Just("0"), Just("-0"), Just("1"), Just("NaN"), Just("300")]
            .prop_map(|s| Lit::Num(s.into())),
        prop_oneof![Just("a"), Just("b")].prop_map(|s| Lit::Str(s.into())),
        Just(Lit::Big("10".into())),
        prop_oneof![Just("A"), Just("B")].prop_map(|s| Lit::Sym(s.into())),
    ]
}

fn pattern() -> impl Strategy<Value = Pat> {
    let leaf = prop_oneof![
        3 => Just(Pat::Any),
        4 => lit().prop_map(|lit| Pat::Lit { lit }),
        2 => prop_oneof![
            Just(TypeTag::String), Just(TypeTag::Number), Just(TypeTag::Boolean), Just(TypeTag::Bigint),
            Just(TypeTag::Symbol), Just(TypeTag::Nullish), Just(TypeTag::Pid)
        ].prop_map(|t| Pat::Type { t }),
    ];
    leaf.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            (
                proptest::collection::vec(inner.clone(), 0..3),
                proptest::option::of(proptest::option::of(inner.clone()))
            )
                .prop_map(|(items, rest)| Pat::Arr {
                    items,
                    rest: rest.map(|of| Rest {
                        of: of.map(Box::new)
                    })
                }),
            proptest::collection::vec(
                (
                    prop_oneof![Just("x"), Just("y")].prop_map(String::from),
                    inner.clone()
                ),
                0..2
            )
            .prop_map(|keys| Pat::Obj { keys }),
            inner.clone().prop_map(|p| Pat::ArrayOf { of: Box::new(p) }),
            proptest::collection::vec(inner.clone(), 1..3).prop_map(|of| Pat::Union { of }),
            inner.clone().prop_map(|p| Pat::Not { of: Box::new(p) }),
        ]
    })
}

/// Adds selections with distinct names to some sub-patterns.
fn with_selects(p: Pat, n: &mut u32) -> Pat {
    *n += 1;
    let here = *n;
    let p = match p {
        Pat::Arr { items, rest } => Pat::Arr {
            items: items.into_iter().map(|x| with_selects(x, n)).collect(),
            rest,
        },
        Pat::Obj { keys } => Pat::Obj {
            keys: keys
                .into_iter()
                .map(|(k, x)| (k, with_selects(x, n)))
                .collect(),
        },
        other => other,
    };
    if here.is_multiple_of(3) {
        sel(Some(&format!("s{here}")), p)
    } else {
        p
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// Same clause and same selections as the naive reference, over a value
    /// tree and over its MessagePack encoding.
    #[test]
    fn compiled_equals_reference(
        clauses in proptest::collection::vec(pattern(), 1..6),
        values in proptest::collection::vec(value(), 1..6),
    ) {
        let mut n = 0;
        let clauses: Vec<Pat> = clauses.into_iter().map(|c| with_selects(c, &mut n)).collect();
        let m = compile(&clauses).unwrap();
        for v in &values {
            let got = eval(&m, &VRef(Some(v)));
            if got == Outcome::NeedsJs {
                // A key read on an array or pid: JS decides (checked in the JS tests).
                continue;
            }
            let want = reference(&clauses, v);
            match (&want, &got) {
                (None, Outcome::NoMatch) => {}
                (Some((c, s)), Outcome::Matched { clause, selections }) => {
                    prop_assert_eq!(c, clause);
                    let got: Sels = selections.iter().map(|(n, s)| (n.clone(), rsel_vref(s))).collect();
                    prop_assert_eq!(s, &got);
                }
                _ => prop_assert!(false, "reference {want:?} vs compiled {got:?} for {v:?}"),
            }
            let mut bytes = vec![];
            encode(v, &mut bytes);
            let enc = eval(&m, &Mp::new(&bytes));
            match (&got, &enc) {
                (Outcome::NoMatch, Outcome::NoMatch) => {}
                (Outcome::Matched { clause: a, selections: sa }, Outcome::Matched { clause: b, selections: sb }) => {
                    prop_assert_eq!(a, b);
                    let ba: Vec<_> = sa.iter().map(|(n, s)| (n.clone(), bytes_of_vref(s))).collect();
                    let bb: Vec<_> = sb.iter().map(|(n, s)| (n.clone(), bytes_of_mp(s))).collect();
                    prop_assert_eq!(ba, bb);
                }
                _ => prop_assert!(false, "tree {got:?} vs encoded {enc:?} for {v:?}"),
            }
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]
    /// Arbitrary bytes never panic the encoded back end.
    #[test]
    fn arbitrary_bytes_are_safe(bytes in proptest::collection::vec(any::<u8>(), 0..64), clauses in proptest::collection::vec(pattern(), 1..4)) {
        let m = compile(&clauses).unwrap();
        let _ = eval(&m, &Mp::new(&bytes));
    }
}
