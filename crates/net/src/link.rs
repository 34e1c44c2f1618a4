//! SL1 over tokio TCP: the handshake with a deadline, then framed,
//! encrypted messages with fragmentation, heartbeats and key rotation.

use crate::frame::KeyLimits;
use crate::handshake::{client_on_m1, server_start, Randomness, Session, MAX_HANDSHAKE};
use crate::identity::Binder;
use crate::incoming::Frames;
use crate::keys::Cookie;
use crate::outbox::Outbox;
use crate::reader::{Reader, Sink};
use crate::sock::{ReadWait, Sock};
use crate::Fail;
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, ToSocketAddrs};
use tokio::time::timeout;

/// Timing and size limits of a link.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The whole handshake must finish within this.
    pub handshake: Duration,
    /// A heartbeat is sent after this long without sending anything.
    pub heartbeat: Duration,
    /// The link closes after this long without receiving anything.
    pub idle: Duration,
    /// Largest reassembled message.
    pub max_message: usize,
    /// Handshakes in progress at once on a listener; a new connection
    /// beyond them evicts the oldest (listener.rs).
    pub max_pending: usize,
    /// Handshakes in progress at once from one source address (an IPv4
    /// address, or an IPv6 /64) once half of `max_pending` are taken; more
    /// from there are closed at once (listener.rs).
    pub max_pending_per_addr: usize,
    /// Key rotation limits (both what this side does and what it demands).
    pub keys: KeyLimits,
    /// Bytes that may wait for a peer's socket; a message sent while more
    /// wait loses the link (see docs/PROTOCOL.md, write-side bound).
    pub max_queued: usize,
    /// This side reads batch frames (batch.rs) and, once the peer says it
    /// does too (`LinkSender::batch`), sends them.
    pub batches: bool,
}

impl Limits {
    /// Bytes queued past which the link is busy (outbox.rs): an eighth of
    /// `max_queued`, far from the bound that loses the link.
    pub fn busy(&self) -> usize {
        self.max_queued / 8
    }
}

/// The largest message a link carries by default (SL1's bound; JS refuses
/// a larger one before it is queued).
pub const MAX_MESSAGE: usize = 64 << 20;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            handshake: Duration::from_secs(5),
            heartbeat: Duration::from_secs(1),
            idle: Duration::from_secs(15),
            max_message: MAX_MESSAGE,
            max_pending: 256,
            max_pending_per_addr: 32,
            keys: KeyLimits::default(),
            max_queued: 64 << 20,
            batches: true,
        }
    }
}

async fn write_hs(w: &mut TcpStream, m: &[u8]) -> Result<(), Fail> {
    let mut buf = (m.len() as u16).to_be_bytes().to_vec();
    buf.extend_from_slice(m);
    w.write_all(&buf).await.map_err(|_| Fail("connection lost"))
}

async fn read_hs(r: &mut TcpStream) -> Result<Vec<u8>, Fail> {
    let mut h = [0u8; 2];
    r.read_exact(&mut h)
        .await
        .map_err(|_| Fail("connection lost"))?;
    let n = u16::from_be_bytes(h) as usize;
    if n == 0 || n > MAX_HANDSHAKE {
        return Err(Fail("handshake message length out of bounds"));
    }
    let mut m = vec![0u8; n];
    r.read_exact(&mut m)
        .await
        .map_err(|_| Fail("connection lost"))?;
    Ok(m)
}

pub(crate) async fn server_handshake(
    s: &mut TcpStream,
    cookie: &Cookie,
    rand: Randomness,
) -> Result<Session, Fail> {
    let (st, m1) = server_start(cookie, rand);
    write_hs(s, &m1).await?;
    let m2 = read_hs(s).await?;
    let (st, m3) = st.on_m2(&m2)?;
    write_hs(s, &m3).await?;
    let m4 = read_hs(s).await?;
    st.on_m4(&m4, Instant::now())
}

async fn client_handshake(
    s: &mut TcpStream,
    cookie: &Cookie,
    rand: Randomness,
) -> Result<Session, Fail> {
    let m1 = read_hs(s).await?;
    let (st, m2) = client_on_m1(cookie, rand, &m1)?;
    write_hs(s, &m2).await?;
    let m3 = read_hs(s).await?;
    let (session, m4) = st.on_m3(&m3, Instant::now())?;
    write_hs(s, &m4).await?;
    Ok(session)
}

/// Connects to `addr` as a client and completes the handshake, all of it
/// (the TCP connect too) within `limits.handshake`.
pub async fn connect(
    addr: impl ToSocketAddrs,
    cookie: &Cookie,
    instance: [u8; 16],
    limits: Limits,
) -> Result<Link, Fail> {
    let run = async {
        let mut s = TcpStream::connect(addr)
            .await
            .map_err(|_| Fail("connect failed"))?;
        let _ = s.set_nodelay(true);
        let session = client_handshake(&mut s, cookie, Randomness::fresh(instance)).await?;
        Link::new(s, session, limits)
    };
    timeout(limits.handshake, run)
        .await
        .map_err(|_| Fail("handshake deadline"))?
}

/// Queues messages on a link without waiting, from any thread (the
/// distribution layer sends from JS threads). Messages from one handle
/// keep their order. Sending fails once the link is broken or closed.
#[derive(Clone)]
pub struct LinkSender {
    out: Arc<Outbox>,
    max: usize,
}

impl LinkSender {
    /// Seals and queues `msg` (fragmented as needed) for the writer task.
    pub fn send_now(&self, msg: &[u8]) -> Result<(), Fail> {
        if msg.len() > self.max {
            return Err(Fail("message over the size limit"));
        }
        self.out.send_now(msg)
    }

    /// Seals and queues `msg` for the next `flush` from this thread
    /// (the writer task takes over once a burst grows large); whether the
    /// link is busy now (`busy`): a sender that can wait should, for `calm`.
    pub fn send_deferred(&self, msg: &[u8]) -> Result<bool, Fail> {
        self.send_deferred_all(std::iter::once([msg]))
    }

    /// `send_deferred` of each of `msgs`, in order, under one lock of the
    /// link, each message the joined `parts` it gives, never joined here (a
    /// frame's head and a large body: each byte is copied once, into its
    /// sealed frame). Nothing is queued when one is over the size limit.
    pub fn send_deferred_all<'a, P: AsRef<[&'a [u8]]>>(
        &self,
        msgs: impl Iterator<Item = P> + Clone,
    ) -> Result<bool, Fail> {
        let len = |m: &P| m.as_ref().iter().map(|p| p.len()).sum::<usize>();
        if msgs.clone().any(|m| len(&m) > self.max) {
            return Err(Fail("message over the size limit"));
        }
        self.out.send_deferred(msgs)
    }

    /// Whether more than `Limits::busy` bytes were queued and have not yet
    /// drained under half of that (Erlang's `busy_dist_port`).
    pub fn busy(&self) -> bool {
        self.out.busy()
    }

    /// Resolves once the link is not busy, or is lost; one drain wakes
    /// every waiter.
    pub async fn calm(&self) {
        self.out.calm().await
    }

    /// Writes what is queued from the calling thread, without blocking;
    /// the rest is left to the writer task.
    pub fn flush(&self) {
        self.out.flush();
    }

    /// Small deferred messages leave in batch frames from now on (`on`:
    /// the peer said it reads them; batch.rs), or no longer.
    pub fn batch(&self, on: bool) {
        self.out.batch(on);
    }

    /// Whether `other` is a handle of the same link.
    pub fn same(&self, other: &LinkSender) -> bool {
        Arc::ptr_eq(&self.out, &other.out)
    }

    /// Flushes what is queued, then closes the connection.
    pub fn close(&self) {
        self.out.close();
    }

    /// The sending key epoch.
    pub fn epoch(&self) -> u32 {
        self.out.epoch()
    }
}

/// An established SL1 link.
pub struct Link {
    out: Arc<Outbox>,
    /// The read half and the frames read from it; taken by `serve`.
    read: Option<(Arc<Sock>, ReadWait, Frames)>,
    limits: Limits,
    /// The peer's instance id.
    pub peer: [u8; 16],
    /// The peer's address (for logs); unspecified if the socket had none.
    pub addr: SocketAddr,
    binder: Option<Binder>,
}

impl Drop for Link {
    /// What was sent is flushed, then the connection is shut down (the
    /// writer task ends by itself). A served link is the reader's to close.
    fn drop(&mut self) {
        if self.read.is_some() {
            self.out.close();
        }
    }
}

impl Link {
    pub(crate) fn new(s: TcpStream, session: Session, limits: Limits) -> Result<Self, Fail> {
        let addr = s.peer_addr().unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0)));
        let lost = |_| Fail("connection lost");
        let sock = Arc::new(Sock::new(s).map_err(lost)?);
        let rw = sock.read_wait().map_err(lost)?;
        let out = Outbox::new(
            session.tx.with_limits(limits.keys),
            sock.clone(),
            limits.max_queued,
            limits.busy(),
        );
        tokio::spawn(out.clone().run(sock.clone(), limits.heartbeat));
        // Reads go into a 64 KiB buffer: one syscall for many frames.
        let frames = Frames::new(
            session.rx.with_limits(limits.keys),
            limits.max_message,
            limits.batches,
        );
        Ok(Link {
            out,
            read: Some((sock, rw, frames)),
            limits,
            peer: session.peer,
            addr,
            binder: Some(session.binder),
        })
    }

    /// Hands the link's reading to a `Reader` that gives each message, in
    /// order, to `sink`: returned with the runtime's side of it, a future
    /// that reads (or watches while a host reads; see reader.rs) and
    /// resolves with why the link ended. The link's sending handles stay
    /// valid; dropping the reader closes the link.
    pub fn serve(
        mut self,
        sink: Box<dyn Sink>,
    ) -> (Arc<Reader>, impl std::future::Future<Output = String>) {
        let (sock, rw, frames) = self.read.take().expect("a link is served once");
        let reader = Reader::new(sock, rw, frames, sink, self.out.clone(), &self.limits);
        (reader.clone(), reader.run())
    }

    /// What identity proofs over this link need, until `forget_binder`.
    pub fn binder(&self) -> Option<&Binder> {
        self.binder.as_ref()
    }

    /// Wipes the binder (its ephemeral secret): call once identities are
    /// proven, so the link keeps no handshake secret.
    pub fn forget_binder(&mut self) {
        self.binder = None;
    }

    /// Queues one message (fragmented as needed) for the writer task; waits
    /// only when more than 1 MiB is queued. Fails once the link is broken.
    pub async fn send(&self, msg: &[u8]) -> Result<(), Fail> {
        if msg.len() > self.limits.max_message {
            return Err(Fail("message over the size limit"));
        }
        self.out.send(msg).await
    }

    /// A handle that queues messages on this link from any thread.
    pub fn sender(&self) -> LinkSender {
        LinkSender {
            out: self.out.clone(),
            max: self.limits.max_message,
        }
    }

    /// The epoch of each direction (sending, receiving).
    pub async fn epochs(&self) -> (u32, u32) {
        let rx = self.read.as_ref().map_or(0, |(_, _, f)| f.epoch());
        (self.out.epoch(), rx)
    }

    /// The next message. Fails (and the link is unusable) on any bad frame,
    /// on silence longer than the idle limit, when the peer closes, or once
    /// the sending side is lost (the peer let too much queue up unread).
    pub async fn recv(&mut self) -> Result<Vec<u8>, Fail> {
        let out = self.out.clone();
        tokio::select! {
            biased;
            r = self.read_message() => r,
            why = out.lost() => Err(why),
        }
    }

    async fn read_message(&mut self) -> Result<Vec<u8>, Fail> {
        let idle = self.limits.idle;
        let Some((sock, rw, frames)) = self.read.as_mut() else {
            return Err(Fail("link is served"));
        };
        loop {
            if let Some(m) = frames.next(Instant::now())? {
                return Ok(m.to_vec());
            }
            let ready = timeout(idle, rw.ready(sock))
                .await
                .map_err(|_| Fail("peer silent past the idle limit"))?
                .map_err(|_| Fail("connection lost"))?;
            match frames.fill(sock, usize::MAX) {
                Ok((0, _)) => return Err(Fail("connection lost")),
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => ready.drained(),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Err(Fail("connection lost")),
            }
        }
    }
}
