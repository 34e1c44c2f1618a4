//! This node: its identity, its listener, and the life of each link
//! (connect on first use, the Hello exchange that keeps one link per node
//! pair, loss and what it fires).

use crate::agent;
use crate::envelope::Frame;
use crate::peer::{valid_name, Conn, Peer};
use bfly_core::departure::{down_signal_term, exit_signal_term, str_term};
use bfly_core::{Id, Lane, NodeId, ProcessTable, RemoteRel, Threads};
use bfly_net::keys::Cookie;
use bfly_net::link::{connect, Limits, Link, LinkSender, Listener};
use parking_lot::RwLock;
use rustc_hash::FxHashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::Runtime;
use tokio::time::timeout;

thread_local! {
    /// Links this thread has deferred sends on, for `flush_thread`.
    static DIRTY: std::cell::RefCell<Vec<LinkSender>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Why frames for a peer that takes none are dropped (the link's own
/// bound says the same).
const QUEUE_FULL: &str = "peer not reading: send queue over its limit";

/// A peer may ask this node to spawn processes.
pub const CAP_SPAWN: u8 = 1;
/// A peer may send exit signals with `exit()`.
pub const CAP_EXIT: u8 = 2;
/// A peer may link to this node's processes.
pub const CAP_LINK: u8 = 4;
/// A peer may install code (hot loading).
pub const CAP_CODE: u8 = 8;

/// What each peer may ask of this node (sends, calls and monitors are
/// always allowed to cookie holders).
#[derive(Debug, Clone)]
pub struct Allow {
    /// For peers not listed.
    pub default: u8,
    /// Per peer node name.
    pub peers: FxHashMap<String, u8>,
}

impl Default for Allow {
    fn default() -> Self {
        Allow {
            default: CAP_SPAWN | CAP_EXIT | CAP_LINK | CAP_CODE,
            peers: FxHashMap::default(),
        }
    }
}

impl Allow {
    pub(crate) fn permits(&self, peer: &str, cap: u8) -> bool {
        self.peers.get(peer).copied().unwrap_or(self.default) & cap != 0
    }
}

/// How to start a node.
pub struct Config {
    pub name: String,
    /// "host:port" to listen on (port 0 picks one).
    pub listen: String,
    pub cookie: Cookie,
    pub allow: Allow,
    pub limits: Limits,
    /// The node agent's process id (see the crate docs).
    pub agent: Id,
}

/// A peer as `Dist::peers` reports it.
#[derive(Debug, Clone)]
pub struct PeerInfo {
    pub name: String,
    pub addr: Option<String>,
    /// "down", "connecting" or "up".
    pub state: &'static str,
    /// The sending key epoch of the link when up.
    pub epoch: u32,
    /// Why the last attempt or link failed.
    pub error: Option<String>,
}

pub(crate) struct Local {
    pub(crate) name: String,
    pub(crate) addr: String,
    pub(crate) instance: [u8; 16],
    pub(crate) cookie: Cookie,
    pub(crate) allow: Allow,
    pub(crate) limits: Limits,
    pub(crate) agent: Id,
    listener: tokio::task::JoinHandle<()>,
}

/// The distribution layer of one node (one per OS process in the addon;
/// tests make several).
pub struct Dist {
    pub(crate) table: &'static ProcessTable,
    pub(crate) threads: &'static Threads,
    rt: Runtime,
    peers: RwLock<Vec<Arc<Peer>>>,
    by_name: RwLock<FxHashMap<String, NodeId>>,
    local: RwLock<Option<Arc<Local>>>,
    gen: AtomicU64,
}

impl Dist {
    /// A stopped node over `table` and `threads`, with its own tokio runtime
    /// (two worker threads) for links, heartbeats and routing.
    pub fn new(table: &'static ProcessTable, threads: &'static Threads) -> std::io::Result<Self> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("bfly-dist")
            .enable_all()
            .build()?;
        Ok(Dist {
            table,
            threads,
            rt,
            peers: RwLock::new(Vec::new()),
            by_name: RwLock::new(FxHashMap::default()),
            local: RwLock::new(None),
            gen: AtomicU64::new(1),
        })
    }

    pub(crate) fn local(&self) -> Option<Arc<Local>> {
        self.local.read().clone()
    }

    /// This node's name while started.
    pub fn name(&self) -> Option<String> {
        self.local().map(|l| l.name.clone())
    }

    /// Starts listening as node `cfg.name`; returns the address peers reach
    /// it at. Fails when already started, on a bad name, or when the
    /// address cannot be bound.
    pub fn start(&'static self, cfg: Config) -> Result<String, String> {
        let mut slot = self.local.write();
        if slot.is_some() {
            return Err("this runtime is already a node; stop it first".into());
        }
        if !valid_name(&cfg.name) {
            return Err(format!(
                "'{}' is not a valid node name (1-255 printable characters, no spaces)",
                cfg.name
            ));
        }
        let mut instance = [0u8; 16];
        let k = Cookie::generate();
        instance.copy_from_slice(&k.bytes()[..16]);
        let listener = self
            .rt
            .block_on(Listener::bind(
                cfg.listen.as_str(),
                cfg.cookie.clone(),
                instance,
                cfg.limits,
            ))
            .map_err(|f| format!("cannot listen on {}: {}", cfg.listen, f.0))?;
        let bound = listener.local_addr();
        let host = cfg.listen.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h);
        let host = if host.is_empty() || host == "0.0.0.0" || host == "[::]" {
            bound.ip().to_string()
        } else {
            host.to_string()
        };
        let addr = format!("{}:{}", host, bound.port());
        let task = self.rt.spawn(self.accept_loop(listener));
        *slot = Some(Arc::new(Local {
            name: cfg.name,
            addr: addr.clone(),
            instance,
            cookie: cfg.cookie,
            allow: cfg.allow,
            limits: cfg.limits,
            agent: cfg.agent,
            listener: task,
        }));
        Ok(addr)
    }

    /// Stops the node: no more listening, every link closed (their
    /// relations fire 'noconnection'). Peers stay known.
    pub fn stop(&'static self) {
        let Some(local) = self.local.write().take() else {
            return;
        };
        local.listener.abort();
        for p in self.peers.read().clone() {
            let mut c = p.conn.lock();
            if let Conn::Up { tx, .. } = &*c {
                tx.close();
            }
            let was = std::mem::replace(&mut *c, Conn::Down);
            if !matches!(was, Conn::Down) {
                self.fire_down(&local, &p, "node stopped");
            }
        }
    }

    /// The id of node `name`, interning it on first use.
    pub fn intern(&self, name: &str) -> NodeId {
        if let Some(&id) = self.by_name.read().get(name) {
            return id;
        }
        let mut names = self.by_name.write();
        if let Some(&id) = names.get(name) {
            return id;
        }
        let mut peers = self.peers.write();
        let id = peers.len() as NodeId + 1;
        peers.push(Arc::new(Peer::new(id, name)));
        names.insert(name.to_string(), id);
        id
    }

    pub(crate) fn peer(&self, id: NodeId) -> Option<Arc<Peer>> {
        let i = (id as usize).checked_sub(1)?;
        self.peers.read().get(i).cloned()
    }

    /// The name of node `id`.
    pub fn node_name(&self, id: NodeId) -> Option<String> {
        self.peer(id).map(|p| p.name.clone())
    }

    /// Where node `name` listens (the seed's register-server).
    pub fn set_address(&self, name: &str, addr: &str) {
        if let Some(p) = self.peer(self.intern(name)) {
            *p.addr.lock() = Some(addr.to_string());
        }
    }

    /// Every known peer.
    pub fn peers(&self) -> Vec<PeerInfo> {
        self.peers
            .read()
            .iter()
            .map(|p| {
                let (state, epoch) = p.state();
                PeerInfo {
                    name: p.name.clone(),
                    addr: p.addr.lock().clone(),
                    state,
                    epoch,
                    error: p.error.lock().clone(),
                }
            })
            .collect()
    }

    /// Sends `frame` to node `node`, connecting first if needed. Frames to
    /// one node leave in call order. False when this runtime is not a node
    /// (or `node` is unknown): nothing can be sent.
    pub fn send(&'static self, node: NodeId, frame: Vec<u8>) -> bool {
        self.send_as(node, frame, false)
    }

    /// `send` from a JS thread: the frame waits for that thread's
    /// `flush_thread` (at the end of its tick), so a burst leaves in one
    /// write and a lone message without a hand-off to the writer task.
    pub fn send_deferred(&'static self, node: NodeId, frame: Vec<u8>) -> bool {
        self.send_as(node, frame, true)
    }

    /// Writes what this thread's deferred sends queued.
    pub fn flush_thread(&self) {
        let dirty = DIRTY.with_borrow_mut(std::mem::take);
        for tx in &dirty {
            tx.flush();
        }
        DIRTY.with_borrow_mut(|d| {
            if d.is_empty() {
                *d = dirty;
                d.clear();
            }
        });
    }

    fn send_as(&'static self, node: NodeId, frame: Vec<u8>, deferred: bool) -> bool {
        let (Some(local), Some(peer)) = (self.local(), self.peer(node)) else {
            return false;
        };
        let mut c = peer.conn.lock();
        match &mut *c {
            // A broken link fails here and is noticed by its reader.
            Conn::Up { tx, .. } if deferred => {
                if tx.send_deferred(&frame).is_ok() {
                    DIRTY.with_borrow_mut(|d| {
                        if !d.iter().any(|x| x.same(tx)) {
                            d.push(tx.clone());
                        }
                    });
                }
            }
            Conn::Up { tx, .. } => {
                let _ = tx.send_now(&frame);
            }
            Conn::Connecting { gen, queue, bytes } => {
                if *bytes <= local.limits.max_queued {
                    *bytes += frame.len();
                    queue.push(frame);
                } else {
                    // A peer that accepts but never completes the handshake
                    // meets the same bound as one that stops reading a link.
                    let gen = *gen;
                    drop(c);
                    self.failed(&local, &peer, gen, QUEUE_FULL);
                }
            }
            Conn::Down => {
                let gen = self.gen.fetch_add(1, Ordering::Relaxed);
                *c = Conn::Connecting {
                    gen,
                    bytes: frame.len(),
                    queue: vec![frame],
                };
                drop(c);
                self.rt.spawn(self.dial(local, peer, gen));
            }
        }
        true
    }

    /// Local process `id` exited with `reason` (encoded): tells the nodes
    /// it had relations with.
    pub fn exited(&'static self, id: Id, rel: &RemoteRel, reason: &[u8]) {
        for &(n, r) in &rel.links {
            self.send(
                n,
                Frame::Exit {
                    from: id,
                    to: r,
                    via_exit: false,
                    reason,
                }
                .encode(),
            );
        }
        for &(n, wref, wid) in &rel.monitored_by {
            self.send(
                n,
                Frame::Down {
                    watcher: wid,
                    r: wref,
                    target: id,
                    reason,
                }
                .encode(),
            );
        }
        for &(r, n, t) in &rel.watching {
            if t != 0 {
                self.send(
                    n,
                    Frame::Demonitor {
                        origin: "",
                        r,
                        target: t,
                        name: "",
                    }
                    .encode(),
                );
            }
        }
    }

    pub(crate) fn post(&self, to: Id, lane: Lane, payload: Vec<u8>) {
        self.threads.post(self.table, to, lane, payload);
    }

    pub(crate) fn notify(&self, local: &Local, term: Vec<u8>) {
        self.post(local.agent, Lane::User, term);
    }

    async fn accept_loop(&'static self, mut listener: Listener) {
        while let Ok(link) = listener.accept().await {
            self.rt.spawn(self.accepted(link));
        }
    }

    /// A peer connected: read its Hello, keep or refuse the link, then
    /// serve it.
    async fn accepted(&'static self, mut link: Link) {
        let Some(local) = self.local() else { return };
        let Ok(Ok(hello)) = timeout(local.limits.handshake, link.recv()).await else {
            return;
        };
        let Ok(Frame::Hello { name, addr }) = Frame::decode(&hello) else {
            return;
        };
        if !valid_name(name) || name == local.name {
            return;
        }
        let peer = match self.peer(self.intern(name)) {
            Some(p) => p,
            None => return,
        };
        if !addr.is_empty() {
            *peer.addr.lock() = Some(addr.to_string());
        }
        let tx = link.sender();
        let gen = {
            let mut c = peer.conn.lock();
            let ok = match &*c {
                // Our own link crossed the peer's dial (both connected at
                // once, and ours came up first): the peer keeps ours.
                Conn::Up {
                    instance,
                    incoming: false,
                    ..
                } if *instance == link.peer => false,
                Conn::Up {
                    tx: old, instance, ..
                } => {
                    // The peer opened the link we have, and dials only when
                    // it has none: it restarted, or found that link dead
                    // (it was stopped, or the path cut) before this side did.
                    old.close();
                    let why = if *instance == link.peer {
                        "peer reconnected"
                    } else {
                        "peer restarted"
                    };
                    *c = Conn::Down;
                    self.fire_down(&local, &peer, why);
                    true
                }
                // Both sides connected at once: the link opened by the
                // node with the smaller name is the one both keep.
                Conn::Connecting { .. } => peer.name < local.name,
                Conn::Down => true,
            };
            let ack = Frame::HelloAck {
                ok,
                name: &local.name,
                addr: &local.addr,
            };
            if tx.send_now(&ack.encode()).is_err() || !ok {
                return;
            }
            self.up(&local, &peer, &mut c, tx, link.peer, true)
        };
        self.serve(local, peer, link, gen).await;
    }

    /// Connects to `peer` for the frames queued under `gen`.
    async fn dial(&'static self, local: Arc<Local>, peer: Arc<Peer>, gen: u64) {
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
        let mut link = connect(addr.as_str(), &local.cookie, local.instance, local.limits)
            .await
            .map_err(|f| match f.0 {
                "connect failed" => format!("cannot connect to '{}' at {addr}", peer.name),
                why => format!(
                    "the SL1 handshake with '{}' at {addr} failed ({why}): wrong cookie, or not a bfly node",
                    peer.name
                ),
            })?;
        let hello = Frame::Hello {
            name: &local.name,
            addr: &local.addr,
        };
        link.send(&hello.encode())
            .await
            .map_err(|f| f.to_string())?;
        let ack = timeout(local.limits.handshake, link.recv())
            .await
            .map_err(|_| format!("'{}' did not answer the Hello", peer.name))?
            .map_err(|f| f.to_string())?;
        let Ok(Frame::HelloAck { ok, name, .. }) = Frame::decode(&ack) else {
            return Err(format!(
                "'{}' answered the Hello with something else",
                peer.name
            ));
        };
        if name != peer.name {
            return Err(format!(
                "the node at {addr} is '{name}', not '{}'",
                peer.name
            ));
        }
        if !ok {
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
        self.up(local, peer, &mut c, link.sender(), link.peer, false);
        Ok(Some(link))
    }

    /// Makes `tx` the peer's link: gossip first, then what was queued, in
    /// order, before any later send (the caller holds the state's lock).
    fn up(
        &self,
        local: &Local,
        peer: &Peer,
        c: &mut Conn,
        tx: LinkSender,
        instance: [u8; 16],
        incoming: bool,
    ) -> u64 {
        let gen = match c {
            Conn::Connecting { gen, .. } => *gen,
            _ => self.gen.fetch_add(1, Ordering::Relaxed),
        };
        let known: Vec<(String, String)> = self
            .peers
            .read()
            .iter()
            .filter(|p| p.id != peer.id)
            .filter_map(|p| p.addr.lock().clone().map(|a| (p.name.clone(), a)))
            .collect();
        let list = known
            .iter()
            .map(|(n, a)| (n.as_str(), a.as_str()))
            .collect();
        let _ = tx.send_now(&Frame::Nodes { list }.encode());
        if let Conn::Connecting { queue, .. } = c {
            for f in queue.drain(..) {
                let _ = tx.send_now(&f);
            }
        }
        *c = Conn::Up {
            gen,
            tx,
            instance,
            incoming,
        };
        *peer.error.lock() = None;
        self.notify(local, agent::node_up(&peer.name));
        if let Some(addr) = peer.addr.lock().clone() {
            let news = Frame::Nodes {
                list: vec![(&peer.name, &addr)],
            }
            .encode();
            for p in self.peers.read().iter().filter(|p| p.id != peer.id) {
                if let Some(Conn::Up { tx, .. }) = p.conn.try_lock().as_deref() {
                    let _ = tx.send_now(&news);
                }
            }
        }
        gen
    }

    /// Reads and routes the link's frames until it fails.
    async fn serve(&'static self, local: Arc<Local>, peer: Arc<Peer>, mut link: Link, gen: u64) {
        let why = loop {
            match link.recv().await {
                Ok(m) => {
                    if let Err(e) = self.route(&local, &peer, &m) {
                        break format!("malformed frame from '{}': {}", peer.name, e.0);
                    }
                }
                Err(f) => break f.to_string(),
            }
        };
        let mut c = peer.conn.lock();
        if matches!(&*c, Conn::Up { gen: g, .. } if *g == gen) {
            *c = Conn::Down;
            *peer.error.lock() = Some(why.clone());
            self.fire_down(&local, &peer, &why);
        }
    }

    /// A connection attempt for `gen` failed: what was queued is dropped
    /// and relations made meanwhile fire.
    fn failed(&self, local: &Local, peer: &Peer, gen: u64, why: &str) {
        let mut c = peer.conn.lock();
        if !matches!(&*c, Conn::Connecting { gen: g, .. } if *g == gen) {
            return;
        }
        *c = Conn::Down;
        *peer.error.lock() = Some(why.to_string());
        self.fire_down(local, peer, why);
    }

    /// Every relation with `peer` fires once with 'noconnection'.
    fn fire_down(&self, local: &Local, peer: &Peer, why: &str) {
        let loss = self.table.node_down(peer.id);
        let reason = str_term("noconnection");
        for (id, r) in loss.exits {
            self.post(
                id,
                Lane::Signal,
                exit_signal_term(&peer.name, r, &reason, false),
            );
        }
        for (w, r, t) in loss.downs {
            self.post(
                w,
                Lane::Signal,
                down_signal_term(&local.name, r, &peer.name, t, &reason),
            );
        }
        self.notify(local, agent::node_down(&peer.name, why));
    }

    /// Runs `f` on the runtime (tests).
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// A pause on the runtime's clock (tests).
    pub fn sleep(&self, d: Duration) {
        self.rt.block_on(tokio::time::sleep(d));
    }
}
