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
//!
//! A read's user messages are copied into one buffer (`Held::bytes`), not a
//! `Vec` each. When the thread reading is the JS thread that owns their
//! processes (it reads its links itself) and its inbox is empty, they go
//! from there straight to the place that thread drains next
//! (`deliver_here`): no allocation, no inbox lock, no second copy. What
//! does not fit there, and everything once one did not, goes to the inbox,
//! which that thread takes after (so each sender's order holds).

use crate::node::{Cluster, Local};
use crate::peer::Peer;
use bfly_core::inbox::Delivery;
use bfly_core::spare;
use bfly_core::{Id, Lane, NodeId, ThreadId};
use bfly_net::reader::Sink;
use std::cell::{Cell, RefCell};
use std::sync::Arc;

/// A delivery held for the end of a read: one made by its caller, or a
/// message whose bytes are `Held::bytes[at..end]`.
enum Entry {
    Made(Delivery),
    Copied {
        to: Id,
        lane: Lane,
        at: usize,
        end: usize,
    },
}

impl Entry {
    fn to(&self) -> Id {
        match self {
            Entry::Made(d) => d.to,
            Entry::Copied { to, .. } => *to,
        }
    }

    fn lane(&self) -> Lane {
        match self {
            Entry::Made(d) => d.lane,
            Entry::Copied { lane, .. } => *lane,
        }
    }
}

/// The most capacity a link keeps for its reads' copied bytes between reads
/// (a read is 256 KiB, `bfly_net::reader::PUMP_BUDGET`, unless one message
/// is larger).
const KEEP_BYTES: usize = 1 << 20;

/// The deliveries of one read, in routing order, and the bytes of those
/// it copied.
#[derive(Default)]
pub(crate) struct Held {
    entries: Vec<Entry>,
    bytes: Vec<u8>,
}

/// Where a thread takes deliveries for its own processes during its own
/// reads: the thread, and `put(to, lane, payload)`, which stores one where
/// the thread drains next and says whether it could (false: no room).
pub type Here = (ThreadId, fn(Id, Lane, &[u8]) -> bool);

thread_local! {
    /// Deliveries of the read being routed on this thread; None when no
    /// read is being routed here (a post goes out at once).
    static HELD: RefCell<Option<Held>> = const { RefCell::new(None) };
    /// See `deliver_here`.
    static HERE: Cell<Option<Here>> = const { Cell::new(None) };
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

/// Has the reads routed on this (JS) thread, `thread`, store the
/// deliveries for its own processes with `put` (see the module's doc)
/// while its inbox is empty; None stops it (at the thread's cleanup).
/// `put` runs on this thread, with no JS running, during a read.
pub fn deliver_here(here: Option<Here>) {
    HERE.with(|h| h.set(here));
}

/// Holds `d` for the end of the read being routed on this thread; gives
/// it back when none is.
pub(crate) fn hold(d: Delivery) -> Option<Delivery> {
    HELD.with_borrow_mut(|h| match h {
        Some(held) => {
            held.entries.push(Entry::Made(d));
            None
        }
        None => Some(d),
    })
}

/// Holds a delivery of `parts`, joined, for the end of the read being
/// routed on this thread (copied into the read's bytes); false when no
/// read is being routed here.
pub(crate) fn hold_parts(to: Id, lane: Lane, parts: &[&[u8]]) -> bool {
    HELD.with_borrow_mut(|h| {
        let Some(held) = h else {
            return false;
        };
        let at = held.bytes.len();
        for p in parts {
            held.bytes.extend_from_slice(p);
        }
        let end = held.bytes.len();
        held.entries.push(Entry::Copied { to, lane, at, end });
        true
    })
}

/// A link's sink: routes each message, then posts what the read delivered.
pub(crate) struct RouteSink {
    pub(crate) cluster: &'static Cluster,
    pub(crate) local: Arc<Local>,
    pub(crate) peer: Arc<Peer>,
    /// The held deliveries' vectors, kept between reads.
    spare: Held,
}

impl RouteSink {
    pub(crate) fn new(cluster: &'static Cluster, local: Arc<Local>, peer: Arc<Peer>) -> Self {
        RouteSink {
            cluster,
            local,
            peer,
            spare: Held::default(),
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
    /// Posts what a read held in order (emptying it), each to the thread
    /// that owns its process: one table lookup, one inbox lock and wake-up
    /// per run of deliveries to one thread, and this thread's own straight
    /// where it drains next while they fit (see the module's doc). A user
    /// message from `from`, which counts credit (`Lane::Remote`), whose
    /// process is gone returns its credit with a count of 0, as a lone
    /// post did.
    pub(crate) fn post_all(&'static self, held: &mut Held, from: NodeId) {
        let Held { entries, bytes } = held;
        if entries.is_empty() {
            return;
        }
        let owners = self.table.owners(entries.iter().map(Entry::to));
        // Only while nothing waits in this thread's inbox: what is there
        // (an earlier read's, taken by the runtime or past the room) goes first.
        let mut here = HERE
            .with(Cell::get)
            .filter(|(t, _)| self.threads.inbox(*t).is_some_and(|i| i.is_empty()));
        let mut gone = Vec::new();
        let mut run = Vec::new();
        let mut run_owner = None;
        for (e, owner) in entries.drain(..).zip(owners) {
            let Some(owner) = owner else {
                if e.lane() == Lane::Remote {
                    gone.push((e.to(), 0));
                }
                continue;
            };
            if let Some((_, put)) = here.filter(|(t, _)| *t == owner) {
                let stored = match &e {
                    Entry::Made(d) => put(d.to, d.lane, &d.payload),
                    Entry::Copied { to, lane, at, end } => put(*to, *lane, &bytes[*at..*end]),
                };
                if stored {
                    if let Entry::Made(d) = e {
                        spare::give_back(d.payload);
                    }
                    continue;
                }
                // No room: this one and the rest for this thread go to its inbox.
                here = None;
            }
            let d = match e {
                Entry::Made(d) => d,
                Entry::Copied { to, lane, at, end } => Delivery {
                    to,
                    lane,
                    payload: spare::filled(&[&bytes[at..end]]),
                },
            };
            if run_owner != Some(owner) {
                self.post_run(run_owner, &mut run);
                run_owner = Some(owner);
            }
            run.push(d);
        }
        self.post_run(run_owner, &mut run);
        bytes.clear();
        if bytes.capacity() > KEEP_BYTES {
            // A read that carried a large message does not hold its size for good.
            *bytes = Vec::new();
        }
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
