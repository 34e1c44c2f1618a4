//! The JSON shapes of the IR (what JS sends) and of the DAG (what JS reads
//! back) as TypeScript types, generated from the Rust types with ts-rs into
//! `src/match/shapes.ts`, which the JS side builds and reads through. This
//! test fails when the file differs from what the types say; run it with
//! `BFLY_BLESS=1` to write the file (`BFLY_BLESS=1 cargo test -p
//! bfly-pattern shapes`).

use crate::compile::{Matcher, Node};
use crate::flat::{Binding, Check, Path, Row, Step, Test};
use crate::ir::{Clauses, Lit, Pat, Rest, TypeTag};
use ts_rs::{Config, TS};

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../src/match/shapes.ts");

fn render() -> String {
    let cfg = Config::new();
    let decls = [
        (
            "The clauses of one matcher, as `match` sends them (`CompiledMatcher`'s constructor).",
            Clauses::decl(&cfg),
        ),
        ("One pattern.", Pat::decl(&cfg)),
        (
            "The `P.rest(p?)` at the end of an array pattern.",
            Rest::decl(&cfg),
        ),
        (
            "A literal (numbers as JS prints them, so `Object.is` survives JSON).",
            Lit::decl(&cfg),
        ),
        ("A type wildcard.", TypeTag::decl(&cfg)),
        (
            "A compiled matcher, as `CompiledMatcher.dag()` returns it.",
            Matcher::decl(&cfg),
        ),
        ("A node of the decision DAG.", Node::decl(&cfg)),
        ("One step from a value to a part of it.", Step::decl(&cfg)),
        (
            "An access path: its parent and its last step.",
            Path::decl(&cfg),
        ),
        (
            "What an atomic test checks about the value at its path.",
            Check::decl(&cfg),
        ),
        ("An atomic test.", Test::decl(&cfg)),
        ("Where a selection's value comes from.", Binding::decl(&cfg)),
        (
            "One clause alternative: its tests in order and its selections.",
            Row::decl(&cfg),
        ),
    ];
    let mut out = String::from(
        "// Generated from crates/pattern/src (ir.rs, flat.rs, compile.rs) by ts-rs: do not edit.\n\
         // The test crates/pattern/src/tests/shapes.rs fails when this file and the Rust types\n\
         // disagree; `BFLY_BLESS=1 cargo test -p bfly-pattern shapes` rewrites it.\n",
    );
    for (doc, decl) in decls {
        out.push_str(&format!("\n/** {doc} */\nexport {decl}\n"));
    }
    out
}

#[test]
fn shapes_ts_is_generated_from_these_types() {
    let want = render();
    if std::env::var_os("BFLY_BLESS").is_some() {
        std::fs::write(FILE, &want).expect("write src/match/shapes.ts");
        return;
    }
    let have = std::fs::read_to_string(FILE).unwrap_or_default();
    assert!(
        have == want,
        "src/match/shapes.ts is not what the Rust types generate; run \
         `BFLY_BLESS=1 cargo test -p bfly-pattern shapes` and commit it"
    );
}
