//! What each frame from a peer does on this node. Deliveries go straight
//! into the owner thread's inbox (user lane, signal lane or reply lane);
//! relations are updated in the process table first, so an exit signal or
//! DOWN whose relation no longer exists (unlinked, demonitored, already
//! fired) is dropped rather than delivered.

use crate::agent;
use crate::config::{CAP_CODE, CAP_EXIT, CAP_LINK, CAP_SPAWN};
use crate::envelope::{BadFrame, Frame, Request, MAX_GOSSIP, NODE_TARGET};
use crate::forward::Forwarded;
use crate::node::{Cluster, Local};
use crate::peer::{valid_name, Peer};
use crate::posts::Read;
use bfly_core::departure::{down_signal_term, exit_signal_term, reply_term, str_term};
use bfly_core::{Id, Lane, NodeId};
use std::sync::atomic::Ordering;

impl Cluster {
    /// Routes frame `m` of `read` from `peer` (posts.rs).
    pub(crate) fn route(
        &'static self,
        local: &Local,
        peer: &Peer,
        read: &mut Read,
        m: &[u8],
    ) -> Result<(), BadFrame> {
        if let Some((id, msg)) = read.same_name(m) {
            read.deliver(self, id, Lane::User, &[msg?]);
            return Ok(());
        }
        match Frame::decode(m)? {
            Frame::Send { to, msg } => {
                if peer.grants.load(Ordering::Relaxed) {
                    read.deliver(self, to, Lane::Remote, &[&peer.id.to_le_bytes(), msg]);
                } else {
                    read.deliver(self, to, Lane::User, &[msg]);
                }
            }
            Frame::SendName { name, msg } => {
                if let Some(id) = self.table.whereis(name) {
                    read.named(name, id);
                    read.deliver(self, id, Lane::User, &[msg]);
                } else if let Some((n, r)) = self.table.alias(name) {
                    read.holding(|| {
                        self.send(self.intern(&n), &Frame::SendName { name: &r, msg }.encode())
                    });
                }
                // An unknown name drops the message, as Erlang's {Name, Node} ! Msg.
            }
            f => read.holding(|| self.act(local, peer, f))?,
        }
        Ok(())
    }

    /// What a frame other than a message does.
    fn act(&'static self, local: &Local, peer: &Peer, f: Frame) -> Result<(), BadFrame> {
        let from_node = peer.id;
        match f {
            Frame::Send { .. } | Frame::SendName { .. } => {
                unreachable!("routed by `route`")
            }
            Frame::Grant { list } => self.granted(peer, &list),
            Frame::Exit {
                from,
                to,
                via_exit: true,
                reason,
            } => {
                if self.refuse(local, peer, CAP_EXIT, "exit", to) {
                    return Ok(());
                }
                self.post(
                    to,
                    Lane::Signal,
                    exit_signal_term(&peer.name, from, reason, true),
                );
            }
            Frame::Exit {
                from,
                to,
                via_exit: false,
                reason,
            } => {
                self.gone(peer, from);
                if self.table.unlink_remote(to, from_node, from) {
                    self.post(
                        to,
                        Lane::Signal,
                        exit_signal_term(&peer.name, from, reason, false),
                    );
                }
            }
            Frame::Link { from, to } => {
                let why = if self.refuse(local, peer, CAP_LINK, "link", to) {
                    "not_allowed"
                } else if self.table.link_remote(to, from_node, from).is_err() {
                    "noproc"
                } else {
                    return Ok(());
                };
                let reason = str_term(why);
                self.send(
                    from_node,
                    &Frame::Exit {
                        from: to,
                        to: from,
                        via_exit: false,
                        reason: &reason,
                    }
                    .encode(),
                );
            }
            Frame::Unlink { from, to } => {
                self.table.unlink_remote(to, from_node, from);
            }
            Frame::Monitor {
                target: NODE_TARGET,
                ..
            }
            | Frame::Demonitor {
                target: NODE_TARGET,
                ..
            } => {}
            Frame::Monitor {
                origin,
                watcher,
                r,
                target,
                name,
            } => {
                // The watcher's node (another, when forwarded) stays known
                // while the watch is being recorded.
                let _gate = self.gate.read_recursive();
                let wnode = self.origin(origin, from_node);
                let Some(target) = self.resolve(target, name, |n, remote| {
                    let f = Forwarded {
                        origin: wnode,
                        watcher,
                        r,
                    };
                    self.forwarded(n, f);
                    Frame::Monitor {
                        origin: self.origin_name(origin, peer),
                        watcher,
                        r,
                        target: 0,
                        name: remote,
                    }
                    .encode_to(self, n)
                }) else {
                    return Ok(());
                };
                if target == 0
                    || self
                        .table
                        .add_remote_watcher(target, wnode, r, watcher)
                        .is_err()
                {
                    let reason = str_term("noproc");
                    self.send(
                        wnode,
                        &Frame::Down {
                            watcher,
                            r,
                            target,
                            reason: &reason,
                        }
                        .encode(),
                    );
                }
            }
            Frame::Demonitor {
                origin,
                r,
                target,
                name,
            } => {
                let wnode = self.origin(origin, from_node);
                let resolved = self.resolve(target, name, |n, remote| {
                    self.unforwarded(n, wnode, r);
                    Frame::Demonitor {
                        origin: self.origin_name(origin, peer),
                        r,
                        target: 0,
                        name: remote,
                    }
                    .encode_to(self, n)
                });
                if let Some(t) = resolved.filter(|&t| t != 0) {
                    self.table.remove_remote_watcher(t, wnode, r);
                }
            }
            Frame::Down {
                watcher,
                r,
                target,
                reason,
            } => {
                self.gone(peer, target);
                if self.table.take_remote_monitor(watcher, r) {
                    let down = down_signal_term(&local.name, r, &peer.name, target, reason);
                    self.post(watcher, Lane::Signal, down);
                }
            }
            Frame::Reply { to, msg } => {
                self.post(to, Lane::Reply, msg.to_vec());
            }
            Frame::Ask {
                what,
                from,
                r,
                flags,
                body,
            } => {
                let (cap, word) = match what {
                    Request::Spawn => (CAP_SPAWN, "spawn"),
                    Request::Code => (CAP_CODE, "code"),
                };
                if self.refuse(local, peer, cap, word, 0) {
                    let msg = format!(
                        "node '{}' does not allow '{word}' requests from '{}'",
                        local.name, peer.name
                    );
                    let body = agent::failure("refused", &msg);
                    self.send(
                        from_node,
                        &Frame::Answer {
                            to: from,
                            r,
                            link: 0,
                            body: &body,
                        }
                        .encode(),
                    );
                } else {
                    self.notify(local, agent::ask(what, &peer.name, from, r, flags, body));
                }
            }
            Frame::Answer { to, r, link, body } => {
                // A linked spawn: the link exists before the caller hears of the pid.
                if link != 0 && self.table.link_remote(to, from_node, link).is_err() {
                    let reason = str_term("noproc");
                    self.send(
                        from_node,
                        &Frame::Exit {
                            from: to,
                            to: link,
                            via_exit: false,
                            reason: &reason,
                        }
                        .encode(),
                    );
                }
                self.post(to, Lane::Reply, reply_term(&local.name, r, body));
            }
            Frame::Nodes { list } => {
                // Names learnt here are idle peers: forgotten unless used,
                // or linked with at once to make the mesh (`connect_all`).
                for (n, a) in list.into_iter().take(MAX_GOSSIP) {
                    if n != local.name && valid_name(n) && !a.is_empty() {
                        let p = self.peer(self.intern(n));
                        if let Some(p) = p {
                            p.addr.lock().get_or_insert_with(|| a.to_string());
                            p.told.store(true, Ordering::Relaxed);
                            if local.connect_all {
                                self.mesh(p);
                            }
                        }
                    }
                }
            }
            Frame::Refused { what, detail } => {
                self.notify(local, agent::notice(what, &peer.name, detail))
            }
            Frame::Hello { .. } | Frame::HelloAck { .. } => {
                return Err(BadFrame("hello after the link is up"))
            }
        }
        Ok(())
    }

    /// Whether `peer` is refused `cap`; a refusal is logged here (through
    /// the agent) and told to the peer.
    fn refuse(&'static self, local: &Local, peer: &Peer, cap: u8, word: &str, target: Id) -> bool {
        if local.allow.permits(&peer.name, cap) {
            return false;
        }
        let detail = format!(
            "node '{}' refused '{word}' from '{}' (target {target}): not in its allow-list",
            local.name, peer.name
        );
        self.notify(local, agent::notice(word, &peer.name, &detail));
        self.send(
            peer.id,
            &Frame::Refused {
                what: word,
                detail: &detail,
            }
            .encode(),
        );
        true
    }

    /// The watcher's node: `origin` when the frame was forwarded.
    fn origin(&self, origin: &str, from_node: NodeId) -> NodeId {
        if origin.is_empty() {
            from_node
        } else {
            self.intern(origin)
        }
    }

    fn origin_name<'a>(&self, origin: &'a str, peer: &'a Peer) -> &'a str {
        if origin.is_empty() {
            &peer.name
        } else {
            origin
        }
    }

    /// The local target of a monitor: `target`, or the process registered
    /// as `name` (0 when none is). For an alias, `forward` is sent on to
    /// the node it stands for and None is returned.
    fn resolve(
        &'static self,
        target: Id,
        name: &str,
        forward: impl FnOnce(NodeId, &str),
    ) -> Option<Id> {
        if target != 0 || name.is_empty() {
            return Some(target);
        }
        if let Some(id) = self.table.whereis(name) {
            return Some(id);
        }
        if let Some((n, r)) = self.table.alias(name) {
            forward(self.intern(&n), &r);
            return None;
        }
        Some(0)
    }
}

impl Frame<'_> {
    fn encode_to(&self, d: &'static Cluster, node: NodeId) {
        d.send(node, &self.encode());
    }
}
