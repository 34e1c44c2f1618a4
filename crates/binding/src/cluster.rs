//! The binding of the distribution layer (`bfly-cluster`): starting and
//! stopping the node, its peers and identity, and the agent requests (ask,
//! answer) and call replies. Hot calls take their ids from the thread's
//! argument block (`slots`), as in lib.rs: slot 0 is always the peer node's id
//! (from `cluster_intern`); relations are in cluster_relations.rs.

use crate::block::with_block;
use crate::{slots, TABLE, THREADS};
use bfly_cluster::envelope::{Frame, Request};
use bfly_cluster::{Allow, Cluster, Config, Keys};
use bfly_core::Id;
use bfly_net::identity::Identity;
use bfly_net::keys::Cookie;
use bfly_net::link::Limits;
use napi::bindgen_prelude::{Buffer, Uint8Array};
use napi_derive::napi;
use std::sync::OnceLock;
use std::time::Duration;

pub(crate) static CLUSTER: OnceLock<Cluster> = OnceLock::new();

fn cluster() -> napi::Result<&'static Cluster> {
    if let Some(d) = CLUSTER.get() {
        return Ok(d);
    }
    let d = Cluster::new(&TABLE, &THREADS)
        .map_err(|e| napi::Error::from_reason(format!("bfly: no tokio runtime: {e}")))?;
    Ok(CLUSTER.get_or_init(|| d))
}

/// This node's name while it is a node.
pub(crate) fn node_name() -> Option<String> {
    CLUSTER.get().and_then(|d| d.name())
}

/// The name of peer node `id` (as interned by the distribution layer).
pub(crate) fn peer_name(id: bfly_core::NodeId) -> Option<String> {
    CLUSTER.get().and_then(|d| d.node_name(id))
}

/// A peer may ask this node to spawn processes (a bit of `AllowList`).
#[napi]
pub const CAP_SPAWN: u32 = bfly_cluster::CAP_SPAWN as u32;
/// A peer may send exit signals.
#[napi]
pub const CAP_EXIT: u32 = bfly_cluster::CAP_EXIT as u32;
/// A peer may link to this node's processes.
#[napi]
pub const CAP_LINK: u32 = bfly_cluster::CAP_LINK as u32;
/// A peer may install code (hot loading).
#[napi]
pub const CAP_CODE: u32 = bfly_cluster::CAP_CODE as u32;
/// User messages in flight to one remote process before its senders wait,
/// unless `NodeOptions.credit` says otherwise.
#[napi]
pub const DEFAULT_CREDIT: u32 = bfly_cluster::DEFAULT_CREDIT;
/// The largest message (encoded frame) a node link carries.
#[napi]
pub const LINK_MAX_MESSAGE: u32 = bfly_net::link::MAX_MESSAGE as u32;

/// What a peer may ask, as `bfly-cluster`'s capability bits.
#[napi(object)]
pub struct AllowList {
    /// For peers not listed.
    pub default: u32,
    pub peers: Vec<String>,
    /// The bits of each of `peers`.
    pub caps: Vec<u32>,
}

/// How to start the node.
#[napi(object)]
pub struct NodeOptions {
    pub name: String,
    pub listen: String,
    /// Exactly 32 bytes.
    pub cookie: Uint8Array,
    pub allow: AllowList,
    /// The node agent's process id.
    pub agent: f64,
    pub heartbeat_ms: u32,
    pub idle_ms: u32,
    /// Bytes that may wait unsent for one peer before its link is lost (0: default).
    pub max_queued_bytes: f64,
    /// User messages in flight per remote process before senders wait;
    /// 0 turns credit off (negative: the default).
    pub credit: i32,
    /// This node's identity secret (32 bytes), if it has one.
    pub identity: Option<Uint8Array>,
    /// Peer names whose identity keys are pinned, and those keys (32 bytes each).
    pub pinned_names: Vec<String>,
    pub pinned_keys: Vec<Uint8Array>,
    /// Refuse peers whose name is not pinned.
    pub only_pinned: bool,
    /// Join as a hidden node (never gossiped, connects to no one unasked).
    pub hidden: bool,
    /// Link with every visible node peers gossip (the full mesh).
    pub connect_all: bool,
}

/// Makes this runtime node `opts.name`, listening at `opts.listen`; returns
/// the address it is reachable at. Throws with the reason otherwise.
#[napi]
pub fn cluster_start(env: napi::Env, opts: NodeOptions) -> napi::Result<String> {
    let err = napi::Error::from_reason;
    let cookie = Cookie::new(&opts.cookie).map_err(|f| err(f.0.to_string()))?;
    let mut allow = Allow {
        default: opts.allow.default as u8,
        peers: Default::default(),
    };
    for (p, c) in opts.allow.peers.into_iter().zip(opts.allow.caps) {
        allow.peers.insert(p, c as u8);
    }
    let mut limits = Limits::default();
    if opts.heartbeat_ms > 0 {
        limits.heartbeat = Duration::from_millis(opts.heartbeat_ms as u64);
    }
    if opts.idle_ms > 0 {
        limits.idle = Duration::from_millis(opts.idle_ms as u64);
    }
    if opts.max_queued_bytes >= 1.0 {
        limits.max_queued = opts.max_queued_bytes as usize;
    }
    // A node as one from before batch frames (tests of the fallback, A/B runs).
    limits.batches = !std::env::var("BFLY_WIRE_BATCH").is_ok_and(|v| v == "0");
    let key32 = |b: &[u8], what: &str| -> napi::Result<[u8; 32]> {
        b.try_into()
            .map_err(|_| err(format!("{what} must be exactly 32 bytes")))
    };
    let mut keys = Keys {
        own: match &opts.identity {
            Some(s) => Some(Identity::from_secret(key32(s, "the identity key")?)),
            None => None,
        },
        only_pinned: opts.only_pinned,
        ..Keys::default()
    };
    for (n, k) in opts.pinned_names.into_iter().zip(&opts.pinned_keys) {
        let key = key32(k, &format!("the key pinned for '{n}'"))?;
        keys.pinned.insert(n, key);
    }
    let cfg = Config {
        name: opts.name,
        listen: opts.listen,
        cookie,
        allow,
        limits,
        agent: opts.agent as Id,
        credit: u32::try_from(opts.credit).unwrap_or(bfly_cluster::DEFAULT_CREDIT),
        keys,
        hidden: opts.hidden,
        connect_all: opts.connect_all,
    };
    let d = cluster()?;
    let addr = d.start(cfg).map_err(err)?;
    crate::host::become_host(env.raw(), d);
    Ok(addr)
}

/// Stops being a node: links close and their relations fire 'noconnection'.
#[napi]
pub fn cluster_stop() {
    if let Some(d) = CLUSTER.get() {
        d.stop();
    }
}

/// This node's name, or null when it is not a node.
#[napi]
pub fn cluster_name() -> Option<String> {
    node_name()
}

/// The id of node `name` (kept while the node is needed; a forgotten id
/// still resolves, but JS drops its cache when `cluster_forget_epoch` changes).
#[napi]
pub fn cluster_intern(name: String) -> napi::Result<u32> {
    Ok(cluster()?.intern(&name))
}

/// Changes whenever the node forgets peers: ids cached by name are stale.
/// -1 while this runtime is not a node.
#[napi]
pub fn cluster_forget_epoch() -> i64 {
    match CLUSTER.get() {
        Some(d) if d.started() => i64::from(d.epoch()),
        _ => -1,
    }
}

/// A fresh identity secret (32 random bytes) for `startNode({ identity })`.
#[napi]
pub fn identity_generate() -> Buffer {
    Identity::generate().secret_bytes().to_vec().into()
}

/// The public key (32 bytes) of identity secret `secret`, the one peers pin.
#[napi]
pub fn identity_public(secret: Uint8Array) -> napi::Result<Buffer> {
    let s: [u8; 32] = secret[..]
        .try_into()
        .map_err(|_| napi::Error::from_reason("an identity secret is exactly 32 bytes"))?;
    Ok(Identity::from_secret(s).public().to_vec().into())
}

/// Where node `name` listens (seed register-server).
#[napi]
pub fn cluster_set_address(name: String, addr: String) -> napi::Result<()> {
    cluster()?.set_address(&name, &addr);
    Ok(())
}

/// A known peer node.
#[napi(object)]
pub struct PeerState {
    pub name: String,
    pub addr: Option<String>,
    /// 'down', 'connecting' or 'up'.
    pub state: String,
    /// The sending key epoch when up.
    pub epoch: u32,
    /// Why the last connection attempt or link failed.
    pub error: Option<String>,
    /// The identity key it proved (64 hex characters), if any.
    pub key: Option<String>,
    /// It joined as a hidden node.
    pub hidden: bool,
}

/// Every known peer node.
#[napi]
pub fn cluster_peers() -> Vec<PeerState> {
    let Some(d) = CLUSTER.get() else {
        return Vec::new();
    };
    d.peers()
        .into_iter()
        .map(|p| PeerState {
            name: p.name,
            addr: p.addr,
            state: p.state.to_string(),
            epoch: p.epoch,
            error: p.error,
            key: p
                .key
                .map(|k| k.iter().map(|b| format!("{b:02x}")).collect()),
            hidden: p.hidden,
        })
        .collect()
}

/// Links with the node at `addr` ('host:port') whose name is not known
/// (a seed, or an address discovery resolved); see `Cluster::probe`.
#[napi]
pub fn cluster_probe(addr: String) {
    if let Some(d) = CLUSTER.get() {
        d.probe(&addr);
    }
}

/// Why the last attempt to reach node `name` failed, if it did.
#[napi]
pub fn cluster_peer_error(name: String) -> Option<String> {
    CLUSTER
        .get()?
        .peers()
        .into_iter()
        .find(|p| p.name == name)?
        .error
}

/// A frame from JS to node `node`: it leaves at the thread's `cluster_flush`.
pub(crate) fn send(node: u64, f: Frame<'_>) -> bool {
    match CLUSTER.get() {
        Some(d) => with_encoded(&f, |b| d.send_deferred(node as u32, b)),
        None => false,
    }
}

/// The largest frame buffer a thread keeps between frames.
const FRAME_KEPT: usize = 1 << 20;

thread_local! {
    /// This thread's frame buffer (`with_encoded`).
    static FRAME: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Runs `g` on the bytes of `f`, encoded into this thread's reused frame
/// buffer: the link copies them (or keeps a copy while it connects or
/// waits for credit), so no frame is allocated per message.
pub(crate) fn with_encoded<R>(f: &Frame<'_>, g: impl FnOnce(&[u8]) -> R) -> R {
    let buf = f.encode_into(FRAME.take());
    let r = g(&buf);
    if buf.capacity() <= FRAME_KEPT {
        FRAME.set(buf);
    }
    r
}

/// Messages longer than this are sent as a frame head and the message
/// (`with_split`): those are sealed alone, where smaller ones are copied
/// into a batch frame whatever their source (bfly_net::batch).
pub(crate) const SPLIT_OVER: u64 = bfly_net::batch::MAX_ITEM as u64;

/// Runs `g` on the head of `f`, encoded into this thread's reused frame
/// buffer, and its message, borrowed: the two are sealed without being
/// joined (`Frame::encode_split`), one copy of the message less than
/// `with_encoded`.
pub(crate) fn with_split<R>(f: &Frame<'_>, g: impl FnOnce(&[u8], &[u8]) -> R) -> R {
    let (head, body) = f.encode_split(FRAME.take());
    let r = g(&head, body);
    if head.capacity() <= FRAME_KEPT {
        FRAME.set(head);
    }
    r
}

/// What the remote primitives return when they did nothing (they return a
/// ref, a token, 1 or 0 otherwise, as each says).
#[napi]
pub enum RemoteCode {
    /// This runtime is not a node.
    NotANode = -1,
    /// Out of credit toward the process, and the sender would not wait
    /// (`cluster_send`): nothing was sent.
    OutOfCredit = -2,
    /// Sent, and the link to the node is busy now (`cluster_send`,
    /// `cluster_send_name`): a sender that can wait should, with
    /// `cluster_calm`, before it sends more there.
    Busy = -3,
    /// The link to the node is busy and the sender would not wait
    /// (`cluster_send`, `cluster_send_name`): nothing was sent.
    LinkFull = -4,
}

/// A call's answer `[ref, value]` for process `to` of node `node`: the
/// first `len` bytes of the thread's byte block (block.rs).
#[napi]
pub fn cluster_reply() -> bool {
    let [node, to, len] = slots();
    with_block(0, len, |msg| send(node, Frame::Reply { to, msg })).unwrap_or(false)
}

/// What `cluster_ask` asks of a node's agent.
#[napi]
pub enum AskKind {
    /// Spawn a process from a `[module, fn, args]` spec.
    Spawn = 1,
    /// Install code (`loadCode`).
    Code = 2,
}

/// Asks node `node`'s agent for `kind` on behalf of local `from`, answered
/// with ref `request`; `flags` 1: link the spawned process to `from`.
#[napi]
pub fn cluster_ask(kind: AskKind, body: Uint8Array) -> bool {
    let [node, from, request, flags] = slots();
    let what = match kind {
        AskKind::Spawn => Request::Spawn,
        AskKind::Code => Request::Code,
    };
    send(
        node,
        Frame::Ask {
            what,
            from,
            r: request,
            flags: flags as u8,
            body: &body,
        },
    )
}

/// The agent's answer `[ok, value]` to request `request` of process `to` of
/// node `node`; `link`, when not 0, is a new local process linked to that
/// requester (it is linked here before the answer leaves).
#[napi]
pub fn cluster_answer(body: Uint8Array) -> bool {
    let [node, to, request, link] = slots();
    let Some(d) = CLUSTER.get() else { return false };
    if link != 0
        && d.relate(node as u32, |n| TABLE.link_remote(link, n, to))
            .is_err()
    {
        return false;
    }
    send(
        node,
        Frame::Answer {
            to,
            r: request,
            link,
            body: &body,
        },
    )
}
