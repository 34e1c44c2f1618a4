//! Terms for the node agent (the JS side of the node), as MessagePack
//! arrays that the JS codec decodes:
//!
//! - `['ask', what, peer, from, ref, flags, body]`: a request from `peer`
//!   (`what` is 'spawn' or 'code'); answer it with an `Answer` frame.
//! - `['notice', peer, what, detail]`: something refused, to log.
//! - `['nodeup', peer]`, `['nodedown', peer, reason]`.
//! - `['rejected', peer, addr, reason]`: a connection from `addr` that did
//!   not become a link (`peer` is the name it claimed, '' before Hello).

use crate::envelope::Request;
use bfly_core::{Id, RefId};
use rmp::encode as e;

/// An array of `n` elements starting with `tag` and `peer`.
fn head(n: u32, tag: &str, peer: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    // Writing into a Vec cannot fail.
    let _ = e::write_array_len(&mut out, n);
    let _ = e::write_str(&mut out, tag);
    let _ = e::write_str(&mut out, peer);
    out
}

/// `['ask', what, peer, from, ref, flags, body]`, `body` an encoded term.
pub fn ask(what: Request, peer: &str, from: Id, r: RefId, flags: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(48 + peer.len() + body.len());
    let _ = e::write_array_len(&mut out, 7);
    let _ = e::write_str(&mut out, "ask");
    let _ = e::write_str(
        &mut out,
        match what {
            Request::Spawn => "spawn",
            Request::Code => "code",
        },
    );
    let _ = e::write_str(&mut out, peer);
    let _ = e::write_uint(&mut out, from);
    let _ = e::write_uint(&mut out, r);
    let _ = e::write_uint(&mut out, flags as u64);
    out.extend_from_slice(body);
    out
}

/// `['notice', peer, what, detail]`.
pub fn notice(what: &str, peer: &str, detail: &str) -> Vec<u8> {
    let mut out = head(4, "notice", peer);
    let _ = e::write_str(&mut out, what);
    let _ = e::write_str(&mut out, detail);
    out
}

/// `['nodeup', peer]`.
pub fn node_up(peer: &str) -> Vec<u8> {
    head(2, "nodeup", peer)
}

/// `['nodedown', peer, reason]`.
pub fn node_down(peer: &str, reason: &str) -> Vec<u8> {
    let mut out = head(3, "nodedown", peer);
    let _ = e::write_str(&mut out, reason);
    out
}

/// `['rejected', peer, addr, reason]`.
pub fn rejected(peer: &str, addr: &str, reason: &str) -> Vec<u8> {
    let mut out = head(4, "rejected", peer);
    let _ = e::write_str(&mut out, addr);
    let _ = e::write_str(&mut out, reason);
    out
}

/// `[false, code, message]`: a refused or failed request's answer body
/// (`code` is 'refused' when the allow-list said no).
pub fn failure(code: &str, message: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(code.len() + message.len() + 8);
    let _ = e::write_array_len(&mut out, 3);
    let _ = e::write_bool(&mut out, false);
    let _ = e::write_str(&mut out, code);
    let _ = e::write_str(&mut out, message);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bfly_pattern::mp::Mp;

    /// Each term is one complete MessagePack array of the length it declares.
    #[test]
    fn terms_are_well_formed() {
        let terms = [
            ask(Request::Spawn, "p", 1, 2, 1, &[0x90]),
            notice("link", "p", "refused"),
            node_up("p"),
            node_down("p", "why"),
            failure("refused", "no"),
            rejected("p", "127.0.0.1:1", "why"),
        ];
        let lens = [7, 4, 2, 3, 3, 4];
        for (t, n) in terms.iter().zip(lens) {
            let mut r = &t[..];
            assert_eq!(rmp::decode::read_array_len(&mut r).unwrap(), n);
            assert_eq!(Mp::new(t).bytes().len(), t.len(), "one complete value");
        }
    }
}
