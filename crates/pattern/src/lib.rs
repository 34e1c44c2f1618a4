//! The pattern compiler (MATCH/RECV): clauses of patterns compiled into one
//! decision DAG, and the Rust back end that evaluates it over encoded terms.

pub mod compile;
pub mod eval;
pub mod explain;
pub mod flat;
pub mod ir;
pub mod mp;
pub mod value;

#[cfg(test)]
mod tests;

pub use compile::{compile, Matcher};
pub use eval::{eval, Outcome, Sel, Term};
pub use ir::{parse, Pat};
