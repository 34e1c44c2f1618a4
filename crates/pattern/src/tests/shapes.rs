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

/// `T`'s declaration, with its doc comment.
fn decl<T: TS>(cfg: &Config) -> String {
    format!(
        "\n{}export {}\n",
        T::docs().unwrap_or_default(),
        T::decl(cfg)
    )
}

fn render() -> String {
    let cfg = Config::new();
    let mut out = String::from(
        "// Generated from crates/pattern/src (ir.rs, flat.rs, compile.rs) by ts-rs: do not edit.\n\
         // The test crates/pattern/src/tests/shapes.rs fails when this file and the Rust types\n\
         // disagree; `BFLY_BLESS=1 cargo test -p bfly-pattern shapes` rewrites it.\n",
    );
    // What JS sends (the IR), then what it reads back (the DAG).
    macro_rules! decls {
        ($($t:ty),*) => { [$(decl::<$t>(&cfg)),*] };
    }
    let all = decls!(
        Clauses, Pat, Rest, Lit, TypeTag, Matcher, Node, Step, Path, Check, Test, Binding, Row
    );
    for d in all {
        out.push_str(&d);
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
