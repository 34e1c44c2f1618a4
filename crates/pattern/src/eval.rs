//! The Rust back end: evaluates a compiled matcher over any term
//! representation (encoded MessagePack in the runtime, a plain value tree
//! in tests) without converting it to JS.

use super::compile::{Matcher, Node};
use super::flat::{Binding, Check, Step};
use super::ir::{Lit, TypeTag};

/// What a term is, as far as patterns can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Undefined,
    Null,
    Bool,
    Num,
    Str,
    Big,
    Sym,
    Array,
    /// A plain object (a MessagePack map).
    Object,
    Pid,
    /// Another object whose fields the term cannot show (Ref, Date, Map…).
    Opaque,
}

/// Read access to a term. Each method looks, never converts.
pub trait Term: Sized + Clone {
    fn undefined() -> Self;
    fn kind(&self) -> Kind;
    fn num(&self) -> Option<f64>;
    fn boolean(&self) -> Option<bool>;
    /// The text of a string, bigint (decimal) or symbol (its key).
    fn text(&self) -> Option<&str>;
    /// The length of an array (None for anything else).
    fn array_len(&self) -> Option<usize>;
    /// Element `i` of an array (`undefined` past the end).
    fn index(&self, i: usize) -> Self;
    /// The value of key `k` of an object (`undefined` when absent).
    fn key(&self, k: &str) -> Self;
    /// Whether an object has its own key `k` (a MessagePack map's keys).
    fn has(&self, k: &str) -> bool;
    /// The elements of an array from index `from`, in one pass.
    fn items(&self, from: usize) -> Vec<Self> {
        (from..self.array_len().unwrap_or(0))
            .map(|i| self.index(i))
            .collect()
    }
}

/// A selection's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Sel<T> {
    Term(T),
    List(Vec<Sel<T>>),
    Undefined,
}

/// The outcome of one match.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<T> {
    /// Clause `clause` won, with its selections in order.
    Matched {
        clause: u32,
        selections: Vec<(Option<String>, Sel<T>)>,
    },
    NoMatch,
    /// A test only JS can run (a guard, `instanceOf`, a local symbol, the
    /// fields of an opaque object) decides this value.
    NeedsJs,
}

struct NeedsJs;

struct Run<'m, T> {
    m: &'m Matcher,
    vals: Vec<Option<T>>,
    memo: Vec<Option<bool>>,
    /// Selections produced by compound tests, by test id.
    subsel: Vec<Option<Selections<T>>>,
}

/// Runs `m` on `v`.
pub fn eval<T: Term>(m: &Matcher, v: &T) -> Outcome<T> {
    match run(m, v) {
        Ok(Some((row, sels))) => Outcome::Matched {
            clause: m.rows[row as usize].clause,
            selections: sels,
        },
        Ok(None) => Outcome::NoMatch,
        Err(NeedsJs) => Outcome::NeedsJs,
    }
}

type Selections<T> = Vec<(Option<String>, Sel<T>)>;

fn run<T: Term>(m: &Matcher, v: &T) -> Result<Option<(u32, Selections<T>)>, NeedsJs> {
    let mut r = Run {
        m,
        vals: vec![None; m.paths.len()],
        memo: vec![None; if m.memo { m.tests.len() } else { 0 }],
        subsel: vec![None; m.tests.len()],
    };
    r.vals[0] = Some(v.clone());
    let mut at = m.root;
    loop {
        match &m.nodes[at as usize] {
            Node::Fail => return Ok(None),
            Node::Leaf { row } => {
                let mut sels = vec![];
                for (name, b) in &m.rows[*row as usize].bind {
                    let s = match b {
                        Binding::Path { path } => Sel::Term(r.val(*path)?),
                        Binding::Sub { test, name } => r.subsel[*test as usize]
                            .as_ref()
                            .and_then(|s| s.iter().find(|(n, _)| n == name))
                            .map_or(Sel::Undefined, |(_, s)| s.clone()),
                    };
                    sels.push((name.clone(), s));
                }
                return Ok(Some((*row, sels)));
            }
            Node::Test { test, yes, no } => {
                at = if r.test(*test)? { *yes } else { *no };
            }
        }
    }
}

impl<T: Term> Run<'_, T> {
    fn val(&mut self, p: u32) -> Result<T, NeedsJs> {
        if let Some(v) = &self.vals[p as usize] {
            return Ok(v.clone());
        }
        let path = &self.m.paths[p as usize];
        let parent = self.val(path.parent)?;
        let v = match &path.step {
            Step::Root => parent,
            Step::Index(i) => parent.index(*i as usize),
            Step::Key(k) => match parent.kind() {
                // A decoded map is a plain object: an absent key such as
                // 'toString' still reads its prototype's member in JS.
                Kind::Object if inherited(k) && !parent.has(k) => return Err(NeedsJs),
                Kind::Object => parent.key(k),
                // JS objects with fields or prototype members of their own
                // (pid.node, array.length, date methods…): JS decides.
                Kind::Pid | Kind::Opaque | Kind::Array => return Err(NeedsJs),
                _ => T::undefined(),
            },
        };
        self.vals[p as usize] = Some(v.clone());
        Ok(v)
    }

    fn test(&mut self, t: u32) -> Result<bool, NeedsJs> {
        if self.m.memo {
            if let Some(x) = self.memo[t as usize] {
                return Ok(x);
            }
        }
        let test = &self.m.tests[t as usize];
        let v = self.val(test.path)?;
        let k = v.kind();
        let x = match &test.check {
            Check::IsArray => k == Kind::Array,
            Check::IsObject => matches!(k, Kind::Array | Kind::Object | Kind::Pid | Kind::Opaque),
            Check::Has { key } => match k {
                Kind::Object if v.has(key) => true,
                Kind::Object if !inherited(key) => false,
                // Inherited members, and the fields of pids, arrays and other objects: JS decides.
                Kind::Object | Kind::Pid | Kind::Opaque | Kind::Array => return Err(NeedsJs),
                _ => false,
            },
            Check::LenEq { n } => v.array_len() == Some(*n as usize),
            Check::LenGe { n } => v.array_len().is_some_and(|l| l >= *n as usize),
            Check::Eq { lit } => eq(&v, lit)?,
            Check::Type { t } => match t {
                TypeTag::String => k == Kind::Str,
                TypeTag::Number => k == Kind::Num,
                TypeTag::Boolean => k == Kind::Bool,
                TypeTag::Bigint => k == Kind::Big,
                TypeTag::Symbol => k == Kind::Sym,
                TypeTag::Nullish => matches!(k, Kind::Null | Kind::Undefined),
                TypeTag::Pid => k == Kind::Pid,
            },
            Check::Inst { .. } | Check::Guard { .. } => return Err(NeedsJs),
            Check::All { from, sub } => {
                let sub = &self.m.subs[*sub as usize];
                let names = declared(sub);
                let mut lists: Vec<Vec<Sel<T>>> = vec![vec![]; names.len()];
                let mut ok = true;
                for e in v.items(*from as usize) {
                    let Some((_, sels)) = run(sub, &e)? else {
                        ok = false;
                        break;
                    };
                    for (name, list) in names.iter().zip(lists.iter_mut()) {
                        let s = sels
                            .iter()
                            .find(|(n, _)| n == name)
                            .map_or(Sel::Undefined, |(_, s)| s.clone());
                        list.push(s);
                    }
                }
                if ok {
                    let out = names
                        .into_iter()
                        .zip(lists)
                        .map(|(n, l)| (n, Sel::List(l)))
                        .collect();
                    self.subsel[t as usize] = Some(out);
                }
                ok
            }
            Check::Match { sub } => match run(&self.m.subs[*sub as usize], &v)? {
                Some((_, sels)) => {
                    self.subsel[t as usize] = Some(sels);
                    true
                }
                None => false,
            },
            Check::Not { sub } => run(&self.m.subs[*sub as usize], &v)?.is_none(),
        };
        if self.m.memo {
            self.memo[t as usize] = Some(x);
        }
        Ok(x)
    }
}

/// Whether a plain object has member `k` without owning it (Object.prototype's).
fn inherited(k: &str) -> bool {
    matches!(
        k,
        "constructor"
            | "hasOwnProperty"
            | "isPrototypeOf"
            | "propertyIsEnumerable"
            | "toLocaleString"
            | "toString"
            | "valueOf"
            | "__proto__"
            | "__defineGetter__"
            | "__defineSetter__"
            | "__lookupGetter__"
            | "__lookupSetter__"
    )
}

/// `Object.is(v, lit)` without converting `v`.
fn eq<T: Term>(v: &T, lit: &Lit) -> Result<bool, NeedsJs> {
    let k = v.kind();
    Ok(match lit {
        Lit::Null => k == Kind::Null,
        Lit::Undef => k == Kind::Undefined,
        Lit::Bool(b) => v.boolean() == Some(*b),
        Lit::Num(_) => match (v.num(), lit.num()) {
            (Some(x), Some(y)) => {
                (x.is_nan() && y.is_nan())
                    || (x == y && x.is_sign_negative() == y.is_sign_negative())
            }
            _ => false,
        },
        Lit::Str(s) => k == Kind::Str && v.text() == Some(s),
        Lit::Big(s) => match (k, v.text()) {
            (Kind::Big, Some(t)) => t == s,
            // An int64 beyond ±2^53 is a BigInt whose text the bytes do not hold.
            (Kind::Big, None) => return Err(NeedsJs),
            _ => false,
        },
        Lit::Sym(s) => k == Kind::Sym && v.text() == Some(s),
        Lit::Js(_) => return Err(NeedsJs),
    })
}

/// The selection names a matcher can produce, each once, in first-seen order.
pub fn declared(m: &Matcher) -> Vec<Option<String>> {
    let mut names: Vec<Option<String>> = vec![];
    for r in &m.rows {
        for (n, _) in &r.bind {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
    }
    names
}
