//! One remote node as this node sees it: its name, how to reach it, and
//! the state of the one link to it.

use crate::credit::Credit;
use crate::forward::Forwarded;
use bfly_core::NodeId;
use bfly_net::link::LinkSender;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

/// Milliseconds since the first call (a clock for `Peer::since`).
pub(crate) fn now_ms() -> u64 {
    static BASE: OnceLock<Instant> = OnceLock::new();
    BASE.get_or_init(Instant::now).elapsed().as_millis() as u64
}

/// The link to a peer.
pub(crate) enum Conn {
    /// No link; the next send connects.
    Down,
    /// Connecting (or waiting for the peer's own link to win); frames wait
    /// here in send order and go out first once a link is up; `bytes` of
    /// them, bounded like a link's queue (`Limits::max_queued`).
    Connecting {
        gen: u64,
        queue: Vec<Vec<u8>>,
        bytes: usize,
        credit: Credit,
        /// Started only to join the mesh (`connect_all`), not for a send:
        /// while nothing was queued, a failure is no lost link to report.
        mesh: bool,
    },
    /// Linked. `gen` tells this link from later ones; `instance` is the
    /// peer process's random id (a restarted peer has a new one);
    /// `incoming` when the peer opened this link; `credit`, the windows
    /// of user messages to its processes (see credit.rs).
    Up {
        gen: u64,
        tx: LinkSender,
        instance: [u8; 16],
        incoming: bool,
        credit: Credit,
    },
}

impl Conn {
    /// Whether what waits for the peer is past `limit` bytes (the link's
    /// busy state, or the queue of the attempt): senders that can, wait.
    pub(crate) fn busy(&self, limit: usize) -> bool {
        match self {
            Conn::Down => false,
            Conn::Connecting { bytes, .. } => *bytes > limit,
            Conn::Up { tx, .. } => tx.busy(),
        }
    }

    /// The credit windows of the link or attempt, if any.
    pub(crate) fn credit(&mut self) -> Option<&mut Credit> {
        match self {
            Conn::Down => None,
            Conn::Connecting { credit, .. } | Conn::Up { credit, .. } => Some(credit),
        }
    }
}

/// A remote node, interned by name in the directory (directory.rs) while a
/// link, a relation or a registration needs it; a `NodeId` is never
/// reused, so one in the process table always means the same node.
pub(crate) struct Peer {
    pub(crate) id: NodeId,
    pub(crate) name: String,
    /// "host:port", from `registerServer` or learned from the node itself
    /// or from gossip.
    pub(crate) addr: Mutex<Option<String>>,
    pub(crate) conn: Mutex<Conn>,
    /// Why the last connection attempt or link failed.
    pub(crate) error: Mutex<Option<String>>,
    /// Over the current link, both sides count credit: this node owes the
    /// peer a `Grant` for each `Send` it receives.
    pub(crate) grants: AtomicBool,
    /// Its address was registered by this node's program (registerServer):
    /// kept, never forgotten.
    pub(crate) registered: AtomicBool,
    /// When it was interned or its link last came up or went down (`now_ms`).
    pub(crate) since: AtomicU64,
    /// Whether its link is up (mirrors `conn`, read without its lock).
    pub(crate) linked: AtomicBool,
    /// Dropped from the directory (set under `conn`'s lock): whoever
    /// holds this `Arc` looks the name up again.
    pub(crate) forgotten: AtomicBool,
    /// The identity key it proved over its current or last link.
    pub(crate) key: Mutex<Option<[u8; 32]>>,
    /// Its Hello said it is hidden (`FEAT_HIDDEN`): never gossiped.
    pub(crate) hidden: AtomicBool,
    /// The nodes linked with this one have been told of it (this node
    /// sent the news of its link, or heard of it in gossip) since its link
    /// was last lost: a new link to it is not news. Keeps a join from
    /// making every node tell every other (N² frames) in a mesh.
    pub(crate) told: AtomicBool,
    /// Monitors forwarded to this node for an alias (forward.rs).
    pub(crate) forwarded: Mutex<Vec<Forwarded>>,
}

impl Peer {
    pub(crate) fn new(id: NodeId, name: &str) -> Self {
        Peer {
            id,
            name: name.to_string(),
            addr: Mutex::new(None),
            conn: Mutex::new(Conn::Down),
            error: Mutex::new(None),
            grants: AtomicBool::new(false),
            registered: AtomicBool::new(false),
            since: AtomicU64::new(now_ms()),
            linked: AtomicBool::new(false),
            forgotten: AtomicBool::new(false),
            key: Mutex::new(None),
            hidden: AtomicBool::new(false),
            told: AtomicBool::new(false),
            forwarded: Mutex::new(Vec::new()),
        }
    }

    /// Whether the directory dropped it.
    pub(crate) fn forgotten(&self) -> bool {
        self.forgotten.load(Ordering::Acquire)
    }

    /// Notes that its link came up (`up`) or went down.
    pub(crate) fn touch(&self, up: bool) {
        self.since.store(now_ms(), Ordering::Relaxed);
        self.linked.store(up, Ordering::Relaxed);
    }

    /// When it was interned or its link last came up or went down (`now_ms`).
    pub(crate) fn since(&self) -> u64 {
        self.since.load(Ordering::Relaxed)
    }

    /// The state's name, for `PeerInfo`.
    pub(crate) fn state(&self) -> (&'static str, u32) {
        match &*self.conn.lock() {
            Conn::Down => ("down", 0),
            Conn::Connecting { .. } => ("connecting", 0),
            Conn::Up { tx, .. } => ("up", tx.epoch()),
        }
    }
}

/// Whether `name` can name a node: 1 to 255 bytes of UTF-8, each
/// character a printable ASCII character other than space (`!` to `~`) or
/// any non-ASCII character (docs/PROTOCOL.md, "Link set-up").
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name.chars().all(|c| c.is_ascii_graphic() || !c.is_ascii())
}
