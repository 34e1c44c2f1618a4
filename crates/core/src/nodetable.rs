//! The node table (the seed's system table of nodes), kept in the STM:
//! each node this one has linked with, and whether that link is up.
//!
//! Written by the distribution layer when a link comes up or goes down
//! (concurrent writers for different nodes are ordinary transactions);
//! read by any thread without a lock, or inside a transaction, so that
//! `atomically(tx => tx.node(n) === 'up' || tx.retry())` waits for a node.

use crate::table::ProcessTable;
use bfly_stm::{Transaction, TxError};

/// The state of this node's link to another node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeState {
    /// The link is up: frames flow both ways, encrypted.
    Up,
    /// The link went down (or never came up after a failed attempt).
    Down,
}

impl NodeState {
    fn byte(self) -> u8 {
        match self {
            NodeState::Up => 1,
            NodeState::Down => 2,
        }
    }

    fn decode(b: &[u8]) -> Option<NodeState> {
        match b {
            [1] => Some(NodeState::Up),
            [2] => Some(NodeState::Down),
            _ => None,
        }
    }
}

impl ProcessTable {
    /// Records that the link to node `name` is now `state` and wakes the
    /// transactions waiting on it.
    pub fn set_node_state(&self, name: &str, state: NodeState) {
        let wakes = self.nodes.apply(&[(name, Some(&[state.byte()]))]);
        self.wake(wakes);
    }

    /// Drops node `name` from the table (the distribution layer forgot it:
    /// no link, relation or registration needed it); it reads as never
    /// linked again.
    pub fn forget_node(&self, name: &str) {
        let wakes = self.nodes.apply(&[(name, None)]);
        self.wake(wakes);
    }

    /// The state of node `name`, committed; `None` for a node never linked.
    pub fn node_state(&self, name: &str) -> Option<NodeState> {
        self.nodes.get(name).and_then(|b| NodeState::decode(&b))
    }

    /// The state of node `name` in transaction `tx`.
    pub fn tx_node_state(
        &self,
        tx: &mut Transaction<'_>,
        name: &str,
    ) -> Result<Option<NodeState>, TxError> {
        Ok(self
            .nodes
            .tx_get(tx, name)?
            .and_then(|b| NodeState::decode(&b)))
    }

    /// Every node of the table with its state, sorted by name.
    pub fn node_states(&self) -> Vec<(String, NodeState)> {
        self.nodes
            .entries()
            .into_iter()
            .filter_map(|(n, b)| Some((n, NodeState::decode(&b)?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bfly_stm::Park;

    #[test]
    fn a_waiting_transaction_wakes_when_the_node_comes_up() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static WOKEN: AtomicUsize = AtomicUsize::new(0);
        let t = ProcessTable::new();
        t.set_waker(|w| {
            WOKEN.fetch_add(w.len(), Ordering::SeqCst);
        });
        let mut tx = Transaction::new(t.stm());
        assert_eq!(t.tx_node_state(&mut tx, "b@h").unwrap(), None);
        assert!(matches!(tx.wait(1), Park::Parked(_)));
        t.set_node_state("c@h", NodeState::Up);
        t.set_node_state("b@h", NodeState::Up);
        assert!(WOKEN.load(Ordering::SeqCst) >= 1);
        assert_eq!(t.node_state("b@h"), Some(NodeState::Up));
        t.set_node_state("b@h", NodeState::Down);
        t.set_node_state("d@h", NodeState::Down);
        t.forget_node("d@h");
        assert_eq!(t.node_state("d@h"), None);
        assert_eq!(
            t.node_states(),
            vec![
                ("b@h".to_string(), NodeState::Down),
                ("c@h".to_string(), NodeState::Up)
            ]
        );
    }
}
