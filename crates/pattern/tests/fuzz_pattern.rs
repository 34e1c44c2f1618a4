//! Mutation fuzzing (tools/fuzz/mutate.rs; `npm run fuzz` for the long run) of
//! the pattern compiler's input: `parse` then `compile` of arbitrary JSON
//! IR never panics; malformed input is an error, not a matcher.

#[path = "../../../tools/fuzz/mutate.rs"]
mod mutate;

use bfly_pattern::{compile, parse};

#[test]
fn fuzz_pattern_parse_and_compile() {
    mutate::run("pattern_ir", Vec::new(), 8192, |input| {
        let Ok(text) = std::str::from_utf8(input) else {
            return false;
        };
        match parse(text) {
            Ok(c) => compile(&c.clauses).is_ok(),
            Err(e) => {
                assert!(e.starts_with("malformed pattern IR"), "unclear error: {e}");
                false
            }
        }
    });
}
