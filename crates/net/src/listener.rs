//! Accepting SL1 links: each connection's handshake runs in its own task
//! under the handshake deadline, and the slots for handshakes in progress
//! are shared fairly (docs/PROTOCOL.md, 2.6):
//!
//! - once half of the `max_pending` slots are taken, one source address
//!   (an IPv4 address, an IPv6 /64) holding `max_pending_per_addr` of them
//!   has its further connections closed at once, before any work is done
//!   for them (no key is made); below half, slots are free for all;
//! - when all `max_pending` are taken, a new connection evicts the oldest
//!   handshake of the address that holds the most, unless its own address
//!   holds as many (then it is closed at once): a flood from a few
//!   addresses pushes out its own, never a peer's single handshake, and
//!   does not churn (equals do not evict each other).
//!
//! A peer that completes its handshake in a round trip or two therefore
//! gets in during a slowloris from one address (held to its share, it
//! never touches others' slots) or from many (their connections push out
//! each other first). Slowloris connections from the peer's own address
//! can keep it out, as they would any per-address limit.
//!
//! Every connection that does not become a link is reported once, with its
//! address and why (`Incoming::Refused`), for the node's log.

use crate::handshake::Randomness;
use crate::keys::Cookie;
use crate::link::{server_handshake, Limits, Link};
use crate::Fail;
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpSocket, ToSocketAddrs};
use tokio::sync::{mpsc, oneshot};
use tokio::time::timeout;

/// What the listener has for the node: a link, or a connection that did
/// not become one.
pub enum Incoming {
    Link(Box<Link>),
    Refused(SocketAddr, Fail),
}

/// A listener that yields authenticated links. Its accept loop runs in its
/// own task from `bind` on, so handshakes progress whether or not anyone
/// is waiting in `next`.
pub struct Listener {
    addr: SocketAddr,
    links: mpsc::Receiver<Link>,
    refusals: mpsc::Receiver<(SocketAddr, Fail)>,
    dropped: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The key of a source address for the per-address limit.
fn source(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut o = v6.octets();
                o[8..].fill(0);
                IpAddr::V6(o.into())
            }
        },
        v4 => v4,
    }
}

/// Handshakes in progress: by age (for eviction) and by source.
#[derive(Default)]
struct Slots {
    by_age: BTreeMap<u64, (IpAddr, oneshot::Sender<Fail>)>,
    by_source: HashMap<IpAddr, usize>,
    next: u64,
}

impl Slots {
    /// Takes a slot for a connection from `ip`, evicting as the module doc
    /// says: its number and the receiver that fires if it is evicted.
    fn take(
        &mut self,
        ip: IpAddr,
        limits: &Limits,
    ) -> Result<(u64, oneshot::Receiver<Fail>), Fail> {
        let held = self.by_source.get(&ip).copied().unwrap_or(0);
        if held >= limits.max_pending_per_addr.max(1) && self.by_age.len() >= limits.max_pending / 2
        {
            return Err(Fail("too many handshakes in progress from this address"));
        }
        while self.by_age.len() >= limits.max_pending.max(1) {
            // From the source holding the most, its oldest; a source that
            // holds as many itself is refused instead (no churn among equals).
            let Some(&most) = self.by_source.values().max() else {
                break;
            };
            if held >= most {
                return Err(Fail(
                    "handshake slots full, and this address holds as many as any",
                ));
            }
            // The oldest of all among the addresses that hold the most.
            let Some(seq) = self
                .by_age
                .iter()
                .find(|(_, (from, _))| self.by_source.get(from) == Some(&most))
                .map(|(&seq, _)| seq)
            else {
                break;
            };
            self.evict(seq, "evicted: the oldest handshake of the busiest address");
        }
        *self.by_source.entry(ip).or_default() += 1;
        let seq = self.next;
        self.next += 1;
        let (tx, rx) = oneshot::channel();
        self.by_age.insert(seq, (ip, tx));
        Ok((seq, rx))
    }

    fn evict(&mut self, seq: u64, why: &'static str) {
        if let Some((_, tx)) = self.release(seq) {
            let _ = tx.send(Fail(why));
        }
    }

    /// Frees slot `seq` if it is still held.
    fn release(&mut self, seq: u64) -> Option<(IpAddr, oneshot::Sender<Fail>)> {
        let (ip, tx) = self.by_age.remove(&seq)?;
        if let Some(n) = self.by_source.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                self.by_source.remove(&ip);
            }
        }
        Some((ip, tx))
    }
}

/// Frees its slot when the handshake task ends (or is dropped).
struct Held {
    slots: Arc<Mutex<Slots>>,
    seq: u64,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.slots.lock().release(self.seq);
    }
}

/// Refusals waiting for the node; beyond this many, they are counted only.
const REFUSALS_QUEUED: usize = 256;

/// Connections the kernel may hold for `accept` (capped by its own limit,
/// net.core.somaxconn): a flood that fills this queue makes the kernel drop
/// a correct peer's connection until its SYN is sent again, a second later.
const BACKLOG: u32 = 4096;

/// Why binding failed, in words a person can act on.
fn bind_failure(e: &std::io::Error) -> &'static str {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::AddrInUse => "the address is in use (another process listens on that port)",
        K::AddrNotAvailable => "that host is not an address of this machine",
        K::PermissionDenied => "permission denied (ports below 1024 need privileges)",
        K::InvalidInput => "not a host:port with a port from 0 to 65535",
        _ => "bind failed (the host cannot be resolved, or the address is malformed)",
    }
}

/// A listening socket on the first of `addr`'s addresses that binds.
async fn listen(addr: impl ToSocketAddrs) -> Result<TcpListener, Fail> {
    let mut why = Fail(bind_failure(&std::io::ErrorKind::Other.into()));
    let addrs = tokio::net::lookup_host(addr)
        .await
        .map_err(|e| Fail(bind_failure(&e)))?;
    for a in addrs {
        let sock = match a {
            SocketAddr::V4(_) => TcpSocket::new_v4(),
            SocketAddr::V6(_) => TcpSocket::new_v6(),
        };
        let bound = sock.and_then(|s| {
            s.set_reuseaddr(true)?;
            s.bind(a)?;
            s.listen(BACKLOG)
        });
        match bound {
            Ok(l) => return Ok(l),
            Err(e) => why = Fail(bind_failure(&e)),
        }
    }
    Err(why)
}

impl Listener {
    /// Binds `addr` (e.g. "127.0.0.1:0") and starts accepting.
    pub async fn bind(
        addr: impl ToSocketAddrs,
        cookie: Cookie,
        instance: [u8; 16],
        limits: Limits,
    ) -> Result<Self, Fail> {
        let tcp = listen(addr).await?;
        let addr = tcp.local_addr().map_err(|_| Fail("bind failed"))?;
        let (tx, links) = mpsc::channel(64);
        let (rtx, refusals) = mpsc::channel(REFUSALS_QUEUED);
        let dropped = Arc::new(AtomicU64::new(0));
        let slots = Arc::new(Mutex::new(Slots::default()));
        let lost = dropped.clone();
        let refuse = move |from: SocketAddr, why: Fail| {
            if rtx.try_send((from, why)).is_err() {
                lost.fetch_add(1, Ordering::Relaxed);
            }
        };
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut s, from)) = tcp.accept().await else {
                    // Out of descriptors or similar: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let taken = slots.lock().take(source(from.ip()), &limits);
                let (seq, evicted) = match taken {
                    Ok(x) => x,
                    Err(why) => {
                        drop(s);
                        refuse(from, why);
                        continue;
                    }
                };
                let held = Held {
                    slots: slots.clone(),
                    seq,
                };
                let (cookie, tx, refuse) = (cookie.clone(), tx.clone(), refuse.clone());
                tokio::spawn(async move {
                    let _ = s.set_nodelay(true);
                    let hs = server_handshake(&mut s, &cookie, Randomness::fresh(instance));
                    let r = tokio::select! {
                        r = timeout(limits.handshake, hs) => r.unwrap_or(Err(Fail("handshake deadline"))),
                        why = evicted => Err(why.unwrap_or(Fail("listener closed"))),
                    };
                    drop(held);
                    match r {
                        Ok(session) => {
                            let _ = tx.send(Link::new(s, session, limits)).await;
                        }
                        Err(why) => refuse(from, why),
                    }
                });
            }
        });
        Ok(Listener {
            addr,
            links,
            refusals,
            dropped,
            task,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The next link whose handshake succeeded (refusals are discarded).
    pub async fn accept(&mut self) -> Result<Link, Fail> {
        self.links.recv().await.ok_or(Fail("listener closed"))
    }

    /// The next link or refusal, links first.
    pub async fn next(&mut self) -> Result<Incoming, Fail> {
        tokio::select! {
            biased;
            l = self.links.recv() => l.map(|l| Incoming::Link(Box::new(l))).ok_or(Fail("listener closed")),
            r = self.refusals.recv() => r.map(|(a, f)| Incoming::Refused(a, f)).ok_or(Fail("listener closed")),
        }
    }

    /// Refusals not queued for `next` (more than 256 waited), since the last call.
    pub fn take_dropped(&self) -> u64 {
        self.dropped.swap(0, Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_source_is_held_to_its_share_and_the_busiest_source_is_evicted_first() {
        let limits = Limits {
            max_pending: 4,
            max_pending_per_addr: 2,
            ..Limits::default()
        };
        let mut s = Slots::default();
        let ip = |i: u8| -> IpAddr { format!("10.0.0.{i}").parse().unwrap() };
        // Below half the slots, one address may take more than its share.
        let mut lone = Slots::default();
        let big = Limits {
            max_pending: 8,
            ..limits
        };
        for _ in 0..4 {
            assert!(lone.take(ip(1), &big).is_ok());
        }
        assert!(lone.take(ip(1), &big).is_err());
        let (seq_a, mut evicted_a) = s.take(ip(1), &limits).unwrap();
        let (_, mut evicted_b) = s.take(ip(2), &limits).unwrap();
        let (_, mut evicted_a2) = s.take(ip(1), &limits).unwrap();
        assert!(s.take(ip(1), &limits).is_err(), "a third from one address");
        let (_, mut evicted_c) = s.take(ip(3), &limits).unwrap();
        assert_eq!(s.by_age.len(), 4);
        // Full: the next evicts from the address holding the most (1), its oldest.
        let _d = s.take(ip(4), &limits).unwrap();
        assert!(evicted_a.try_recv().is_ok());
        assert!(
            s.release(seq_a).is_none(),
            "an evicted slot is already free"
        );
        for e in [&mut evicted_b, &mut evicted_a2, &mut evicted_c] {
            assert!(e.try_recv().is_err());
        }
        // Every address holds one: a newcomer holding none evicts the oldest;
        // one that holds one already is refused.
        let _e = s.take(ip(5), &limits).unwrap();
        assert!(evicted_b.try_recv().is_ok());
        assert!(s.take(ip(5), &limits).is_err());
        assert!(evicted_a2.try_recv().is_err() && evicted_c.try_recv().is_err());
        // IPv6 addresses share a /64; mapped IPv4 is IPv4.
        assert_eq!(
            source("2001:db8::1".parse().unwrap()),
            source("2001:db8::ffff:1".parse().unwrap())
        );
        assert_eq!(source("::ffff:10.0.0.1".parse().unwrap()), ip(1));
    }
}
