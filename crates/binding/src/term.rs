//! The arrival check of values from peers (`bfly-cluster`'s envelope::term),
//! for JS: its depth bound, which the JS encoder applies too, and the
//! check itself (the fuzzers compare it with the JS decoder).

use bfly_cluster::envelope::term;
use napi::bindgen_prelude::Uint8Array;
use napi_derive::napi;

/// The deepest value a node accepts from a peer (docs/PROTOCOL.md, 1.1).
#[napi]
pub const TERM_MAX_DEPTH: u32 = term::MAX_DEPTH as u32;

/// The longest BigInt (characters, sign included) a node accepts.
#[napi]
pub const TERM_MAX_BIGINT: u32 = term::MAX_BIGINT as u32;

/// Why `bytes` would close a link if a peer sent them as a value, or null
/// when they are exactly one well-formed value.
#[napi]
pub fn term_check(bytes: Uint8Array) -> Option<String> {
    term::check(&bytes).err().map(|e| e.0.to_string())
}
