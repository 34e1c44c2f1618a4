//! The deliveries of one read of a link, posted together. Routing a
//! frame posted its delivery at once: a table lookup for the owner thread,
//! that thread's inbox lookup, its lock and a wake-up check per message,
//! an eighth of a 100 B stream's receiving node. While a link's reader
//! hands over what one read brought (`RouteSink`), deliveries wait here, in
//! order, and go out when the read's messages are all routed: the owners
//! in one table lookup, each run for one thread under one inbox lock with
//! at most one wake-up. Everything else a frame does (relations in the
//! table, credit, frames sent back) happens as it is routed, as before;
//! deliveries, which were queued in routing order, stay in that order.
//!
//! A read also remembers the last name a `SendName` resolved to a pid
//! (`named`), so a run of messages to one registered name looks it up
//! once (the registry's lookup was ~6% of a 100 B stream's receiving
//! thread). Remembering it for one read changes nothing a sender can
//! observe: a read is routed synchronously on one thread, and nothing
//! routed in it runs a process (its deliveries are held until the read
//! ends), so only another thread can rebind the name meanwhile, and that
//! registration is concurrent with the whole read: the messages routed
//! before it was seen would have gone to the old pid anyway. The next
//! read looks the name up again. Aliases are never remembered.

use crate::node::{Cluster, Local};
use crate::peer::Peer;
use bfly_core::inbox::Delivery;
use bfly_core::{Id, Lane, NodeId, ThreadId};
use bfly_net::reader::Sink;
use std::cell::RefCell;
use std::sync::Arc;

thread_local! {
    /// Deliveries of the read being routed on this thread; None when no
    /// read is being routed here (a post goes out at once).
    static HELD: RefCell<Option<Vec<Delivery>>> = const { RefCell::new(None) };
    /// The last name resolved to a pid in the read being routed on this
    /// thread (see the module's doc); None outside a read.
    static NAMED: RefCell<Option<(String, Id)>> = const { RefCell::new(None) };
}

impl Cluster {
    /// The pid registered as `name`: the one this read already resolved
    /// it to, if it did (see the module's doc), else the registry's.
    pub(crate) fn whereis_in_read(&self, name: &str) -> Option<Id> {
        let routing = HELD.with_borrow(Option::is_some);
        if !routing {
            return self.table.whereis(name);
        }
        NAMED.with_borrow_mut(|last| {
            if let Some((n, id)) = last {
                if n == name {
                    return Some(*id);
                }
            }
            let id = self.table.whereis(name)?;
            match last {
                Some((n, old)) => {
                    n.clear();
                    n.push_str(name);
                    *old = id;
                }
                None => *last = Some((name.to_string(), id)),
            }
            Some(id)
        })
    }
}

/// Holds `d` for the end of the read being routed on this thread; gives
/// it back when none is.
pub(crate) fn hold(d: Delivery) -> Option<Delivery> {
    HELD.with_borrow_mut(|h| match h {
        Some(v) => {
            v.push(d);
            None
        }
        None => Some(d),
    })
}

/// A link's sink: routes each message, then posts what the read delivered.
pub(crate) struct RouteSink {
    pub(crate) cluster: &'static Cluster,
    pub(crate) local: Arc<Local>,
    pub(crate) peer: Arc<Peer>,
    /// The held deliveries' vector, kept between reads.
    spare: Vec<Delivery>,
}

impl RouteSink {
    pub(crate) fn new(cluster: &'static Cluster, local: Arc<Local>, peer: Arc<Peer>) -> Self {
        RouteSink {
            cluster,
            local,
            peer,
            spare: Vec::new(),
        }
    }
}

impl Sink for RouteSink {
    fn message(&mut self, m: &[u8]) -> Result<(), String> {
        HELD.with_borrow_mut(|h| {
            if h.is_none() {
                *h = Some(std::mem::take(&mut self.spare));
            }
        });
        self.cluster
            .route(&self.local, &self.peer, m)
            .map_err(|e| format!("malformed frame from '{}': {}", self.peer.name, e.0))
    }

    fn end(&mut self) {
        let Some(mut held) = HELD.with_borrow_mut(Option::take) else {
            return;
        };
        NAMED.with_borrow_mut(|n| *n = None);
        self.cluster.post_all(&mut held, self.peer.id);
        self.spare = held;
    }
}

impl Cluster {
    /// Posts `ds` in order (emptying it), each to the thread that owns its
    /// process: one table lookup, one inbox lock and wake-up per run of
    /// deliveries to one thread. A user message from `from`, which counts
    /// credit (`Lane::Remote`), whose process is gone returns its credit
    /// with a count of 0, as a lone post did.
    pub(crate) fn post_all(&'static self, ds: &mut Vec<Delivery>, from: NodeId) {
        if ds.is_empty() {
            return;
        }
        let owners = self.table.owners(ds.iter().map(|d| d.to));
        let mut gone = Vec::new();
        let mut run = Vec::new();
        let mut run_owner = None;
        for (d, owner) in ds.drain(..).zip(owners) {
            let Some(owner) = owner else {
                if d.lane == Lane::Remote {
                    gone.push((d.to, 0));
                }
                continue;
            };
            if run_owner != Some(owner) {
                self.post_run(run_owner, &mut run);
                run_owner = Some(owner);
            }
            run.push(d);
        }
        self.post_run(run_owner, &mut run);
        if !gone.is_empty() {
            // Dropped, as for a dead pid; the sender forgets those pids.
            self.grant(from, gone);
        }
    }

    fn post_run(&self, owner: Option<ThreadId>, run: &mut Vec<Delivery>) {
        if let Some(inbox) = owner.and_then(|o| self.threads.inbox(o)) {
            inbox.post_many(run.drain(..));
        }
        run.clear();
    }
}
