//! A readable rendering of a compiled matcher (`matcher.explain()`), in the
//! spirit of the seed's printed expansion of MATCH.

use super::compile::{Matcher, Node, NodeId};
use super::flat::{Binding, Check, Step};
use super::ir::{Lit, TypeTag};
use std::fmt::Write;

/// Names for the JS-only parts, by index.
#[derive(Default)]
pub struct Names<'a> {
    pub classes: &'a [String],
    pub guards: &'a [String],
}

/// The whole matcher as text.
pub fn explain(m: &Matcher, names: &Names) -> String {
    let mut out = String::new();
    let kind = if m.memo {
        "ordered tests, memoized (over the size budget)"
    } else {
        "decision DAG"
    };
    let _ = writeln!(
        out,
        "match: {} clause{}, {} distinct test{}, {} node{} ({kind})",
        m.clauses,
        if m.clauses == 1 { "" } else { "s" },
        m.tests.len(),
        if m.tests.len() == 1 { "" } else { "s" },
        m.nodes.len(),
        if m.nodes.len() == 1 { "" } else { "s" },
    );
    body(m, names, "v", 0, &mut out);
    out
}

fn body(m: &Matcher, names: &Names, root: &str, indent: usize, out: &mut String) {
    let mut refs = vec![0u32; m.nodes.len()];
    for n in &m.nodes {
        if let Node::Test { yes, no, .. } = n {
            refs[*yes as usize] += 1;
            refs[*no as usize] += 1;
        }
    }
    let mut shown = vec![false; m.nodes.len()];
    node(m, names, root, m.root, indent, &refs, &mut shown, out);
}

#[allow(clippy::too_many_arguments)]
fn node(
    m: &Matcher,
    names: &Names,
    root: &str,
    id: NodeId,
    indent: usize,
    refs: &[u32],
    shown: &mut [bool],
    out: &mut String,
) {
    let pad = "  ".repeat(indent);
    // "no match" is printed in place each time: it is one line, never shared.
    if let Node::Fail = m.nodes[id as usize] {
        let _ = writeln!(out, "{pad}no match");
        return;
    }
    let label = if refs[id as usize] > 1 {
        format!("[n{id}] ")
    } else {
        String::new()
    };
    if shown[id as usize] && refs[id as usize] > 1 {
        let _ = writeln!(out, "{pad}-> n{id} (shared, above)");
        return;
    }
    shown[id as usize] = true;
    match &m.nodes[id as usize] {
        Node::Fail => {}
        Node::Leaf { row } => {
            let r = &m.rows[*row as usize];
            let sels: Vec<String> = r
                .bind
                .iter()
                .map(|(n, b)| {
                    let v = match b {
                        Binding::Path { path } => path_str(m, root, *path),
                        Binding::Sub { test, name } => format!(
                            "{} of test on {}",
                            name.as_deref().unwrap_or("selection"),
                            path_str(m, root, m.tests[*test as usize].path)
                        ),
                    };
                    format!("{} = {v}", n.as_deref().unwrap_or("_"))
                })
                .collect();
            let sel = if sels.is_empty() {
                String::new()
            } else {
                format!(" with {}", sels.join(", "))
            };
            // Sub-matchers (rooted at `e`) report which alternative matched.
            let what = if root == "v" { "clause" } else { "alternative" };
            let _ = writeln!(out, "{pad}{label}=> {what} {}{sel}", r.clause);
        }
        Node::Test { test, yes, no } => {
            let t = &m.tests[*test as usize];
            let p = path_str(m, root, t.path);
            let _ = writeln!(out, "{pad}{label}if {}:", check_str(&t.check, &p, names));
            if let Check::All { sub, .. } | Check::Match { sub } | Check::Not { sub } = &t.check {
                body(&m.subs[*sub as usize], names, "e", indent + 2, out);
            }
            node(m, names, root, *yes, indent + 1, refs, shown, out);
            let _ = writeln!(out, "{pad}else:");
            node(m, names, root, *no, indent + 1, refs, shown, out);
        }
    }
}

fn path_str(m: &Matcher, root: &str, p: u32) -> String {
    let path = &m.paths[p as usize];
    match &path.step {
        Step::Root => root.to_string(),
        Step::Index(i) => format!("{}[{i}]", path_str(m, root, path.parent)),
        Step::Key(k) if is_ident(k) => format!("{}.{k}", path_str(m, root, path.parent)),
        Step::Key(k) => format!("{}[{k:?}]", path_str(m, root, path.parent)),
    }
}

fn is_ident(k: &str) -> bool {
    let mut c = k.chars();
    c.next()
        .is_some_and(|f| f.is_alphabetic() || f == '_' || f == '$')
        && c.all(|x| x.is_alphanumeric() || x == '_' || x == '$')
}

fn lit_str(l: &Lit) -> String {
    match l {
        Lit::Null => "null".into(),
        Lit::Undef => "undefined".into(),
        Lit::Bool(b) => b.to_string(),
        Lit::Num(n) => n.clone(),
        Lit::Str(s) => format!("'{}'", s.replace('\'', "\\'")),
        Lit::Big(s) => format!("{s}n"),
        Lit::Sym(s) => format!("Symbol.for('{s}')"),
        Lit::Js(i) => format!("constant#{i}"),
    }
}

fn check_str(c: &Check, p: &str, names: &Names) -> String {
    let name = |list: &[String], i: u32, what: &str| {
        list.get(i as usize)
            .cloned()
            .unwrap_or(format!("{what}#{i}"))
    };
    match c {
        Check::IsArray => format!("Array.isArray({p})"),
        Check::IsObject => format!("{p} is an object"),
        Check::Has { key } => format!("{key:?} in {p}"),
        Check::LenEq { n } => format!("{p}.length === {n}"),
        Check::LenGe { n } => format!("{p}.length >= {n}"),
        Check::Eq { lit } => format!("{p} is {}", lit_str(lit)),
        Check::Type { t } => match t {
            TypeTag::Nullish => format!("{p} == null"),
            TypeTag::Pid => format!("{p} is a Pid"),
            t => format!("typeof {p} === '{}'", format!("{t:?}").to_lowercase()),
        },
        Check::Inst { cls } => format!("{p} instanceof {}", name(names.classes, *cls, "class")),
        Check::Guard { guard } => format!("{}({p})", name(names.guards, *guard, "guard")),
        Check::All { from, .. } if *from == 0 => format!("every element e of {p} matches"),
        Check::All { from, .. } => format!("every element e of {p} from index {from} matches"),
        Check::Match { .. } => format!("{p} matches one of (as e)"),
        Check::Not { .. } => format!("{p} does not match (as e)"),
    }
}
