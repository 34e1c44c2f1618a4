//! The peer directory under churn (issue 14, finding 3), with real sockets:
//! 100,000 connections to one node, each a different node name that says
//! Hello (with an address, so it is gossiped), reads the node's gossip and
//! hangs up, as short-lived CLI runs do. The node's directory, its node
//! table and the gossip each new link receives stay bounded throughout.
//! BFLY_CHURN sets another count (the default is the issue's).

use bfly_cluster::envelope::Frame;
use bfly_cluster::{Cluster, Config, MAX_GOSSIP, MAX_IDLE};
use bfly_core::{ProcessTable, Threads};
use bfly_net::keys::Cookie;
use bfly_net::link::{connect, Limits};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Peers a node may know beyond `MAX_IDLE` idle ones: those linked at the
/// moment (here at most `CLIENTS`) and those swept a little late.
const SLACK: usize = MAX_IDLE / 4 + CLIENTS;
/// Connections open at once.
const CLIENTS: usize = 16;

#[test]
fn a_hundred_thousand_names_leave_the_directory_and_the_gossip_bounded() {
    let total: usize = std::env::var("BFLY_CHURN")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let t: &'static ProcessTable = Box::leak(Box::new(ProcessTable::new()));
    let th: &'static Threads = Box::leak(Box::new(Threads::new()));
    let d: &'static Cluster = Box::leak(Box::new(Cluster::new(t, th).unwrap()));
    let agent = t.spawn(th.add(Box::new(|| {})));
    let cookie = Cookie::new(&[3; 32]).unwrap();
    let addr = d
        .start(Config::new(
            "hub@127.0.0.1",
            "127.0.0.1:0",
            cookie.clone(),
            agent,
        ))
        .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let most_gossip = Arc::new(AtomicUsize::new(0));
    let most_known = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (next, most_gossip, most_known) =
                (next.clone(), most_gossip.clone(), most_known.clone());
            let (addr, cookie) = (addr.clone(), cookie.clone());
            rt.spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        return Ok::<(), String>(());
                    }
                    let mut link = connect(addr.as_str(), &cookie, [9; 16], Limits::default())
                        .await
                        .map_err(|f| format!("connection {i}: {f}"))?;
                    let name = format!("cli{i}@127.0.0.1");
                    let own = format!("127.0.0.1:{}", 1 + i % 65_000);
                    let hello = Frame::Hello {
                        name: &name,
                        addr: &own,
                        features: Some(1),
                        identity: None,
                    };
                    link.send(&hello.encode())
                        .await
                        .map_err(|f| f.to_string())?;
                    let ack = link.recv().await.map_err(|f| format!("{name}: {f}"))?;
                    if !matches!(Frame::decode(&ack), Ok(Frame::HelloAck { ok: true, .. })) {
                        return Err(format!("{name}: no HelloAck"));
                    }
                    let nodes = link.recv().await.map_err(|f| format!("{name}: {f}"))?;
                    let Ok(Frame::Nodes { list }) = Frame::decode(&nodes) else {
                        return Err(format!("{name}: gossip malformed"));
                    };
                    most_gossip.fetch_max(list.len(), Ordering::Relaxed);
                    if i % 1000 == 0 {
                        most_known.fetch_max(d.peers().len(), Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for c in clients {
        rt.block_on(c).unwrap().unwrap();
    }
    let (gossip, known) = (
        most_gossip.load(Ordering::Relaxed),
        most_known.load(Ordering::Relaxed),
    );
    eprintln!(
        "{total} connections: at most {known} peers known, {gossip} names gossiped to one link; {} known now, {} in the node table",
        d.peers().len(),
        t.node_states().len()
    );
    assert!(gossip <= MAX_GOSSIP, "gossip of {gossip} names");
    assert!(known <= MAX_IDLE + SLACK, "{known} peers known at once");
    // Once the links are gone, a sweep leaves at most MAX_IDLE idle peers.
    d.sweep();
    assert!(
        d.peers().len() <= MAX_IDLE,
        "{} peers kept",
        d.peers().len()
    );
    assert!(t.node_states().len() <= MAX_IDLE + SLACK);
    d.stop();
}
