//! Clauses to one decision DAG.
//!
//! Rows (clause alternatives, in written order) are split on the first
//! undecided test of the first surviving row: every row that has the same
//! test, wherever it was written, is decided by that one evaluation, and
//! what a result implies about other tests on the same path (a value equal
//! to 'A' is not 'B', is a string, is not an array) prunes or settles them.
//! The first row whose tests are all settled wins, so the first written
//! clause that matches always wins. Identical sub-DAGs are shared.
//!
//! When the DAG would exceed a size budget the matcher falls back to the
//! rows in order with memoized tests: still one evaluation per shared test.

use super::flat::{Check, Row, Tables, Test, TestId};
use super::ir::Pat;
use rustc_hash::FxHashMap;
use serde::Serialize;

pub type NodeId = u32;

/// A node of the decision DAG.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(rename = "DagNode"))]
#[serde(tag = "n", rename_all = "camelCase")]
pub enum Node {
    /// No clause matches.
    Fail,
    /// Row `row` (a clause alternative) wins.
    Leaf { row: u32 },
    /// Evaluate `test`, continue at `yes` or `no`.
    Test {
        test: TestId,
        yes: NodeId,
        no: NodeId,
    },
}

/// A compiled matcher: tables, rows and the DAG from `root`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(rename = "Dag"))]
pub struct Matcher {
    pub paths: Vec<super::flat::Path>,
    pub tests: Vec<Test>,
    pub subs: Vec<Matcher>,
    pub rows: Vec<Row>,
    pub nodes: Vec<Node>,
    pub root: NodeId,
    /// True for the fallback shape: tests must be memoized by the
    /// evaluator because the same test can sit on several paths.
    pub memo: bool,
    pub clauses: u32,
}

/// DAG nodes allowed before falling back to ordered memoized tests.
pub const BUDGET: usize = 4096;

/// Compiles `clauses` (in written order).
pub fn compile(clauses: &[Pat]) -> Result<Matcher, String> {
    let mut t = Tables::new();
    let mut rows = vec![];
    for (i, c) in clauses.iter().enumerate() {
        rows.push(t.row(i as u32, c)?);
    }
    let mut b = Builder {
        tests: &t.tests,
        nodes: vec![Node::Fail],
        interned: FxHashMap::default(),
        memo: FxHashMap::default(),
    };
    b.interned.insert(Node::Fail, 0);
    let start: Vec<State> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| State {
            row: i as u32,
            left: r.tests.clone(),
        })
        .collect();
    let (nodes, root, memo) = match b.build(start, &mut Facts::default()) {
        Some(root) => (b.nodes, root, false),
        None => fallback(&rows),
    };
    Ok(Matcher {
        paths: t.paths,
        tests: t.tests,
        subs: t.subs,
        rows,
        nodes,
        root,
        memo,
        clauses: clauses.len() as u32,
    })
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct State {
    row: u32,
    left: Vec<TestId>,
}

/// Test results known on the current DAG path: every fact by test, and,
/// per path, only the facts that can settle other tests (any true result,
/// and false results of shape and type tests). A failed `v[0] is 'a'`
/// says nothing about `v[0] is 'b'`, so long chains of failed tag tests
/// cost nothing to consult.
#[derive(Default)]
struct Facts {
    known: Vec<(TestId, bool)>,
    direct: FxHashMap<TestId, bool>,
    by_path: FxHashMap<u32, Vec<(TestId, bool)>>,
}

impl Facts {
    fn informative(c: &Check, v: bool) -> bool {
        v || matches!(
            c,
            Check::IsArray | Check::IsObject | Check::Type { .. } | Check::LenGe { .. }
        )
    }

    fn push(&mut self, tests: &[Test], t: TestId, v: bool) {
        self.known.push((t, v));
        self.direct.insert(t, v);
        let test = &tests[t as usize];
        if Self::informative(&test.check, v) {
            self.by_path.entry(test.path).or_default().push((t, v));
        }
    }

    fn pop(&mut self, tests: &[Test]) {
        let Some((t, v)) = self.known.pop() else {
            return;
        };
        self.direct.remove(&t);
        let test = &tests[t as usize];
        if Self::informative(&test.check, v) {
            if let Some(l) = self.by_path.get_mut(&test.path) {
                l.pop();
            }
        }
    }

    /// What the facts say about test `t`: `Some(result)` when settled.
    fn implied(&self, tests: &[Test], t: TestId) -> Option<bool> {
        if let Some(&v) = self.direct.get(&t) {
            return Some(v);
        }
        let test = &tests[t as usize];
        let on_path = self.by_path.get(&test.path)?;
        on_path
            .iter()
            .find_map(|&(k, v)| implies(&tests[k as usize].check, v, &test.check))
    }
}

/// Surviving rows and the facts known: what decides a sub-DAG.
type MemoKey = (Vec<State>, Vec<(TestId, bool)>);

struct Builder<'a> {
    tests: &'a [Test],
    nodes: Vec<Node>,
    interned: FxHashMap<Node, NodeId>,
    memo: FxHashMap<MemoKey, NodeId>,
}

impl Builder<'_> {
    fn intern(&mut self, n: Node) -> Option<NodeId> {
        if let Some(&id) = self.interned.get(&n) {
            return Some(id);
        }
        if self.nodes.len() >= BUDGET {
            return None;
        }
        let id = self.nodes.len() as NodeId;
        self.nodes.push(n.clone());
        self.interned.insert(n, id);
        Some(id)
    }

    fn build(&mut self, rows: Vec<State>, facts: &mut Facts) -> Option<NodeId> {
        let mut live = Vec::with_capacity(rows.len());
        'rows: for mut r in rows {
            let mut left = Vec::with_capacity(r.left.len());
            for &t in &r.left {
                match facts.implied(self.tests, t) {
                    Some(false) => continue 'rows,
                    Some(true) => {}
                    None => left.push(t),
                }
            }
            r.left = left;
            live.push(r);
        }
        let Some(first) = live.first() else {
            return Some(0);
        };
        if first.left.is_empty() {
            return self.intern(Node::Leaf { row: first.row });
        }
        let t = first.left[0];
        let mut key_facts = facts.known.clone();
        key_facts.sort_unstable();
        let key = (live.clone(), key_facts);
        if let Some(&n) = self.memo.get(&key) {
            return Some(n);
        }
        facts.push(self.tests, t, true);
        let yes = self.build(live.clone(), facts);
        facts.pop(self.tests);
        let yes = yes?;
        facts.push(self.tests, t, false);
        let no = self.build(live, facts);
        facts.pop(self.tests);
        let no = no?;
        let n = if yes == no {
            yes
        } else {
            self.intern(Node::Test { test: t, yes, no })?
        };
        self.memo.insert(key, n);
        Some(n)
    }
}

/// The fallback: each row's tests in order; a failed test goes on to the
/// next row. Tests shared between rows are memoized by the evaluator.
fn fallback(rows: &[Row]) -> (Vec<Node>, NodeId, bool) {
    let mut nodes = vec![Node::Fail];
    let mut next: NodeId = 0;
    for (i, r) in rows.iter().enumerate().rev() {
        nodes.push(Node::Leaf { row: i as u32 });
        let mut at = nodes.len() as NodeId - 1;
        for &t in r.tests.iter().rev() {
            nodes.push(Node::Test {
                test: t,
                yes: at,
                no: next,
            });
            at = nodes.len() as NodeId - 1;
        }
        next = at;
    }
    (nodes, next, true)
}

/// Whether knowing `a` is `av` settles `b` (both on the same path).
fn implies(a: &Check, av: bool, b: &Check) -> Option<bool> {
    use Check::*;
    match (a, av, b) {
        // Known array-ness or object-ness.
        (IsArray, true, IsObject) => Some(true),
        (IsObject, false, IsArray) => Some(false),
        (LenEq { .. } | LenGe { .. }, true, IsArray | IsObject) => Some(true),
        (IsArray, true, Eq { .. } | Type { .. }) => Some(false),
        (IsObject, true, Eq { .. }) => Some(false),
        (IsObject, true, Type { t }) if *t != super::ir::TypeTag::Pid => Some(false),
        (Inst { .. }, true, IsObject) => Some(true),
        // Literals and types.
        (Eq { lit: x }, true, Eq { lit: y }) => Some(x == y),
        (Eq { lit: x }, true, Type { t }) => x.type_tag().map(|xt| xt == *t),
        (Eq { .. }, true, IsArray | IsObject) => Some(false),
        (Type { t }, false, Eq { lit }) if lit.type_tag() == Some(*t) => Some(false),
        (Type { t: x }, true, Type { t: y }) => Some(x == y),
        (Type { t }, true, Eq { lit }) => match lit.type_tag() {
            Some(lt) if lt != *t => Some(false),
            _ => None,
        },
        (Type { .. }, true, IsArray) => Some(false),
        (Type { t }, true, IsObject) => Some(*t == super::ir::TypeTag::Pid),
        // Lengths.
        (LenEq { n }, true, LenEq { n: m }) => Some(n == m),
        (LenEq { n }, true, LenGe { n: m }) => Some(n >= m),
        (LenGe { n }, true, LenEq { n: m }) if m < n => Some(false),
        (LenGe { n }, true, LenGe { n: m }) if m <= n => Some(true),
        (LenGe { n }, false, LenEq { n: m }) if m >= n => Some(false),
        (LenGe { n }, false, LenGe { n: m }) if m >= n => Some(false),
        _ => None,
    }
}
