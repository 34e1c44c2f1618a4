//! The sending side of a link. Callers seal frames into one shared buffer
//! (sealing needs no I/O). Bytes leave in one of two ways, always in the
//! order they were sealed:
//!
//! - `flush` writes what is queued straight from the caller's thread with
//!   a non-blocking write, when the writer task is not already writing: a
//!   JS thread that sent a burst flushes it once at the end of its tick,
//!   so a round trip costs no hand-off to another thread; a deferred
//!   burst growing past `DEFER_LIMIT` is flushed the same way at once;
//! - the writer task drains the buffer with one write per batch, when
//!   woken by `send_now` or by a flush that could not write everything.
//!   The same task sends heartbeats when idle and rotates keys on time.
//!
//! A syscall costs ~1.3 µs here, sealing 100 bytes ~0.3 µs, a wake-up of
//! another thread tens of µs on a loaded machine.
//!
//! The queue is bounded: a message pushed while more than `max_queued`
//! bytes wait for the socket (a peer that reads nothing, or reads slower
//! than this node sends) declares the link lost instead of growing without
//! end. Callers cannot be suspended (JS senders never block), so losing the
//! link, which fires every relation with 'noconnection', is the bound.
//!
//! Before that, the link is *busy* (Erlang's `busy_dist_port`) while more
//! than `Limits::busy` bytes wait, until under half of that: a deferred
//! send says so, and a sender that waits for `calm` never reaches the
//! bound. The writer takes the whole queue per write, so senders refill
//! during a write, not after it.

use crate::batch::Batch;
use crate::busy::Busy;
use crate::frame::{Kind, Sealer};
use crate::sock::Sock;
use crate::Fail;
use std::io::ErrorKind;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::Notify;

/// Bytes queued beyond which `send` waits for the writer (backpressure).
const HIGH_WATER: usize = 1 << 20;
/// Bytes a deferred burst may queue before the writer task starts on it.
const DEFER_LIMIT: usize = 64 << 10;
/// Why a link whose peer does not read is lost.
const OVER_LIMIT: &str = "peer not reading: send queue over its limit";

struct State {
    buf: Vec<u8>,
    sealer: Sealer,
    /// Small deferred messages not sealed yet (batch.rs): sealed as one
    /// frame when full, and before anything else is sealed or written, so
    /// the order of everything sent on the link is kept.
    batch: Batch,
    /// The peer reads batch frames.
    batching: bool,
    last: Instant,
    failed: bool,
    /// The link was dropped: flush what is queued, then shut down.
    closing: bool,
    /// The writer task holds a batch it is writing: nobody else writes.
    writing: bool,
    /// The socket, for direct flushes; gone once closed.
    w: Option<Arc<Sock>>,
}

/// Shared by the link's owner (which seals) and its writer task.
pub(crate) struct Outbox {
    state: Mutex<State>,
    wake: Notify,
    drained: Notify,
    /// Set once the link is lost for good (write failed or queue over the
    /// bound); `lost_wake` wakes the reader and the writer.
    lost: AtomicBool,
    lost_why: Mutex<&'static str>,
    lost_wake: Notify,
    max_queued: usize,
    /// Set and cleared under the state's lock.
    busy: Busy,
}

impl Outbox {
    pub(crate) fn new(
        sealer: Sealer,
        w: Arc<Sock>,
        max_queued: usize,
        busy_limit: usize,
    ) -> Arc<Self> {
        Arc::new(Outbox {
            state: Mutex::new(State {
                buf: Vec::new(),
                sealer,
                batch: Batch::new(),
                batching: false,
                last: Instant::now(),
                failed: false,
                closing: false,
                writing: false,
                w: Some(w),
            }),
            wake: Notify::new(),
            drained: Notify::new(),
            lost: AtomicBool::new(false),
            lost_why: Mutex::new("connection lost"),
            lost_wake: Notify::new(),
            max_queued,
            busy: Busy::new(busy_limit),
        })
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, State>, Fail> {
        self.state.lock().map_err(|_| Fail("link state poisoned"))
    }

    /// Seals the message that is `parts` joined (fragmented; never joined
    /// here, see `Sealer::seal_message_parts`) or one control frame (its
    /// payload the first part), or with `batch` adds a small message to
    /// the batch being built; returns the bytes queued and whether the
    /// buffer was empty before.
    fn push(
        &self,
        parts: &[&[u8]],
        control: Option<Kind>,
        batch: bool,
    ) -> Result<(usize, bool), Fail> {
        let mut st = self.lock()?;
        let pushed = Self::push_locked(&mut st, parts, control, batch, self.max_queued);
        self.after_push(st, pushed)
    }

    /// `push` under a lock already held; over the bound, the link is
    /// marked failed (`after_push` declares it lost).
    fn push_locked(
        st: &mut State,
        parts: &[&[u8]],
        control: Option<Kind>,
        batch: bool,
        max_queued: usize,
    ) -> Result<(usize, bool), Fail> {
        if st.failed {
            return Err(Fail("connection lost"));
        }
        if st.closing && control.is_none() {
            return Err(Fail("link closed"));
        }
        if st.buf.len() + st.batch.len() > max_queued && control.is_none() {
            st.failed = true;
            st.w = None;
            return Err(Fail(OVER_LIMIT));
        }
        let was_empty = st.buf.is_empty();
        let len = parts.iter().map(|p| p.len()).sum();
        let batch = batch && st.batching && control.is_none() && Batch::takes(len);
        if batch && st.batch.has_room(len) {
            // Sealing (later) reads the clock; a message that only joins
            // the batch does not (a clock read was a twentieth of a send).
            st.batch.push(parts, len);
            return Ok((st.buf.len() + st.batch.len(), was_empty));
        }
        let now = Instant::now();
        Self::seal_batch(st, now)?;
        let State {
            buf,
            sealer,
            last,
            batch: pending,
            ..
        } = st;
        match control {
            Some(k) => sealer.seal_rotating(k, parts.first().copied().unwrap_or(&[]), buf, now)?,
            None if batch => pending.push(parts, len),
            None => sealer.seal_message_parts(parts, buf, now)?,
        }
        *last = now;
        Ok((buf.len() + pending.len(), was_empty))
    }

    /// Unlocks after pushes: presses the busy mark with what is queued, or
    /// declares the link lost when a push found it over its bound.
    fn after_push(
        &self,
        st: std::sync::MutexGuard<'_, State>,
        pushed: Result<(usize, bool), Fail>,
    ) -> Result<(usize, bool), Fail> {
        match pushed {
            Ok((queued, was_empty)) => {
                let queued = self.busy.press(queued);
                drop(st);
                Ok((queued, was_empty))
            }
            Err(e) => {
                drop(st);
                if e.0 == OVER_LIMIT {
                    self.declare_lost(OVER_LIMIT);
                }
                Err(e)
            }
        }
    }

    /// After bytes left (locked): calm under half the limit.
    fn ease(&self, st: &State) {
        self.busy.ease(st.buf.len() + st.batch.len());
    }

    /// Whether the link is busy now (see busy.rs).
    pub(crate) fn busy(&self) -> bool {
        self.busy.is_on()
    }

    /// Returns once the link is not busy, or is lost.
    pub(crate) async fn calm(&self) {
        self.busy.calm(|| self.lost.load(Ordering::Acquire)).await
    }

    /// Seals the batch being built, if any, into the buffer.
    fn seal_batch(st: &mut State, now: Instant) -> Result<(), Fail> {
        if st.batch.is_empty() {
            return Ok(());
        }
        let State {
            buf,
            sealer,
            batch,
            last,
            ..
        } = st;
        let (kind, payload) = batch.take();
        *last = now;
        sealer.seal_rotating(kind, payload, buf, now)
    }

    /// Turns batching of deferred messages on or off (the peer reads
    /// batch frames, or not).
    pub(crate) fn batch(&self, on: bool) {
        if let Ok(mut st) = self.lock() {
            if !on && Self::seal_batch(&mut st, Instant::now()).is_err() {
                return;
            }
            st.batching = on;
        }
    }

    /// Queues one message and wakes the writer task.
    pub(crate) fn send_now(&self, msg: &[u8]) -> Result<(), Fail> {
        if self.push(&[msg], None, false)?.1 {
            self.wake.notify_one();
        }
        Ok(())
    }

    /// Queues messages, each the joined `parts` of one, for the caller's
    /// next `flush`, in order, under one lock (flushed at once when the
    /// burst passes `DEFER_LIMIT`); whether the link is busy now.
    pub(crate) fn send_deferred<'a, P: AsRef<[&'a [u8]]>>(
        &self,
        msgs: impl Iterator<Item = P>,
    ) -> Result<bool, Fail> {
        let mut st = self.lock()?;
        let mut pushed = Ok((0, false));
        for msg in msgs {
            pushed = Self::push_locked(&mut st, msg.as_ref(), None, true, self.max_queued);
            if pushed.is_err() {
                break;
            }
        }
        let (queued, _) = self.after_push(st, pushed)?;
        if queued > DEFER_LIMIT {
            // Written from here, not by the writer task: waking it for
            // each 64 KiB message cost both threads a context switch per
            // message (28,618 writer wake-ups in 30,000 messages) and
            // left each side half idle. What the socket does not take now
            // still goes to the writer task (`flush`).
            self.flush();
        }
        Ok(self.busy.is_on())
    }

    /// Writes what is queued from this thread, without blocking; what the
    /// socket does not take now is left to the writer task.
    pub(crate) fn flush(&self) {
        let Ok(mut st) = self.lock() else { return };
        if st.failed {
            return;
        }
        if Self::seal_batch(&mut st, Instant::now()).is_err() {
            drop(st);
            self.fail();
            self.wake.notify_one();
            return;
        }
        if st.writing || st.buf.is_empty() {
            return;
        }
        let Some(w) = st.w.clone() else { return };
        let mut off = 0;
        while off < st.buf.len() {
            match w.try_write(&st.buf[off..]) {
                Ok(n) => off += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => {
                    st.failed = true;
                    st.w = None;
                    drop(st);
                    self.declare_lost("connection lost");
                    self.wake.notify_one();
                    return;
                }
            }
        }
        st.buf.drain(..off);
        self.ease(&st);
        let rest = !st.buf.is_empty();
        drop(st);
        if rest {
            self.wake.notify_one();
        } else {
            self.drained.notify_waiters();
        }
    }

    /// Queues one message; waits while more than HIGH_WATER bytes are queued.
    pub(crate) async fn send(&self, msg: &[u8]) -> Result<(), Fail> {
        let (queued, was_empty) = self.push(&[msg], None, false)?;
        if was_empty {
            self.wake.notify_one();
        }
        if queued <= HIGH_WATER {
            return Ok(());
        }
        loop {
            let drained = self.drained.notified();
            {
                let st = self.lock()?;
                if st.failed {
                    return Err(Fail("connection lost"));
                }
                if st.buf.len() <= HIGH_WATER {
                    return Ok(());
                }
            }
            drained.await;
        }
    }

    /// Asks the writer to flush what is queued and close the connection.
    pub(crate) fn close(&self) {
        if let Ok(mut st) = self.lock() {
            // What waits in a batch leaves before the end (a key past its
            // limits fails the link instead, and the writer ends).
            let _ = Self::seal_batch(&mut st, Instant::now());
            st.closing = true;
        }
        self.wake.notify_one();
    }

    /// The sending epoch.
    pub(crate) fn epoch(&self) -> u32 {
        self.lock().map(|s| s.sealer.epoch()).unwrap_or(0)
    }

    fn fail(&self) {
        if let Ok(mut st) = self.lock() {
            st.failed = true;
            st.writing = false;
            st.w = None;
        }
        self.declare_lost("connection lost");
    }

    fn declare_lost(&self, why: &'static str) {
        if let Ok(mut w) = self.lost_why.lock() {
            if !self.lost.load(Ordering::Acquire) {
                *w = why;
            }
        }
        self.lost.store(true, Ordering::Release);
        self.lost_wake.notify_waiters();
        self.drained.notify_waiters();
        self.busy.wake_all();
    }

    /// Resolves once the link is lost for good (never before), with why.
    pub(crate) async fn lost(&self) -> Fail {
        loop {
            let woken = self.lost_wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            if self.lost.load(Ordering::Acquire) {
                return Fail(self.lost_why.lock().map_or("connection lost", |w| *w));
            }
            woken.await;
        }
    }
}

mod writer;
