//! The distribution frames that travel inside SL1 messages (one frame per
//! message), specified in docs/PROTOCOL.md ("Distribution").
//!
//! A frame is an op byte, fixed fields (ids as u64 little-endian, strings
//! as a u16 little-endian length and UTF-8), then for some ops a tail of
//! bytes that is a MessagePack term written by the codec (a message, a
//! reason, a request). Decoding (decode.rs) borrows from the input, checks every
//! length before reading, refuses trailing bytes where no tail is
//! defined, and checks every tail with [`term::check`] (exactly one
//! well-formed value), so a malformed value never reaches a process: a
//! peer that sends a malformed frame loses its link.

use bfly_core::{Id, RefId};

/// Why a frame was refused. Carries no data from the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadFrame(pub &'static str);

impl From<term::BadTerm> for BadFrame {
    fn from(e: term::BadTerm) -> Self {
        BadFrame(e.0)
    }
}

/// What a request asks the peer's node agent to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// Spawn `module[fn](p, ...args)`; flag 1 links it to the requester.
    Spawn = 1,
    /// Install a module's source (hot code loading).
    Code = 2,
}

/// One distribution frame. Ids are those of the node they live on: `to`
/// is the receiver's, `from` the sender's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A user message for process `to`.
    Send { to: Id, msg: &'a [u8] },
    /// A user message for the service registered as `name` on the receiver.
    SendName { name: &'a str, msg: &'a [u8] },
    /// An exit signal: from `exit()` when `via_exit`, otherwise carried by a link.
    Exit {
        from: Id,
        to: Id,
        via_exit: bool,
        reason: &'a [u8],
    },
    /// `from` links itself to `to`.
    Link { from: Id, to: Id },
    /// `from` removes its link with `to`.
    Unlink { from: Id, to: Id },
    /// `watcher` (of node `origin`, or of the sender when empty) monitors
    /// `target`, or the service `name` when `target` is 0; `r` is its ref.
    Monitor {
        origin: &'a str,
        watcher: Id,
        r: RefId,
        target: Id,
        name: &'a str,
    },
    /// The monitor `r` of a watcher of `origin` (or the sender) on `target`
    /// (or service `name`) ends.
    Demonitor {
        origin: &'a str,
        r: RefId,
        target: Id,
        name: &'a str,
    },
    /// Monitor `r` of `watcher` fired: `target` exited with `reason`.
    Down {
        watcher: Id,
        r: RefId,
        target: Id,
        reason: &'a [u8],
    },
    /// A call's answer for process `to`: the term `[ref, value]`.
    Reply { to: Id, msg: &'a [u8] },
    /// A request to the node agent from `from`, answered by `Answer` with `r`.
    Ask {
        what: Request,
        from: Id,
        r: RefId,
        flags: u8,
        body: &'a [u8],
    },
    /// The answer to request `r` of `to`: the term `[ok, value]`. `link`,
    /// when not 0, is a process the receiver must link `to` with.
    Answer {
        to: Id,
        r: RefId,
        link: Id,
        body: &'a [u8],
    },
    /// The first frame of a link, from the side that connected, with the
    /// distribution features it speaks (`FEAT_*`; None from nodes that
    /// predate the field, which means none), and when it has an identity
    /// key, that key and its proof over this link (bfly_net::identity).
    Hello {
        name: &'a str,
        addr: &'a str,
        features: Option<u8>,
        identity: Option<Proof<'a>>,
    },
    /// The reply to `Hello`: whether this link is kept (simultaneous
    /// connects keep one), the accepting node's name and address, its
    /// features (sent only when the Hello carried features), and its
    /// identity key and proof when it has one.
    HelloAck {
        ok: bool,
        name: &'a str,
        addr: &'a str,
        features: Option<u8>,
        identity: Option<Proof<'a>>,
    },
    /// Nodes the sender knows how to reach: (name, "host:port").
    Nodes { list: Vec<(&'a str, &'a str)> },
    /// A request of the receiver was refused by the sender's allow-list.
    Refused { what: &'a str, detail: &'a str },
    /// Credit returned for user messages the sender's `Send` frames
    /// brought: (process, count) pairs; count 0 says the process is gone
    /// (the sender drops what it holds for it). See `FEAT_CREDIT`.
    Grant { list: Vec<(Id, u32)> },
}

/// A static identity key and the proof that the sender holds its secret
/// over this link: (public key, proof).
pub type Proof<'a> = (&'a [u8; 32], &'a [u8; 32]);

/// Feature bit: this node returns credit (`Grant`) for every `Send` it
/// receives, so a sender may hold messages back when a window runs out.
pub const FEAT_CREDIT: u8 = 1;

/// Feature bit: this node is hidden (Erlang's `-hidden`): the receiver
/// never gossips it, so it joins no mesh, and forgets it once its link is
/// gone.
pub const FEAT_HIDDEN: u8 = 2;

/// Feature bit: this node reads SL1 batch frames (several small messages
/// sealed as one; bfly-net's batch.rs), so a peer may send its bursts that
/// way. Without it on both sides every message is a frame of its own.
pub const FEAT_BATCH: u8 = 4;

/// The most (process, count) pairs one `Grant` carries.
pub const MAX_GRANTS: usize = 4096;

/// The most (name, address) pairs a node gossips in one `Nodes` frame.
pub const MAX_GOSSIP: usize = 256;

/// The most pairs a `Nodes` frame may carry (more closes the link).
pub const MAX_NODES: usize = 1024;

const SEND: u8 = 1;
const SEND_NAME: u8 = 2;
const EXIT: u8 = 3;
const LINK: u8 = 4;
const UNLINK: u8 = 5;
const MONITOR: u8 = 6;
const DEMONITOR: u8 = 7;
const DOWN: u8 = 8;
const REPLY: u8 = 9;
const ASK: u8 = 10;
const ANSWER: u8 = 11;
const HELLO: u8 = 12;
const HELLO_ACK: u8 = 13;
const NODES: u8 = 14;
const REFUSED: u8 = 15;
const GRANT: u8 = 16;

/// The `target` of a monitor on the peer node itself (Erlang's
/// monitor_node): the peer records nothing; it fires only on loss.
pub const NODE_TARGET: Id = u64::MAX;

/// The largest string field (names, addresses, details).
pub const MAX_STR: usize = 1024;

impl Frame<'_> {
    /// The frame's bytes.
    pub fn encode(&self) -> Vec<u8> {
        self.encode_into(Vec::new())
    }

    /// The frame's bytes as a head written over `buf` and a tail borrowed
    /// from the frame, so that head then tail are exactly `encode`'s
    /// bytes: for a message (`Send`, `SendName`, `Reply`) the tail is the
    /// message, which a link then seals without it being copied here
    /// first; every other frame is all head.
    pub fn encode_split(&self, buf: Vec<u8>) -> (Vec<u8>, &[u8]) {
        match *self {
            Frame::Send { to, msg } => (Frame::Send { to, msg: &[] }.encode_into(buf), msg),
            Frame::SendName { name, msg } => {
                (Frame::SendName { name, msg: &[] }.encode_into(buf), msg)
            }
            Frame::Reply { to, msg } => (Frame::Reply { to, msg: &[] }.encode_into(buf), msg),
            _ => (self.encode_into(buf), &[]),
        }
    }

    /// The frame's bytes, written over `buf` (its capacity reused: a
    /// sender that encodes each frame into the same buffer allocates
    /// nothing per frame, where a fresh `Vec` per 64 KiB message cost a
    /// malloc, a free and page faults).
    pub fn encode_into(&self, mut buf: Vec<u8>) -> Vec<u8> {
        buf.clear();
        self.append_to(buf)
    }

    /// `buf` with the frame's bytes after what it held (a batch of frames
    /// encoded one after another into one buffer).
    pub fn append_to(&self, buf: Vec<u8>) -> Vec<u8> {
        match *self {
            Frame::Send { to, msg } => W::start(buf, SEND, 8 + msg.len()).id(to).tail(msg),
            Frame::SendName { name, msg } => W::start(buf, SEND_NAME, 2 + name.len() + msg.len())
                .str(name)
                .tail(msg),
            Frame::Exit {
                from,
                to,
                via_exit,
                reason,
            } => W::start(buf, EXIT, 17 + reason.len())
                .id(from)
                .id(to)
                .byte(via_exit as u8)
                .tail(reason),
            Frame::Link { from, to } => W::start(buf, LINK, 16).id(from).id(to).0,
            Frame::Unlink { from, to } => W::start(buf, UNLINK, 16).id(from).id(to).0,
            Frame::Monitor {
                origin,
                watcher,
                r,
                target,
                name,
            } => {
                W::start(buf, MONITOR, 28 + name.len() + origin.len())
                    .str(origin)
                    .id(watcher)
                    .id(r)
                    .id(target)
                    .str(name)
                    .0
            }
            Frame::Demonitor {
                origin,
                r,
                target,
                name,
            } => {
                W::start(buf, DEMONITOR, 20 + name.len() + origin.len())
                    .str(origin)
                    .id(r)
                    .id(target)
                    .str(name)
                    .0
            }
            Frame::Down {
                watcher,
                r,
                target,
                reason,
            } => W::start(buf, DOWN, 24 + reason.len())
                .id(watcher)
                .id(r)
                .id(target)
                .tail(reason),
            Frame::Reply { to, msg } => W::start(buf, REPLY, 8 + msg.len()).id(to).tail(msg),
            Frame::Ask {
                what,
                from,
                r,
                flags,
                body,
            } => W::start(buf, ASK, 18 + body.len())
                .byte(what as u8)
                .id(from)
                .id(r)
                .byte(flags)
                .tail(body),
            Frame::Answer { to, r, link, body } => W::start(buf, ANSWER, 24 + body.len())
                .id(to)
                .id(r)
                .id(link)
                .tail(body),
            Frame::Hello {
                name,
                addr,
                features,
                identity,
            } => {
                W::start(buf, HELLO, 69 + name.len() + addr.len())
                    .str(name)
                    .str(addr)
                    .opt(features.or(identity.map(|_| 0)))
                    .proof(identity)
                    .0
            }
            Frame::HelloAck {
                ok,
                name,
                addr,
                features,
                identity,
            } => {
                W::start(buf, HELLO_ACK, 70 + name.len() + addr.len())
                    .byte(ok as u8)
                    .str(name)
                    .str(addr)
                    .opt(features.or(identity.map(|_| 0)))
                    .proof(identity)
                    .0
            }
            Frame::Nodes { ref list } => {
                // Senders keep to MAX_GOSSIP; the count cannot overflow.
                let list = &list[..list.len().min(MAX_NODES)];
                let mut w = W::start(buf, NODES, 2 + list.len() * 32);
                w.0.extend_from_slice(&(list.len() as u16).to_le_bytes());
                for (n, a) in list {
                    w = w.str(n).str(a);
                }
                w.0
            }
            Frame::Refused { what, detail } => {
                W::start(buf, REFUSED, 4 + what.len() + detail.len())
                    .str(what)
                    .str(detail)
                    .0
            }
            Frame::Grant { ref list } => {
                let mut w = W::start(buf, GRANT, 2 + list.len() * 12);
                w.0.extend_from_slice(&(list.len() as u16).to_le_bytes());
                for &(id, n) in list {
                    w = w.id(id).u32(n);
                }
                w.0
            }
        }
    }
}

mod decode;
pub mod term;
mod wire;
use wire::{R, W};

#[cfg(test)]
mod tests;
