//! The compiled matcher against a naive sequential reference, on both
//! term representations; the seed's example; malformed input.

use super::compile::{compile, Node};
use super::eval::{eval, Outcome, Sel};
use super::explain::{explain, Names};
use super::flat::Check;
use super::ir::{Lit, Pat, Rest, TypeTag};
use super::value::{VRef, V};

mod props;
mod reference;
mod shapes;

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
        reference::reference(&clauses, &v).map(|x| x.0)
    );
}

fn clause<T>(o: &Outcome<T>) -> Option<u32> {
    match o {
        Outcome::Matched { clause, .. } => Some(*clause),
        Outcome::NoMatch => None,
        Outcome::NeedsJs => panic!("no JS-only test in these patterns"),
    }
}

/// A standard int64/uint64 is what the JS codec decodes it to: a number
/// within ±2^53, a bigint beyond (whose text only JS can compare).
#[test]
fn int64_is_a_number_when_safe_and_a_bigint_beyond() {
    use super::mp::Mp;
    let ty = |t| Pat::Type { t };
    let m = compile(&[
        ty(TypeTag::Number),
        ty(TypeTag::Bigint),
        Pat::Lit {
            lit: Lit::Big("1".into()),
        },
    ])
    .expect("compiles");
    let lit = compile(&[Pat::Lit {
        lit: Lit::Big("9007199254740993".into()),
    }])
    .expect("compiles");
    let enc = |marker: u8, x: u64| {
        let mut b = vec![marker];
        b.extend_from_slice(&x.to_be_bytes());
        b
    };
    let safe = 1u64 << 53;
    for (bytes, want) in [
        (enc(0xd3, (-(1i64 << 40)) as u64), Some(0)),
        (enc(0xcf, safe), Some(0)),
        (enc(0xd3, (-(1i64 << 53)) as u64), Some(0)),
        (enc(0xcf, safe + 1), Some(1)),
        (enc(0xd3, (-(1i64 << 53) - 1) as u64), Some(1)),
        (enc(0xcf, u64::MAX), Some(1)),
    ] {
        assert_eq!(clause(&eval(&m, &Mp::new(&bytes))), want, "{bytes:?}");
    }
    let beyond = enc(0xcf, safe + 1);
    assert!(matches!(eval(&lit, &Mp::new(&beyond)), Outcome::NeedsJs));
}
