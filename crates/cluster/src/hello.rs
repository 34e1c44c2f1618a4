//! How links are made: accepting and dialing, and the Hello exchange
//! that keeps one link per node pair and binds a name to one link (and,
//! with identity keys, to one key). Links nobody sent over yet (probes of
//! addresses, the full mesh) are started by reach.rs; what a link does
//! once it is up is in links.rs.

use crate::config::Keys;
use crate::envelope::{Frame, Proof, FEAT_HIDDEN};
use crate::node::{Cluster, Local};
use crate::peer::{valid_name, Conn, Peer};
use bfly_net::identity::{verify, Role};
use bfly_net::link::{connect, Link};
use bfly_net::listener::{Incoming, Listener};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::time::timeout;

/// How long a Hello that claims the name of a node with a live link waits
/// for that link to be found dead (its socket closed, as when the node
/// restarted) before it is refused.
const LIVE_LINK_GRACE: Duration = Duration::from_secs(1);

/// What a node answered this one's Hello with (`Cluster::hello`).
pub(crate) struct Answer {
    pub(crate) link: Link,
    /// False: it keeps its own link to this node.
    pub(crate) ok: bool,
    pub(crate) name: String,
    /// Where it says it listens (else the address dialled).
    pub(crate) addr: String,
    /// The features it speaks (`FEAT_*`).
    features: u8,
    /// The identity key it proved.
    key: Option<[u8; 32]>,
}

/// What to do with a Hello, given the claimed name's link.
enum Verdict {
    /// Keep this link.
    Accept,
    /// Answer `ok = 0`: this node keeps its own link to the peer.
    KeepOurs,
    /// The name has a live link: wait a little for it to die, else refuse.
    Live,
    /// The live link belongs to the holder of the name's pinned key, who
    /// connected again (it restarted): replace it.
    Replace,
}

impl Cluster {
    pub(crate) async fn accept_loop(&'static self, mut listener: Listener) {
        while let Ok(incoming) = listener.next().await {
            match incoming {
                Incoming::Link(link) => {
                    self.rt.spawn(self.accepted(*link));
                }
                Incoming::Refused(addr, why) => {
                    if let Some(local) = self.local() {
                        let dropped = listener.take_dropped();
                        self.rejected(&local, &addr.to_string(), "", why.0, dropped);
                    }
                }
            }
        }
    }

    /// A peer connected: read its Hello, keep or refuse the link, then
    /// serve it. Every refusal is logged (rate-limited) and, after the
    /// Hello, told to the peer with `Refused`.
    async fn accepted(&'static self, mut link: Link) {
        let Some(local) = self.local() else { return };
        let addr = link.addr.to_string();
        let hello = match timeout(local.limits.handshake, link.recv()).await {
            Ok(Ok(m)) => m,
            Ok(Err(f)) => return self.rejected(&local, &addr, "", f.0, 0),
            Err(_) => return self.rejected(&local, &addr, "", "no Hello in time", 0),
        };
        let (name, peer_addr, features, identity) = match Frame::decode(&hello) {
            Ok(Frame::Hello {
                name,
                addr,
                features,
                identity,
            }) => (name, addr, features, identity),
            Ok(_) => return self.rejected(&local, &addr, "", "the first frame is not a Hello", 0),
            Err(e) => {
                let why = format!("malformed Hello: {}", e.0);
                return self.rejected(&local, &addr, "", &why, 0);
            }
        };
        if !valid_name(name) {
            return self.rejected(&local, &addr, "", "the Hello's name is not a node name", 0);
        }
        let refuse = |link: &Link, why: &str| {
            let _ = link.sender().send_now(
                &Frame::Refused {
                    what: "hello",
                    detail: why,
                }
                .encode(),
            );
            self.rejected(&local, &addr, name, why, 0);
        };
        if name == local.name {
            return refuse(&link, "the Hello claims this node's own name");
        }
        let key = match proven(&local.keys, &link, name, identity, Role::Client) {
            Ok(k) => k,
            Err(why) => return refuse(&link, &why),
        };
        let own = match local.keys.own.as_ref().zip(link.binder()) {
            Some((id, b)) => match id.prove(b, Role::Server) {
                Ok(p) => Some((id.public(), p)),
                Err(f) => return refuse(&link, f.0),
            },
            None => None,
        };
        link.forget_binder();
        let tx = link.sender();
        let deadline = Instant::now() + LIVE_LINK_GRACE;
        let (peer, gen) = loop {
            let Some(peer) = self.peer(self.intern(name)) else {
                return;
            };
            let settled = {
                let mut c = peer.conn.lock();
                if peer.forgotten() {
                    continue;
                }
                let verdict = match &*c {
                    Conn::Down => Verdict::Accept,
                    // Both sides connected at once: the link opened by the
                    // node with the smaller name is the one both keep.
                    Conn::Connecting { .. } if peer.name < local.name => Verdict::Accept,
                    Conn::Connecting { .. } => Verdict::KeepOurs,
                    // Our own link crossed the peer's dial (both connected
                    // at once, and ours came up first): the peer keeps ours.
                    Conn::Up {
                        instance,
                        incoming: false,
                        ..
                    } if *instance == link.peer => Verdict::KeepOurs,
                    Conn::Up { .. } if key.is_some() && local.keys.pinned.contains_key(name) => {
                        Verdict::Replace
                    }
                    Conn::Up { .. } => Verdict::Live,
                };
                match verdict {
                    Verdict::Live => None,
                    Verdict::KeepOurs => Some(false),
                    Verdict::Replace | Verdict::Accept => {
                        if let Conn::Up { tx: old, .. } = &*c {
                            old.close();
                            *c = Conn::Down;
                            self.fire_down(
                                &local,
                                &peer,
                                "peer restarted (it proved its pinned key)",
                            );
                        }
                        Some(true)
                    }
                }
                .map(|ok| {
                    // A dialer from before features gets the HelloAck it knows.
                    let ack = Frame::HelloAck {
                        ok,
                        name: &local.name,
                        addr: &local.addr,
                        features: features.map(|_| local.features()),
                        identity: own.as_ref().map(|(k, p)| (k, p)),
                    };
                    if tx.send_now(&ack.encode()).is_err() || !ok {
                        return None;
                    }
                    if !peer_addr.is_empty() {
                        *peer.addr.lock() = Some(peer_addr.to_string());
                    }
                    *peer.key.lock() = key;
                    peer.hidden
                        .store(features.unwrap_or(0) & FEAT_HIDDEN != 0, Ordering::Relaxed);
                    let agreed = local.features() & features.unwrap_or(0);
                    Some(self.up(&local, &peer, &mut c, tx.clone(), link.peer, true, agreed))
                })
            };
            match settled {
                Some(Some(gen)) => break (peer, gen),
                Some(None) => return,
                // A live link: the node may have restarted, and its old
                // socket be about to fail here; else the claim is refused.
                None if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                None => {
                    let why = format!(
                        "'{name}' already has a live link to this node (a node that restarted is let in once its old link is found dead)"
                    );
                    return refuse(&link, &why);
                }
            }
        };
        self.serve(local, peer, link, gen).await;
    }

    /// Connects to `peer` for the frames queued under `gen`.
    pub(crate) async fn dial(&'static self, local: Arc<Local>, peer: Arc<Peer>, gen: u64) {
        match self.dial_link(&local, &peer, gen).await {
            Ok(Some(link)) => self.serve(local, peer, link, gen).await,
            Ok(None) => {}
            Err(why) => self.failed(&local, &peer, gen, &why),
        }
    }

    async fn dial_link(
        &'static self,
        local: &Arc<Local>,
        peer: &Arc<Peer>,
        gen: u64,
    ) -> Result<Option<Link>, String> {
        let addr = peer.addr.lock().clone().ok_or_else(|| {
            format!(
                "no address is known for node '{0}'; call registerServer('{0}', 'host:port')",
                peer.name
            )
        })?;
        let a = self.hello(local, &addr, Some(&peer.name)).await?;
        if !a.ok {
            // The peer keeps its own link to us; if it never comes, fail.
            let wait = local.limits.handshake * 2;
            let (local, peer) = (local.clone(), peer.clone());
            self.rt.spawn(async move {
                tokio::time::sleep(wait).await;
                self.failed(
                    &local,
                    &peer,
                    gen,
                    "the peer kept its own link, which never came up",
                );
            });
            return Ok(None);
        }
        let mut c = peer.conn.lock();
        if !matches!(&*c, Conn::Connecting { gen: g, .. } if *g == gen) {
            return Ok(None);
        }
        self.adopt(local, peer, &mut c, &a);
        Ok(Some(a.link))
    }

    /// Opens an SL1 link to `addr` and says Hello: what the node there
    /// answered, its name checked against `expect` when one is expected
    /// and its identity proof against the key pinned for its name.
    pub(crate) async fn hello(
        &'static self,
        local: &Local,
        addr: &str,
        expect: Option<&str>,
    ) -> Result<Answer, String> {
        let who = expect.map_or_else(|| format!("the node at {addr}"), |n| format!("'{n}'"));
        let mut link = connect(addr, &local.cookie, local.instance, local.limits)
            .await
            .map_err(|f| match f.0 {
                "connect failed" => format!("cannot connect to {who} at {addr}"),
                why => format!(
                    "the SL1 handshake with {who} at {addr} failed ({why}): wrong cookie, or not a bfly node"
                ),
            })?;
        let own = match local.keys.own.as_ref().zip(link.binder()) {
            Some((id, b)) => Some((id.public(), id.prove(b, Role::Client).map_err(|f| f.0)?)),
            None => None,
        };
        let hello = Frame::Hello {
            name: &local.name,
            addr: &local.addr,
            features: Some(local.features()),
            identity: own.as_ref().map(|(k, p)| (k, p)),
        };
        link.send(&hello.encode())
            .await
            .map_err(|f| f.to_string())?;
        let ack = timeout(local.limits.handshake, link.recv())
            .await
            .map_err(|_| format!("{who} did not answer the Hello"))?
            .map_err(|f| f.to_string())?;
        let (ok, name, advertised, features, key) = match Frame::decode(&ack) {
            Ok(Frame::HelloAck {
                ok,
                name,
                addr: advertised,
                features,
                identity,
            }) => {
                if expect.is_some_and(|n| n != name) {
                    return Err(format!("the node at {addr} is '{name}', not {who}"));
                }
                if !valid_name(name) {
                    return Err(format!(
                        "the node at {addr} answered with no valid node name"
                    ));
                }
                let key = proven(&local.keys, &link, name, identity, Role::Server)?;
                (ok, name.to_string(), advertised.to_string(), features, key)
            }
            Ok(Frame::Refused { detail, .. }) => {
                return Err(format!("{who} refused the link: {detail}"))
            }
            _ => return Err(format!("{who} answered the Hello with something else")),
        };
        link.forget_binder();
        Ok(Answer {
            link,
            ok,
            name,
            addr: if advertised.is_empty() {
                addr.to_string()
            } else {
                advertised
            },
            features: features.unwrap_or(0),
            key,
        })
    }

    /// Makes the link of answer `a` the peer's (the caller holds the state's lock).
    pub(crate) fn adopt(&self, local: &Local, peer: &Peer, c: &mut Conn, a: &Answer) -> u64 {
        *peer.key.lock() = a.key;
        peer.hidden
            .store(a.features & FEAT_HIDDEN != 0, Ordering::Relaxed);
        self.up(
            local,
            peer,
            c,
            a.link.sender(),
            a.link.peer,
            false,
            local.features() & a.features,
        )
    }
}

/// The identity key node `name` proved (as `role`) on `link`, checked
/// against the key pinned for that name (docs/PROTOCOL.md, 2.8): Err says
/// why the link is refused.
fn proven(
    keys: &Keys,
    link: &Link,
    name: &str,
    identity: Option<Proof<'_>>,
    role: Role,
) -> Result<Option<[u8; 32]>, String> {
    let pinned = keys.pinned.get(name);
    if keys.only_pinned && pinned.is_none() {
        return Err(format!("'{name}' is not one of this node's pinned peers"));
    }
    let Some((key, proof)) = identity else {
        return match pinned {
            Some(_) => Err(format!(
                "'{name}' did not prove the identity key pinned for it"
            )),
            None => Ok(None),
        };
    };
    let Some(b) = link.binder() else {
        return Err("the link's handshake secrets are gone".into());
    };
    if !verify(b, role, key, proof) {
        return Err(format!(
            "'{name}' sent an identity proof that does not verify"
        ));
    }
    if pinned.is_some_and(|p| p != key) {
        return Err(format!(
            "'{name}' proved a key other than the one pinned for it"
        ));
    }
    Ok(Some(*key))
}
