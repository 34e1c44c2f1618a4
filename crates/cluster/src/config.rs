//! What a node is started with, and what each peer may ask of it.

use bfly_core::Id;
use bfly_net::identity::Identity;
use bfly_net::keys::Cookie;
use bfly_net::link::Limits;
use rustc_hash::FxHashMap;

/// A peer may ask this node to spawn processes.
pub const CAP_SPAWN: u8 = 1;
/// A peer may send exit signals with `exit()`.
pub const CAP_EXIT: u8 = 2;
/// A peer may link to this node's processes.
pub const CAP_LINK: u8 = 4;
/// A peer may install code (hot loading).
pub const CAP_CODE: u8 = 8;

/// What each peer may ask of this node (sends, calls and monitors are
/// always allowed to cookie holders).
#[derive(Debug, Clone)]
pub struct Allow {
    /// For peers not listed.
    pub default: u8,
    /// Per peer node name.
    pub peers: FxHashMap<String, u8>,
}

impl Default for Allow {
    fn default() -> Self {
        Allow {
            default: CAP_SPAWN | CAP_EXIT | CAP_LINK | CAP_CODE,
            peers: FxHashMap::default(),
        }
    }
}

impl Allow {
    pub(crate) fn permits(&self, peer: &str, cap: u8) -> bool {
        self.peers.get(peer).copied().unwrap_or(self.default) & cap != 0
    }
}

/// Identity keys (docs/PROTOCOL.md, 2.8): this node's own, and the keys
/// it pins to peer names, so that a name (and what `Allow` grants it)
/// belongs to whoever holds its key rather than to whoever says it.
#[derive(Default)]
pub struct Keys {
    /// This node's static key, proven to every peer in Hello or HelloAck.
    pub own: Option<Identity>,
    /// Peer name to public key: a peer that says one of these names must
    /// prove that key, or its link is refused.
    pub pinned: FxHashMap<String, [u8; 32]>,
    /// Refuse every peer whose name is not in `pinned`.
    pub only_pinned: bool,
}

/// How to start a node.
pub struct Config {
    pub name: String,
    /// "host:port" to listen on (port 0 picks one).
    pub listen: String,
    pub cookie: Cookie,
    pub allow: Allow,
    pub limits: Limits,
    /// The node agent's process id (see the crate docs).
    pub agent: Id,
    /// User messages that may be in flight to one remote process before
    /// its senders wait (credit.rs); 0 turns credit off toward and from
    /// this node (it then behaves as a node from before credit).
    pub credit: u32,
    /// Identity keys (none by default: the cookie alone admits a peer).
    pub keys: Keys,
    /// Join as a hidden node (Erlang's `-hidden`): peers do not gossip it,
    /// so no other node connects to it, and they do not list it once its
    /// link is gone; it connects to no one it was not asked to.
    pub hidden: bool,
    /// Connect to every visible node a peer gossips (Erlang's default
    /// transitive connection, making a full mesh). Off for hidden nodes.
    pub connect_all: bool,
}

impl Config {
    /// Node `name` listening at `listen`, with every other setting at its
    /// default (everything allowed, default limits and credit window).
    pub fn new(name: &str, listen: &str, cookie: Cookie, agent: Id) -> Self {
        Config {
            name: name.into(),
            listen: listen.into(),
            cookie,
            allow: Allow::default(),
            limits: Limits::default(),
            agent,
            credit: DEFAULT_CREDIT,
            keys: Keys::default(),
            hidden: false,
            connect_all: false,
        }
    }
}

/// The credit window when none is configured: a drain block's worth of deliveries (4,096), so a stream to one
/// process is not held between grants (at 512, a 100 B stream to a pid ran at half the rate of one by name).
pub const DEFAULT_CREDIT: u32 = 4096;

/// A peer as `Cluster::peers` reports it.
#[derive(Debug, Clone)]
pub struct PeerInfo {
    pub name: String,
    pub addr: Option<String>,
    /// "down", "connecting" or "up".
    pub state: &'static str,
    /// The sending key epoch of the link when up.
    pub epoch: u32,
    /// Why the last attempt or link failed.
    pub error: Option<String>,
    /// The identity key the peer proved over its current or last link.
    pub key: Option<[u8; 32]>,
    /// It said Hello as a hidden node (it is never gossiped).
    pub hidden: bool,
}
