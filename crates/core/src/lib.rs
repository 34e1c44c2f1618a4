//! Butterfly's core: the process table of record (pids, owners, links,
//! monitors, registered names) and the per-thread inboxes through which
//! messages from other threads and nodes reach a JS thread.
//!
//! Pure Rust with no N-API types, so everything here is tested by
//! `cargo test` alone. The binding crate (`crates/binding`) only adapts it.

pub mod departure;
pub mod inbox;
mod nodetable;
pub mod placement;
mod registry;
pub mod remote;
pub mod spare;
pub mod systable;
pub mod table;

pub use inbox::{Delivery, Inbox, Lane, Spun, Threads};
pub use nodetable::NodeState;
pub use placement::{spawn_on, PlaceError};
pub use registry::{Bound, RegisterError};
pub use remote::{NodeId, NodeLoss, RemoteRel};
pub use table::{Exited, Id, NoProc, ProcessTable, RefId, ThreadId};
