//! The binding of the distribution layer (`bfly-cluster`): starting and
//! stopping the node, and one function per remote primitive. Hot calls
//! take their ids from the thread's argument block (`arg`), as in lib.rs:
//! slot 0 is always the peer node's id (from `dist_intern`).

use crate::{arg, TABLE, THREADS};
use bfly_cluster::envelope::{Frame, Request, NODE_TARGET};
use bfly_cluster::{Allow, Config, Dist, Keys};
use bfly_core::{Id, RemoteRel};
use bfly_net::identity::Identity;
use bfly_net::keys::Cookie;
use bfly_net::link::Limits;
use napi::bindgen_prelude::{Buffer, Uint8Array};
use napi_derive::napi;
use std::cell::RefCell;
use std::sync::OnceLock;
use std::time::Duration;

pub(crate) static DIST: OnceLock<Dist> = OnceLock::new();

fn dist() -> napi::Result<&'static Dist> {
    if let Some(d) = DIST.get() {
        return Ok(d);
    }
    let d = Dist::new(&TABLE, &THREADS)
        .map_err(|e| napi::Error::from_reason(format!("bfly: no tokio runtime: {e}")))?;
    Ok(DIST.get_or_init(|| d))
}

/// This node's name while it is a node.
pub(crate) fn node_name() -> Option<String> {
    DIST.get().and_then(|d| d.name())
}

/// The name of peer node `id` (as interned by the distribution layer).
pub(crate) fn peer_name(id: bfly_core::NodeId) -> Option<String> {
    DIST.get().and_then(|d| d.node_name(id))
}

/// Tells the nodes a departed process had relations with.
pub(crate) fn exited(id: Id, rel: &RemoteRel, reason: &[u8]) {
    if let Some(d) = DIST.get() {
        d.exited(id, rel, reason);
    }
}

/// The live id of the node in args[0] (a JS cache may hold a forgotten one).
fn node_arg(d: &Dist) -> u32 {
    d.live(arg(0) as u32)
}

/// Ends remote monitor `r` of `watcher`; tells the target's node.
pub(crate) fn demonitor(watcher: Id, r: Id, name: Option<&str>) -> bool {
    let Some(d) = DIST.get() else { return false };
    let Some((node, target)) = TABLE.demonitor_remote(watcher, r) else {
        return false;
    };
    let name = if target == 0 { name.unwrap_or("") } else { "" };
    d.send(
        node,
        Frame::Demonitor {
            origin: "",
            r,
            target,
            name,
        }
        .encode(),
    );
    true
}

thread_local! {
    /// The remote relations of this thread's last `proc_exit`.
    static EXITED: RefCell<Option<(Id, Box<RemoteRel>)>> = const { RefCell::new(None) };
}

pub(crate) fn stash_exit(id: Id, rel: Box<RemoteRel>) {
    EXITED.with_borrow_mut(|s| *s = Some((id, rel)));
}

/// Sends the remote effects of this thread's last `proc_exit`, with the
/// exit reason encoded.
#[napi]
pub fn proc_exit_remote(reason: Uint8Array) {
    if let Some((id, rel)) = EXITED.with_borrow_mut(Option::take) {
        exited(id, &rel, &reason);
    }
}

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
pub fn dist_start(opts: NodeOptions) -> napi::Result<String> {
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
    dist()?.start(cfg).map_err(err)
}

/// Stops being a node: links close and their relations fire 'noconnection'.
#[napi]
pub fn dist_stop() {
    if let Some(d) = DIST.get() {
        d.stop();
    }
}

/// This node's name, or null when it is not a node.
#[napi]
pub fn dist_name() -> Option<String> {
    node_name()
}

/// The id of node `name` (kept while the node is needed; a forgotten id
/// still resolves, but JS drops its cache when `dist_forget_epoch` changes).
#[napi]
pub fn dist_intern(name: String) -> napi::Result<u32> {
    Ok(dist()?.intern(&name))
}

/// Changes whenever the node forgets peers: ids cached by name are stale.
#[napi]
pub fn dist_forget_epoch() -> u32 {
    DIST.get().map_or(0, Dist::epoch)
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
pub fn dist_set_address(name: String, addr: String) -> napi::Result<()> {
    dist()?.set_address(&name, &addr);
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
pub fn dist_peers() -> Vec<PeerState> {
    let Some(d) = DIST.get() else {
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
/// (a seed, or an address discovery resolved); see `Dist::probe`.
#[napi]
pub fn dist_probe(addr: String) {
    if let Some(d) = DIST.get() {
        d.probe(&addr);
    }
}

/// Why the last attempt to reach node `name` failed, if it did.
#[napi]
pub fn dist_peer_error(name: String) -> Option<String> {
    DIST.get()?
        .peers()
        .into_iter()
        .find(|p| p.name == name)?
        .error
}

/// A frame from JS to node args[0]: it leaves at the thread's `dist_flush`.
pub(crate) fn send(f: Frame<'_>) -> bool {
    match DIST.get() {
        Some(d) => d.send_deferred(arg(0) as u32, f.encode()),
        None => false,
    }
}

/// `exit()` from args[1] to process args[2] of node args[0].
#[napi]
pub fn dist_exit(reason: Uint8Array) -> bool {
    send(Frame::Exit {
        from: arg(1),
        to: arg(2),
        via_exit: true,
        reason: &reason,
    })
}

/// Links local args[1] with process args[2] of node args[0]: 1 done, 0
/// when args[1] is dead, -1 when this runtime is not a node.
#[napi]
pub fn dist_link() -> i32 {
    let Some(d) = DIST.get().filter(|d| d.name().is_some()) else {
        return -1;
    };
    match d.relate(arg(0) as u32, |n| TABLE.link_remote(arg(1), n, arg(2))) {
        Ok(true) => i32::from(send(Frame::Link {
            from: arg(1),
            to: arg(2),
        })),
        Ok(false) => 1,
        Err(_) => 0,
    }
}

/// Removes the link of local args[1] with process args[2] of node args[0].
#[napi]
pub fn dist_unlink() {
    let Some(d) = DIST.get() else { return };
    if TABLE.unlink_remote(arg(1), node_arg(d), arg(2)) {
        send(Frame::Unlink {
            from: arg(1),
            to: arg(2),
        });
    }
}

fn monitor(name: &str) -> f64 {
    let Some(d) = DIST.get().filter(|d| d.name().is_some()) else {
        return -1.0;
    };
    let (watcher, target) = (arg(1), if name.is_empty() { arg(2) } else { 0 });
    match d.relate(arg(0) as u32, |n| TABLE.monitor_remote(watcher, n, target)) {
        Ok(r) => {
            send(Frame::Monitor {
                origin: "",
                watcher,
                r,
                target,
                name,
            });
            r as f64
        }
        Err(_) => 0.0,
    }
}

/// Local args[1] monitors process args[2] of node args[0]: the ref, 0 when
/// args[1] is dead, -1 when this runtime is not a node.
#[napi]
pub fn dist_monitor() -> f64 {
    monitor("")
}

/// Local args[1] monitors node args[0] itself: its DOWN comes only when the
/// link is lost (reason 'noconnection'). As `dist_monitor`.
#[napi]
pub fn dist_monitor_node() -> f64 {
    let Some(d) = DIST.get().filter(|d| d.name().is_some()) else {
        return -1.0;
    };
    match d.relate(arg(0) as u32, |n| {
        TABLE.monitor_remote(arg(1), n, NODE_TARGET)
    }) {
        Ok(r) => {
            send(Frame::Monitor {
                origin: "",
                watcher: arg(1),
                r,
                target: NODE_TARGET,
                name: "",
            });
            r as f64
        }
        Err(_) => 0.0,
    }
}

/// Local args[1] monitors service `name` of node args[0] (as `dist_monitor`).
#[napi]
pub fn dist_monitor_name(name: String) -> f64 {
    if name.is_empty() {
        return -1.0;
    }
    monitor(&name)
}

/// Ends monitor args[1] of local args[0] taken on service `name`.
#[napi]
pub fn dist_demonitor_name(name: String) -> bool {
    demonitor(arg(0), arg(1), Some(&name))
}

/// A call's answer `[ref, value]` for process args[1] of node args[0].
#[napi]
pub fn dist_reply(msg: Uint8Array) -> bool {
    send(Frame::Reply {
        to: arg(1),
        msg: &msg,
    })
}

/// Asks node args[0]'s agent to spawn (`kind` 1) or install code (2) for
/// local args[1], answered with ref args[2]; args[3] are flags (1: link).
#[napi]
pub fn dist_ask(kind: u32, body: Uint8Array) -> bool {
    let what = if kind == 2 {
        Request::Code
    } else {
        Request::Spawn
    };
    send(Frame::Ask {
        what,
        from: arg(1),
        r: arg(2),
        flags: arg(3) as u8,
        body: &body,
    })
}

/// The agent's answer `[ok, value]` to request args[2] of process args[1]
/// of node args[0]; args[3], when not 0, is a new local process linked to
/// that requester (it is linked here before the answer leaves).
#[napi]
pub fn dist_answer(body: Uint8Array) -> bool {
    let Some(d) = DIST.get() else { return false };
    let link = arg(3);
    if link != 0
        && d.relate(arg(0) as u32, |n| TABLE.link_remote(link, n, arg(1)))
            .is_err()
    {
        return false;
    }
    send(Frame::Answer {
        to: arg(1),
        r: arg(2),
        link,
        body: &body,
    })
}
