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
//! The link's sink routes each read's messages itself, with that read's
//! state (`Read`) in hand: a message (`Send`, `SendName`) is held there
//! with no thread-local access, ~4 of them per message before (each a
//! `__tls_get_addr` call from this shared library). Only other frames,
//! whose routing may post from deeper down (relations, credit, the
//! agent), put the read's deliveries where `post` finds them (`HELD`)
//! while they are routed, and take them back after.
//!
//! A read also remembers the head of the last `SendName` whose name
//! resolved to a pid (`Read::named`), so the rest of a run of messages to
//! one registered name (a sender reuses the head) is matched by its bytes:
//! its name is not parsed, checked as UTF-8 nor looked up again (the
//! registry's lookup was ~6% of a 100 B stream's receiving thread); its
//! message is still checked whole (`Frame::message_after`). Remembering it
//! for one read changes nothing a sender can observe: a read is routed
//! synchronously on one thread, and nothing routed in it runs a process
//! (its deliveries are held until the read ends), so only another thread
//! can rebind the name meanwhile, and that registration is concurrent with
//! the whole read: the messages routed before it was seen would have gone
//! to the old pid anyway. The next read looks the name up again. Aliases
//! are never remembered.
//!
//! A read's user messages are copied into one buffer (`Held::bytes`), not a
//! `Vec` each. When the thread reading is the JS thread that owns their
//! processes (it reads its links itself) and its inbox is empty, they go
//! from there straight to the place that thread drains next
//! (`deliver_here`): no allocation, no inbox lock, no second copy. What
//! does not fit there, and everything once one did not, goes to the inbox,
//! which that thread takes after (so each sender's order holds).

use crate::envelope::{BadFrame, Frame};
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
    /// Deliveries of the read being routed on this thread, while one of
    /// its frames other than a message is (`Read::holding`); None
    /// otherwise (a post goes out at once).
    static HELD: RefCell<Option<Held>> = const { RefCell::new(None) };
    /// See `deliver_here`.
    static HERE: Cell<Option<Here>> = const { Cell::new(None) };
}

impl Held {
    /// Holds a delivery of `parts`, joined (copied into the read's bytes).
    fn copy(&mut self, to: Id, lane: Lane, parts: &[&[u8]]) {
        let at = self.bytes.len();
        for p in parts {
            self.bytes.extend_from_slice(p);
        }
        let end = self.bytes.len();
        self.entries.push(Entry::Copied { to, lane, at, end });
    }
}

/// What one read of a link has routed so far (see the module's doc).
#[derive(Default)]
pub(crate) struct Read {
    held: Held,
    /// The head (`Frame::encode_split`'s) of this read's last `SendName`
    /// whose name resolved to a pid, and that pid; its vector is kept
    /// between reads.
    head: Vec<u8>,
    named: Option<Id>,
}

impl Read {
    /// Holds a delivery of `parts`, joined, for the end of the read.
    pub(crate) fn hold(&mut self, to: Id, lane: Lane, parts: &[&[u8]]) {
        self.held.copy(to, lane, parts);
    }

    /// When `m` is a `SendName` with the head of the last one this read
    /// resolved: the pid it resolved to, and `m`'s message as `decode`
    /// checks it.
    pub(crate) fn same_name<'m>(&self, m: &'m [u8]) -> Option<(Id, Result<&'m [u8], BadFrame>)> {
        let id = self.named?;
        Some((id, Frame::message_after(m, &self.head)?))
    }

    /// Remembers, for the rest of this read, that `name` is `id`.
    pub(crate) fn named(&mut self, name: &str, id: Id) {
        let head = std::mem::take(&mut self.head);
        self.head = Frame::SendName { name, msg: &[] }.encode_into(head);
        self.named = Some(id);
    }

    /// Runs `f` with this read's deliveries where `post` finds them, so
    /// whatever `f` posts on this thread is held after them, in order.
    pub(crate) fn holding<R>(&mut self, f: impl FnOnce() -> R) -> R {
        /// Takes the deliveries back however `f` leaves (a panic must not
        /// leave this thread's later posts held for good).
        struct Back<'a>(&'a mut Held);
        impl Drop for Back<'_> {
            fn drop(&mut self) {
                if let Some(h) = HELD.with_borrow_mut(Option::take) {
                    *self.0 = h;
                }
            }
        }
        HELD.with_borrow_mut(|h| *h = Some(std::mem::take(&mut self.held)));
        let _back = Back(&mut self.held);
        f()
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

/// A link's sink: routes each message, then posts what the read delivered.
pub(crate) struct RouteSink {
    pub(crate) cluster: &'static Cluster,
    pub(crate) local: Arc<Local>,
    pub(crate) peer: Arc<Peer>,
    /// The read being routed; its vectors are kept between reads.
    read: Read,
}

impl RouteSink {
    pub(crate) fn new(cluster: &'static Cluster, local: Arc<Local>, peer: Arc<Peer>) -> Self {
        RouteSink {
            cluster,
            local,
            peer,
            read: Read::default(),
        }
    }
}

impl Sink for RouteSink {
    fn message(&mut self, m: &[u8]) -> Result<(), String> {
        self.cluster
            .route(&self.local, &self.peer, &mut self.read, m)
            .map_err(|e| format!("malformed frame from '{}': {}", self.peer.name, e.0))
    }

    fn end(&mut self) {
        self.read.named = None;
        self.cluster.post_all(&mut self.read.held, self.peer.id);
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
