//! Properties: the compiled matcher against the reference, on value trees
//! and on their MessagePack encoding; arbitrary bytes.

use super::super::compile::compile;
use super::super::eval::{eval, Outcome};
use super::super::ir::{Lit, Pat, Rest, TypeTag};
use super::super::mp::Mp;
use super::super::value::{encode, VRef, V};
use super::reference::{bytes_of_mp, bytes_of_vref, reference, rsel_vref, Sels};
use super::sel;
use proptest::prelude::*;

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
            inner
                .clone()
                .prop_map(|p| Pat::Optional { of: Box::new(p) }),
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
