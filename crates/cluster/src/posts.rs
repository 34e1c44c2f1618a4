//! The deliveries of one read of a link. A link's sink (`RouteSink`)
//! routes each read with its state in hand (`Read`), so a message costs no
//! thread-local access (~4 before, each a call from this shared library).
//!
//! When the thread reading is the JS thread that owns the targets (it reads
//! its links itself) and its inbox is empty as the read begins, messages
//! for its processes are stored at once where it drains next
//! (`deliver_here`): one copy, no allocation, no lock. Whether a target is
//! its own is looked up once per read and target: only that thread ends
//! its processes, and it runs no JS during the read (a stale answer would
//! cost what a post racing an exit costs: JS drops it, returning credit).
//!
//! From the first delivery that is not stored so, everything the read
//! delivers waits here in order (user messages copied into one buffer,
//! `Held::bytes`) and goes out at its end: the owners in one table lookup,
//! this thread's own where it drains next while its inbox is empty and
//! they fit, each other run under one inbox lock with one wake-up (an
//! eighth of a 100 B stream's receiving node when each went alone). What
//! goes to the inbox is taken after what was stored, so each sender's
//! order holds. Frames other than messages act as they are routed, with
//! the read's deliveries where `post` finds them (`HELD`).
//!
//! A read remembers the head of its last `SendName` that resolved to a pid,
//! so the rest of a run to one name (a sender reuses the head) is matched
//! by its bytes, not parsed or looked up again; each message is still
//! checked whole (`Frame::message_after`). No sender can tell: nothing a
//! read routes runs before it ends, so only another thread can rebind the
//! name meanwhile, concurrently with the whole read. The next read looks
//! it up again; aliases are never remembered.

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
/// reads: the thread, and `put(to, lane, parts)`, which stores one (its
/// payload `parts` joined) where the thread drains next and says whether
/// it could (false: no room).
pub type Here = (ThreadId, fn(Id, Lane, &[&[u8]]) -> bool);

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
    /// The head of the last `SendName` that resolved, and its pid.
    head: Vec<u8>,
    named: Option<Id>,
    /// Where this read stores at once, while it does.
    here: Option<Here>,
    /// `here` was looked up.
    begun: bool,
    /// The last target found alive on the thread reading.
    mine: Option<Id>,
}

impl Read {
    /// Delivers `parts`, joined, to `to`: stored at once or held (module doc).
    pub(crate) fn deliver(&mut self, c: &Cluster, to: Id, lane: Lane, parts: &[&[u8]]) {
        if !self.begun {
            self.begun = true;
            self.here = c.here_now();
        }
        if let Some((thread, put)) = self.here {
            if self.held.entries.is_empty()
                && (self.mine == Some(to) || self.is_mine(c, thread, to))
                && put(to, lane, parts)
            {
                return;
            }
            self.here = None;
        }
        self.held.copy(to, lane, parts);
    }

    /// Whether `to` is alive on `thread` (remembered: see the module doc).
    fn is_mine(&mut self, c: &Cluster, thread: ThreadId, to: Id) -> bool {
        let mine = c.table.owner(to) == Some(thread);
        if mine {
            self.mine = Some(to);
        }
        mine
    }

    /// The read is over.
    fn end(&mut self) {
        self.named = None;
        self.here = None;
        self.begun = false;
        self.mine = None;
    }

    /// When `m` has the head `named` remembered: its pid and `m`'s message.
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
        /// Takes them back however `f` leaves (even by a panic).
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
        self.read.end();
        self.cluster.post_all(&mut self.read.held, self.peer.id);
    }
}

impl Cluster {
    /// Where this thread stores its own deliveries now (`deliver_here`):
    /// only while nothing waits in its inbox, since what is there (an
    /// earlier read's, taken by the runtime or past the room) goes first.
    fn here_now(&self) -> Option<Here> {
        HERE.with(Cell::get)
            .filter(|(t, _)| self.threads.inbox(*t).is_some_and(|i| i.is_empty()))
    }

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
        let mut here = self.here_now();
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
                    Entry::Made(d) => put(d.to, d.lane, &[&d.payload]),
                    Entry::Copied { to, lane, at, end } => put(*to, *lane, &[&bytes[*at..*end]]),
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
