//! The binding of compiled matchers (`bfly-pattern`): the DAG for the JS
//! back ends, its explanation, and the Rust evaluator over encoded values.

use napi::bindgen_prelude::Uint8Array;
use napi_derive::napi;

/// A matcher compiled by the core: its DAG for the JS back ends, its
/// explanation, and the Rust evaluator over encoded messages.
#[napi]
pub struct CompiledMatcher {
    m: bfly_pattern::Matcher,
    classes: Vec<String>,
    guards: Vec<String>,
}

#[napi]
impl CompiledMatcher {
    /// Compiles the JSON pattern IR; throws with the reason when malformed.
    #[napi(constructor)]
    pub fn new(ir: String) -> napi::Result<Self> {
        let c = bfly_pattern::parse(&ir).map_err(napi::Error::from_reason)?;
        let m = bfly_pattern::compile(&c.clauses).map_err(napi::Error::from_reason)?;
        Ok(CompiledMatcher {
            m,
            classes: c.classes,
            guards: c.guards,
        })
    }

    /// The compiled DAG as JSON (for the JS code generator and interpreter).
    #[napi]
    pub fn dag(&self) -> napi::Result<String> {
        serde_json::to_string(&self.m).map_err(|e| napi::Error::from_reason(e.to_string()))
    }

    /// The compiled DAG as readable text.
    #[napi]
    pub fn explain(&self) -> String {
        let names = bfly_pattern::explain::Names {
            classes: &self.classes,
            guards: &self.guards,
        };
        bfly_pattern::explain::explain(&self.m, &names)
    }

    /// Runs the matcher on an encoded value without decoding it: the
    /// winning clause (>= 0), or a `MatchCode`.
    #[napi]
    pub fn test_encoded(&self, bytes: Uint8Array) -> i32 {
        use bfly_pattern::{eval, mp::Mp, Outcome};
        match eval(&self.m, &Mp::new(&bytes)) {
            Outcome::Matched { clause, .. } => clause as i32,
            Outcome::NoMatch => MatchCode::NoMatch as i32,
            Outcome::NeedsJs => MatchCode::NeedsJs as i32,
        }
    }
}

/// What `CompiledMatcher.testEncoded` returns when no clause won.
#[napi]
pub enum MatchCode {
    /// No clause matches the value.
    NoMatch = -1,
    /// Only JS can decide (a guard, a class, a JS-only constant, or a
    /// value the encoded form cannot show).
    NeedsJs = -2,
}
