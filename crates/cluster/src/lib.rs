//! Butterfly's distribution layer: what makes a pid on another node work
//! like a local one (specified in docs/PROTOCOL.md, "Distribution").
//!
//! - [`envelope`]: the frames inside SL1 messages.
//! - [`Cluster`]: this node's identity, the listener, one SL1 link per peer
//!   node (connected on first use; simultaneous connects keep one), and the
//!   routing of what arrives into the core's per-thread inboxes, on tokio
//!   threads, so a busy JS thread never makes a healthy peer look dead.
//! - Peers are known while something needs them (`directory`); refused
//!   and failed links are logged, rate-limited (`notices`).
//! - Relations across nodes live in the core's process table
//!   (`bfly_core::remote`); when a link is lost, each fires once with
//!   reason `'noconnection'`.
//!
//! Work that only JS can do (spawning a process from a module, installing
//! code) goes to the node agent: a system process of the thread that
//! started the node, which gets [`agent`] terms in its inbox.

pub mod agent;
mod config;
mod credit;
mod directory;
pub mod envelope;
mod forward;
mod grants;
mod hello;
mod links;
mod node;
mod notices;
mod peer;
mod posts;
mod reach;
mod route;
mod send;
mod send_parts;

pub use config::{
    Allow, Config, Keys, PeerInfo, CAP_CODE, CAP_EXIT, CAP_LINK, CAP_SPAWN, DEFAULT_CREDIT,
};
pub use credit::Sent;
pub use directory::{FORGET_AFTER, MAX_IDLE};
pub use envelope::MAX_GOSSIP;
pub use node::{Cluster, HostHook};
pub use posts::{deliver_here, Here};
pub use send::before_sending;
