//! Clauses flattened into rows of atomic tests on access paths.
//!
//! A row's tests are in the order their clause reads the value: each
//! test's preconditions (is it an array? long enough?) come before it, and
//! `P.when` guards come last, so a guard runs only once its clause's
//! structural tests have passed.

use super::compile::{compile, Matcher};
use super::ir::{Lit, Pat, TypeTag};
use rustc_hash::FxHashMap;
use serde::Serialize;

pub type PathId = u32;
pub type TestId = u32;

/// One step from a value to a part of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "s", content = "v", rename_all = "camelCase")]
pub enum Step {
    Root,
    Index(u32),
    Key(String),
}

/// An access path: its parent and the last step.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Path {
    pub parent: PathId,
    pub step: Step,
}

/// What an atomic test checks about the value at its path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "c", rename_all = "camelCase")]
pub enum Check {
    IsArray,
    /// `typeof v === 'object' && v !== null` (arrays and pids included).
    IsObject,
    /// `key in v` (own or inherited), on an object.
    Has {
        key: String,
    },
    LenEq {
        n: u32,
    },
    LenGe {
        n: u32,
    },
    Eq {
        lit: Lit,
    },
    Type {
        t: TypeTag,
    },
    Inst {
        cls: u32,
    },
    Guard {
        guard: u32,
    },
    /// Every element from index `from` matches sub-matcher `sub`.
    All {
        from: u32,
        sub: u32,
    },
    /// Sub-matcher `sub` (a union's alternatives) matches.
    Match {
        sub: u32,
    },
    /// Sub-matcher `sub` does not match.
    Not {
        sub: u32,
    },
}

/// An atomic test.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Test {
    pub path: PathId,
    #[serde(flatten)]
    pub check: Check,
}

/// Where a selection's value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "b", rename_all = "camelCase")]
pub enum Binding {
    /// The value at a path.
    Path { path: PathId },
    /// Selection `name` produced by compound test `test` (an array of the
    /// per-element selections for `All`, the chosen alternative's for `Match`).
    Sub { test: TestId, name: Option<String> },
}

/// One clause alternative: its tests in order and its selections.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Row {
    pub clause: u32,
    pub tests: Vec<TestId>,
    pub bind: Vec<(Option<String>, Binding)>,
}

/// Interned paths and tests shared by every row of one matcher.
#[derive(Default)]
pub struct Tables {
    pub paths: Vec<Path>,
    pub tests: Vec<Test>,
    pub subs: Vec<Matcher>,
    path_ids: FxHashMap<Path, PathId>,
    test_ids: FxHashMap<Test, TestId>,
}

impl Tables {
    pub fn new() -> Self {
        let mut t = Tables::default();
        t.path(0, Step::Root);
        t
    }

    fn path(&mut self, parent: PathId, step: Step) -> PathId {
        let p = Path { parent, step };
        if let Some(&id) = self.path_ids.get(&p) {
            return id;
        }
        let id = self.paths.len() as PathId;
        self.paths.push(p.clone());
        self.path_ids.insert(p, id);
        id
    }

    fn test(&mut self, path: PathId, check: Check) -> TestId {
        let t = Test { path, check };
        if let Some(&id) = self.test_ids.get(&t) {
            return id;
        }
        let id = self.tests.len() as TestId;
        self.tests.push(t.clone());
        self.test_ids.insert(t, id);
        id
    }

    fn sub(&mut self, clauses: &[Pat]) -> Result<u32, String> {
        let m = compile(clauses)?;
        self.subs.push(m);
        Ok(self.subs.len() as u32 - 1)
    }

    /// Flattens one clause into a row.
    pub fn row(&mut self, clause: u32, pat: &Pat) -> Result<Row, String> {
        let mut r = Row {
            clause,
            tests: vec![],
            bind: vec![],
        };
        let mut guards = vec![];
        self.flatten(pat, 0, &mut r, &mut guards)?;
        r.tests.extend(guards);
        let mut names: Vec<&Option<String>> = r.bind.iter().map(|(n, _)| n).collect();
        names.sort();
        if names.windows(2).any(|w| w[0] == w[1]) {
            return Err(format!(
                "clause {clause}: two selections share the name {}; give each P.select its own name",
                names
                    .windows(2)
                    .find(|w| w[0] == w[1])
                    .and_then(|w| w[0].clone())
                    .map_or("(anonymous)".to_string(), |n| format!("'{n}'"))
            ));
        }
        if names.len() > 1 && names.iter().any(|n| n.is_none()) {
            return Err(format!(
                "clause {clause}: an anonymous P.select() cannot be mixed with other selections; name them all"
            ));
        }
        Ok(r)
    }

    fn flatten(
        &mut self,
        pat: &Pat,
        at: PathId,
        r: &mut Row,
        guards: &mut Vec<TestId>,
    ) -> Result<(), String> {
        match pat {
            Pat::Any => {}
            Pat::Lit { lit } => r.tests.push(self.test(at, Check::Eq { lit: lit.clone() })),
            Pat::Type { t } => r.tests.push(self.test(at, Check::Type { t: *t })),
            Pat::Arr { items, rest } => {
                r.tests.push(self.test(at, Check::IsArray));
                let n = items.len() as u32;
                let len = if rest.is_some() {
                    Check::LenGe { n }
                } else {
                    Check::LenEq { n }
                };
                r.tests.push(self.test(at, len));
                for (i, item) in items.iter().enumerate() {
                    let p = self.path(at, Step::Index(i as u32));
                    self.flatten(item, p, r, guards)?;
                }
                if let Some(of) = rest.as_ref().and_then(|x| x.of.as_deref()) {
                    self.all(at, n, of, r)?;
                }
            }
            Pat::Obj { keys } => {
                r.tests.push(self.test(at, Check::IsObject));
                self.fields(keys, at, r, guards)?;
            }
            Pat::ArrayOf { of } => {
                r.tests.push(self.test(at, Check::IsArray));
                self.all(at, 0, of, r)?;
            }
            Pat::Inst { cls, fields } => {
                r.tests.push(self.test(at, Check::Inst { cls: *cls }));
                self.fields(fields, at, r, guards)?;
            }
            Pat::When { guard } => guards.push(self.test(at, Check::Guard { guard: *guard })),
            Pat::Union { of } => {
                if of.is_empty() {
                    return Err("P.union() needs at least one pattern".into());
                }
                let sub = self.sub(of)?;
                let t = self.test(at, Check::Match { sub });
                r.tests.push(t);
                self.sub_bindings(sub, t, r);
            }
            Pat::Not { of } => {
                let sub = self.sub(std::slice::from_ref(of))?;
                r.tests.push(self.test(at, Check::Not { sub }));
            }
            Pat::Optional { of } => {
                if !matches!(**of, Pat::Any) {
                    let undef = Pat::Lit { lit: Lit::Undef };
                    let sub = self.sub(&[undef, (**of).clone()])?;
                    let t = self.test(at, Check::Match { sub });
                    r.tests.push(t);
                    self.sub_bindings(sub, t, r);
                }
            }
            Pat::Sel { name, of } => {
                r.bind.push((name.clone(), Binding::Path { path: at }));
                self.flatten(of, at, r, guards)?;
            }
        }
        Ok(())
    }

    fn fields(
        &mut self,
        keys: &[(String, Pat)],
        at: PathId,
        r: &mut Row,
        g: &mut Vec<TestId>,
    ) -> Result<(), String> {
        for (k, p) in keys {
            // A key must be there unless its pattern is P.optional (ts-pattern's rule).
            if !matches!(p, Pat::Optional { .. }) {
                r.tests.push(self.test(at, Check::Has { key: k.clone() }));
            }
            let kp = self.path(at, Step::Key(k.clone()));
            self.flatten(p, kp, r, g)?;
        }
        Ok(())
    }

    fn all(&mut self, at: PathId, from: u32, of: &Pat, r: &mut Row) -> Result<(), String> {
        let sub = self.sub(std::slice::from_ref(of))?;
        let t = self.test(at, Check::All { from, sub });
        r.tests.push(t);
        self.sub_bindings(sub, t, r);
        Ok(())
    }

    fn sub_bindings(&self, sub: u32, test: TestId, r: &mut Row) {
        let mut names: Vec<Option<String>> = self.subs[sub as usize]
            .rows
            .iter()
            .flat_map(|row| row.bind.iter().map(|(n, _)| n.clone()))
            .collect();
        names.sort();
        names.dedup();
        for name in names {
            r.bind.push((name.clone(), Binding::Sub { test, name }));
        }
    }
}
