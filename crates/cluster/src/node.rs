//! This node: its identity, its listener, and the life of each link
//! (connect on first use, the Hello exchange that keeps one link per node
//! pair, loss and what it fires).

use crate::config::{Allow, Config, Keys, PeerInfo};
use crate::directory::Directory;
use crate::envelope::{Frame, FEAT_BATCH, FEAT_CREDIT, FEAT_HIDDEN};
use crate::notices::Notices;
use crate::peer::{valid_name, Conn};
use bfly_core::{Delivery, Id, Lane, ProcessTable, RemoteRel, Threads};
use bfly_net::keys::Cookie;
use bfly_net::link::Limits;
use bfly_net::listener::Listener;
use bfly_net::reader::Reader;
use parking_lot::{Mutex, RwLock};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::Runtime;
use tokio::sync::Notify;

impl Local {
    /// The distribution features this node speaks (`FEAT_*`).
    pub(crate) fn features(&self) -> u8 {
        let credit = if self.credit > 0 { FEAT_CREDIT } else { 0 };
        let hidden = if self.hidden { FEAT_HIDDEN } else { 0 };
        let batch = if self.limits.batches { FEAT_BATCH } else { 0 };
        credit | hidden | batch
    }
}

pub(crate) struct Local {
    pub(crate) name: String,
    pub(crate) addr: String,
    pub(crate) instance: [u8; 16],
    pub(crate) cookie: Cookie,
    pub(crate) allow: Allow,
    pub(crate) limits: Limits,
    pub(crate) agent: Id,
    /// Credit window per remote process (0: no credit either way).
    pub(crate) credit: u32,
    pub(crate) keys: Keys,
    pub(crate) hidden: bool,
    /// Connect to visible nodes that peers gossip (never when hidden).
    pub(crate) connect_all: bool,
    tasks: [tokio::task::JoinHandle<()>; 2],
}

/// The distribution layer of one node (one per OS process in the addon;
/// tests make several).
pub struct Cluster {
    pub(crate) table: &'static ProcessTable,
    pub(crate) threads: &'static Threads,
    pub(crate) rt: Runtime,
    /// Known peers by id and name (directory.rs).
    pub(crate) dir: RwLock<Directory>,
    /// Bumped when peers are forgotten (directory.rs).
    pub(crate) epoch: AtomicU32,
    /// Held for reading while a relation is made, for writing by a sweep.
    pub(crate) gate: RwLock<()>,
    /// Wakes the sweeper before its time.
    pub(crate) sweeper: Notify,
    pub(crate) local: RwLock<Option<Arc<Local>>>,
    pub(crate) gen: AtomicU64,
    /// Where each link's reader is offered once it is served (a host
    /// thread that reads links itself; see bfly_net::reader).
    pub(crate) host: RwLock<Option<HostHook>>,
    /// Addresses being probed (`probe`), so each has one attempt at a time.
    pub(crate) probing: Mutex<rustc_hash::FxHashSet<String>>,
    /// Refused and failed links, rate-limited for the log (notices.rs).
    pub(crate) notices: Mutex<Notices>,
}

/// Takes a served link's reader (see `Cluster::set_host`).
pub type HostHook = Box<dyn Fn(Arc<Reader>) + Send + Sync>;

impl Cluster {
    /// A stopped node over `table` and `threads`, with its own tokio runtime
    /// (two worker threads) for links, heartbeats and routing.
    pub fn new(table: &'static ProcessTable, threads: &'static Threads) -> std::io::Result<Self> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("bfly-cluster")
            .enable_all()
            .build()?;
        Ok(Cluster {
            table,
            threads,
            rt,
            dir: RwLock::new(Directory::default()),
            epoch: AtomicU32::new(0),
            gate: RwLock::new(()),
            sweeper: Notify::new(),
            local: RwLock::new(None),
            gen: AtomicU64::new(1),
            host: RwLock::new(None),
            probing: Mutex::new(Default::default()),
            notices: Mutex::new(Notices::default()),
        })
    }

    /// Offers each link served from now on to `hook`, whose thread may
    /// read it (`Reader::host_pump`); the runtime reads whatever the host
    /// does not take, and takes over when it stalls. None: the runtime
    /// reads every link.
    pub fn set_host(&self, hook: Option<HostHook>) {
        *self.host.write() = hook;
    }

    pub(crate) fn local(&self) -> Option<Arc<Local>> {
        self.local.read().clone()
    }

    /// Whether this runtime is a node now (started and not stopped).
    pub fn started(&self) -> bool {
        self.local.read().is_some()
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
        let tasks = [
            self.rt.spawn(self.accept_loop(listener)),
            self.rt.spawn(self.sweeper()),
        ];
        *slot = Some(Arc::new(Local {
            name: cfg.name,
            addr: addr.clone(),
            instance,
            cookie: cfg.cookie,
            allow: cfg.allow,
            limits: cfg.limits,
            agent: cfg.agent,
            credit: cfg.credit,
            keys: cfg.keys,
            hidden: cfg.hidden,
            connect_all: cfg.connect_all && !cfg.hidden,
            tasks,
        }));
        Ok(addr)
    }

    /// Stops the node: no more listening, every link closed (their
    /// relations fire 'noconnection'). Peers stay known (until forgotten).
    pub fn stop(&'static self) {
        let Some(local) = self.local.write().take() else {
            return;
        };
        for t in &local.tasks {
            t.abort();
        }
        let peers: Vec<_> = self.dir.read().all().cloned().collect();
        for p in peers {
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

    /// The name of node `id`.
    pub fn node_name(&self, id: bfly_core::NodeId) -> Option<String> {
        self.peer(id).map(|p| p.name.clone())
    }

    /// Where node `name` listens (the seed's register-server). A registered
    /// peer is never forgotten.
    pub fn set_address(&self, name: &str, addr: &str) {
        if let Some(p) = self.peer(self.intern(name)) {
            p.registered.store(true, Ordering::Relaxed);
            *p.addr.lock() = Some(addr.to_string());
        }
    }

    /// Every known peer.
    /// Every known peer; a hidden one only while it has a link (Erlang
    /// forgets a hidden node when it disconnects: a CLI that came and went
    /// is not a peer of the cluster).
    pub fn peers(&self) -> Vec<PeerInfo> {
        let peers: Vec<_> = self.dir.read().all().cloned().collect();
        peers
            .iter()
            .filter_map(|p| {
                let (state, epoch) = p.state();
                let hidden = p.hidden.load(Ordering::Relaxed);
                if hidden && state != "up" {
                    return None;
                }
                Some(PeerInfo {
                    name: p.name.clone(),
                    addr: p.addr.lock().clone(),
                    state,
                    epoch,
                    error: p.error.lock().clone(),
                    key: *p.key.lock(),
                    hidden,
                })
            })
            .collect()
    }

    /// Local process `id` exited with `reason` (encoded): tells the nodes
    /// it had relations with.
    pub fn exited(&'static self, id: Id, rel: &RemoteRel, reason: &[u8]) {
        for &(n, r) in &rel.links {
            self.send(
                n,
                &Frame::Exit {
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
                &Frame::Down {
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
                    &Frame::Demonitor {
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

    /// Posts a delivery to the thread that owns process `to`; while a
    /// link's read is being routed on this thread, at the end of that read
    /// (posts.rs). False when `to` is known dead now.
    pub(crate) fn post(&self, to: Id, lane: Lane, payload: Vec<u8>) -> bool {
        match crate::posts::hold(Delivery { to, lane, payload }) {
            None => true,
            Some(d) => self.threads.post(self.table, d.to, d.lane, d.payload),
        }
    }

    pub(crate) fn notify(&self, local: &Local, term: Vec<u8>) {
        self.post(local.agent, Lane::Agent, term);
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
