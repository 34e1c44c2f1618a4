//! The read side of an established link, shared by two readers: the tokio
//! runtime and, when the host offers one, the thread that runs the
//! receiving processes (a JS thread polling the socket on its own event
//! loop, so a message costs that thread one wake-up instead of two: the
//! runtime's, then the hand-off to it).
//!
//! One reader at a time: every read syscall, the feeding of its bytes to
//! the decryptor and the hand-off of each message to the sink happen under
//! one lock, so the byte stream is never interleaved and messages leave in
//! the order they were sent, whoever reads.
//!
//! Who reads: the host claims the link each time it pumps it; the runtime
//! then only watches, every `WATCH`: if bytes have waited on the socket
//! for a whole tick while the host pumped nothing, the host is stalled (a
//! busy or blocked event loop) and the runtime reads until the host pumps
//! again. Silence past the idle limit, a lost sending side, the peer
//! closing and bad frames end the link in both modes, so a blocked host
//! never makes a live peer look dead, nor a dead one look alive.

use crate::incoming::Frames;
use crate::link::Limits;
use crate::outbox::Outbox;
use crate::sock::{ReadWait, Sock};
use std::io::ErrorKind;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// What a link does with what it reads: each message in order, then the
/// end of each read's messages. An error ends the link with that reason.
/// Any `FnMut(&[u8]) -> Result<(), String>` is a sink that does nothing at
/// the end of a read.
pub trait Sink: Send {
    /// One whole message.
    fn message(&mut self, m: &[u8]) -> Result<(), String>;
    /// The messages of one read (one pump) were all handed over, or the
    /// pump is leaving early (an error, a closed link): a sink that holds
    /// what its messages did hands it on here.
    fn end(&mut self) {}
}

impl<F: FnMut(&[u8]) -> Result<(), String> + Send> Sink for F {
    fn message(&mut self, m: &[u8]) -> Result<(), String> {
        self(m)
    }
}

/// How often the runtime checks a host-read link for a stalled host.
const WATCH: Duration = Duration::from_millis(20);
/// The most bytes one pump reads (the host's loop runs other work in
/// between; the socket stays readable, so it is called again).
pub const PUMP_BUDGET: usize = 256 << 10;
/// What a pump left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pumped {
    /// The socket had nothing more to read.
    Idle,
    /// The budget ran out with bytes still waiting.
    More,
    /// The link is over (see `Reader::reason`).
    Ended,
}

struct State {
    frames: Frames,
    sink: Box<dyn Sink>,
}

/// The read side of a served link (see the module doc).
pub struct Reader {
    r: Arc<Sock>,
    /// The runtime's read registration, handed over by the link (taken by `run`).
    rw: Mutex<Option<ReadWait>>,
    st: Mutex<State>,
    /// The host claimed the link: the runtime only watches.
    host: AtomicBool,
    /// Pumps by the host, for the runtime's stall check.
    host_pumps: AtomicU64,
    /// When bytes last arrived, in ms since `born`.
    last_rx: AtomicU64,
    born: Instant,
    ended: AtomicBool,
    why: Mutex<Option<String>>,
    wake: Notify,
    out: Arc<Outbox>,
    idle: Duration,
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.out.close();
    }
}

impl Reader {
    pub(crate) fn new(
        r: Arc<Sock>,
        rw: ReadWait,
        frames: Frames,
        sink: Box<dyn Sink>,
        out: Arc<Outbox>,
        limits: &Limits,
    ) -> Arc<Self> {
        Arc::new(Reader {
            r,
            rw: Mutex::new(Some(rw)),
            st: Mutex::new(State { frames, sink }),
            host: AtomicBool::new(false),
            host_pumps: AtomicU64::new(0),
            last_rx: AtomicU64::new(0),
            born: Instant::now(),
            ended: AtomicBool::new(false),
            why: Mutex::new(None),
            wake: Notify::new(),
            out,
            idle: limits.idle,
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A sink that panicked poisoned nothing we rely on: the state is
        // only bytes and the decryptor, advanced frame by frame.
        self.st.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The socket's descriptor, for the host's poll. It stays open while
    /// this reader lives (hold the Arc while polling it).
    #[cfg(unix)]
    pub fn fd(&self) -> std::os::unix::io::RawFd {
        self.r.fd()
    }

    /// Whether the link is over (nothing more will be read).
    pub fn ended(&self) -> bool {
        self.ended.load(Ordering::Acquire)
    }

    /// Why the link ended, once it has.
    pub fn reason(&self) -> Option<String> {
        self.why.lock().ok().and_then(|w| w.clone())
    }

    /// The host lets go of the link (it stops polling it): the runtime
    /// reads it from now on.
    pub fn release(&self) {
        let _st = self.lock();
        self.host.store(false, Ordering::Release);
        self.wake.notify_one();
    }

    /// Whether the host is the link's reader now.
    pub fn host_reads(&self) -> bool {
        self.host.load(Ordering::Acquire)
    }

    /// The host's pump: claims the link, reads what the socket has (up to
    /// `budget` bytes) and hands each whole message to the sink, on the
    /// calling thread. Never blocks on the socket; waits only while the
    /// runtime is in the middle of a read. With a budget of 0 it reads
    /// nothing (the host is behind) and hands out only what was read
    /// before; bytes waiting on the socket then still count as traffic, so
    /// the link does not look silent.
    pub fn host_pump(&self, budget: usize) -> Pumped {
        if self.ended() {
            return Pumped::Ended;
        }
        let mut st = self.lock();
        self.host.store(true, Ordering::Release);
        self.host_pumps.fetch_add(1, Ordering::Relaxed);
        let r = self.pump(&mut st, budget, true);
        drop(st);
        match r {
            Ok(p) => p,
            Err(why) => {
                self.end(why);
                Pumped::Ended
            }
        }
    }

    /// Reads and delivers under the lock held as `st`. `polled`: the caller
    /// polls the socket level-triggered, so a short read means drained (no
    /// second read to see WouldBlock: one syscall less per message); the
    /// runtime's edge-triggered readiness needs the WouldBlock.
    fn pump(&self, st: &mut State, budget: usize, polled: bool) -> Result<Pumped, String> {
        let r = self.pump_messages(st, budget, polled);
        st.sink.end();
        r
    }

    fn pump_messages(&self, st: &mut State, budget: usize, polled: bool) -> Result<Pumped, String> {
        let State { frames, sink } = st;
        let mut read = 0;
        loop {
            let now = Instant::now();
            while let Some(m) = frames.next(now).map_err(|f| f.0.to_string())? {
                sink.message(m)?;
            }
            if read >= budget {
                if budget == 0 && self.waiting() {
                    // A pump that may read nothing (its thread is behind):
                    // bytes waiting on the socket mean the peer is not silent.
                    let ms = now.duration_since(self.born).as_millis() as u64;
                    self.last_rx.store(ms, Ordering::Relaxed);
                }
                return Ok(Pumped::More);
            }
            // Never past the budget: a host sizes where one pump's
            // messages go by it (a buffer more spilled a fifth of them).
            match frames.fill(&self.r, budget - read) {
                Ok((0, _)) => return Err("connection lost".into()),
                Ok((n, full)) => {
                    read += n;
                    let ms = now.duration_since(self.born).as_millis() as u64;
                    self.last_rx.store(ms, Ordering::Relaxed);
                    if polled && !full {
                        while let Some(m) = frames.next(now).map_err(|f| f.0.to_string())? {
                            sink.message(m)?;
                        }
                        return Ok(Pumped::Idle);
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(Pumped::Idle),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Err("connection lost".into()),
            }
        }
    }

    /// Ends the link with `why` (the first reason wins) and wakes the
    /// runtime's side, which reports it.
    pub fn end(&self, why: String) {
        if let Ok(mut w) = self.why.lock() {
            if w.is_none() {
                *w = Some(why);
            }
        }
        self.ended.store(true, Ordering::Release);
        self.wake.notify_one();
        self.out.close();
    }

    fn silent(&self) -> bool {
        let now = self.born.elapsed().as_millis() as u64;
        now.saturating_sub(self.last_rx.load(Ordering::Relaxed)) > self.idle.as_millis() as u64
    }

    /// Bytes wait on the socket (the host would have been woken for them).
    #[cfg(unix)]
    fn waiting(&self) -> bool {
        let mut p = libc::pollfd {
            fd: self.fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, a zero timeout; the fd is open while
        // `self` lives.
        unsafe { libc::poll(&mut p, 1, 0) > 0 }
    }

    #[cfg(not(unix))]
    fn waiting(&self) -> bool {
        true
    }

    /// The runtime's side: reads while the host does not, watches while
    /// it does, and returns why the link ended.
    pub async fn run(self: Arc<Self>) -> String {
        let mut seen = u64::MAX;
        let out = self.out.clone();
        // Registered for reading only while the runtime reads (a host
        // that reads then costs the runtime no wake-up per packet).
        let mut rw = self.rw.lock().ok().and_then(|mut r| r.take());
        loop {
            if self.ended() {
                break;
            }
            if self.silent() {
                self.end("peer silent past the idle limit".into());
                break;
            }
            if !self.host_reads() {
                if rw.is_none() {
                    match self.r.read_wait() {
                        Ok(r) => rw = Some(r),
                        Err(_) => {
                            self.end("connection lost".into());
                            break;
                        }
                    }
                }
                let Some(wait) = rw.as_ref() else { break };
                let ready = tokio::select! {
                    biased;
                    why = out.lost() => { self.end(why.0.into()); break }
                    _ = self.wake.notified() => continue,
                    r = tokio::time::timeout(WATCH, wait.ready(&self.r)) => match r {
                        Ok(Ok(ready)) => Some(ready),
                        Ok(Err(_)) => {
                            self.end("connection lost".into());
                            break;
                        }
                        Err(_) => None,
                    },
                };
                let mut st = self.lock();
                if self.host_reads() {
                    continue;
                }
                match self.pump(&mut st, PUMP_BUDGET, false) {
                    Ok(Pumped::Idle) => {
                        if let Some(r) = ready {
                            r.drained();
                        }
                    }
                    Ok(_) => {}
                    Err(why) => {
                        drop(st);
                        self.end(why);
                        break;
                    }
                }
            } else {
                // The host reads: drop the registration.
                rw = None;
                tokio::select! {
                    biased;
                    why = out.lost() => { self.end(why.0.into()); break }
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(WATCH) => {}
                }
                let pumps = self.host_pumps.load(Ordering::Relaxed);
                if pumps == seen && self.waiting() {
                    // Bytes waited a whole tick and the host took none.
                    let _st = self.lock();
                    self.host.store(false, Ordering::Release);
                }
                seen = pumps;
            }
        }
        self.reason()
            .unwrap_or_else(|| "connection lost".to_string())
    }
}
