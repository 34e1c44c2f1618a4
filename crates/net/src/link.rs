//! SL1 over tokio TCP: the handshake with a deadline, then framed,
//! encrypted messages with fragmentation, heartbeats and key rotation.

use crate::frame::{sealed_len, KeyLimits, Kind, Opener};
use crate::handshake::{client_on_m1, server_start, Randomness, Session, MAX_HANDSHAKE};
use crate::identity::Binder;
use crate::keys::Cookie;
use crate::outbox::Outbox;
use crate::Fail;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedReadHalf;
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
        Ok::<_, Fail>(Link::new(s, session, limits))
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
    /// (the writer task takes over once a burst grows large).
    pub fn send_deferred(&self, msg: &[u8]) -> Result<(), Fail> {
        if msg.len() > self.max {
            return Err(Fail("message over the size limit"));
        }
        self.out.send_deferred(msg)
    }

    /// Writes what is queued from the calling thread, without blocking;
    /// the rest is left to the writer task.
    pub fn flush(&self) {
        self.out.flush();
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
    r: BufReader<OwnedReadHalf>,
    opener: Opener,
    limits: Limits,
    partial: Vec<u8>,
    /// The peer's instance id.
    pub peer: [u8; 16],
    /// The peer's address (for logs); unspecified if the socket had none.
    pub addr: SocketAddr,
    binder: Option<Binder>,
}

impl Drop for Link {
    /// What was sent is flushed, then the connection is shut down (the
    /// writer task ends by itself).
    fn drop(&mut self) {
        self.out.close();
    }
}

impl Link {
    pub(crate) fn new(s: TcpStream, session: Session, limits: Limits) -> Self {
        let addr = s.peer_addr().unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0)));
        let (r, w) = s.into_split();
        let w = Arc::new(w);
        let out = Outbox::new(
            session.tx.with_limits(limits.keys),
            w.clone(),
            limits.max_queued,
        );
        tokio::spawn(out.clone().run(w, limits.heartbeat));
        Link {
            out,
            // Reads come from a 64 KiB buffer: one syscall for many frames.
            r: BufReader::with_capacity(64 * 1024, r),
            opener: session.rx.with_limits(limits.keys),
            limits,
            partial: Vec::new(),
            peer: session.peer,
            addr,
            binder: Some(session.binder),
        }
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
        (self.out.epoch(), self.opener.epoch())
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
        loop {
            let mut header = [0u8; 4];
            timeout(self.limits.idle, self.r.read_exact(&mut header))
                .await
                .map_err(|_| Fail("peer silent past the idle limit"))?
                .map_err(|_| Fail("connection lost"))?;
            let n = sealed_len(header)?;
            let mut body = vec![0u8; n];
            timeout(self.limits.idle, self.r.read_exact(&mut body))
                .await
                .map_err(|_| Fail("peer stalled inside a frame"))?
                .map_err(|_| Fail("connection lost"))?;
            let (kind, len) = self.opener.open(header, &mut body, Instant::now())?;
            match kind {
                Kind::Heartbeat | Kind::KeyUpdate => continue,
                Kind::More | Kind::Last => {
                    if self.partial.len() + len > self.limits.max_message {
                        return Err(Fail("message over the size limit"));
                    }
                    self.partial.extend_from_slice(&body[1..1 + len]);
                    if kind == Kind::Last {
                        return Ok(std::mem::take(&mut self.partial));
                    }
                }
            }
        }
    }
}
