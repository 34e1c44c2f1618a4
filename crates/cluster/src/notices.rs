//! Refused and failed links, for the node's log (issue 14, finding 10):
//! each is told to the node agent once, as
//! `['rejected', claimed name, address, reason]`, at most `BURST` at once
//! and `PER_SECOND` after that; what is held back is counted and said in
//! the next notice, so a flood of bad connections costs the JS thread a
//! few lines a second.

use crate::agent;
use crate::node::{Cluster, Local};
use std::time::Instant;

/// Notices let through at once.
const BURST: f64 = 20.0;
/// Notices let through per second after a burst.
const PER_SECOND: f64 = 10.0;

/// A token bucket with a count of what it held back.
pub(crate) struct Notices {
    tokens: f64,
    at: Option<Instant>,
    held: u64,
}

impl Default for Notices {
    fn default() -> Self {
        Notices {
            tokens: BURST,
            at: None,
            held: 0,
        }
    }
}

impl Notices {
    /// Whether a notice may go now (with the count held back before it),
    /// or None when it is held back (counted).
    pub(crate) fn admit(&mut self, now: Instant, also_held: u64) -> Option<u64> {
        if let Some(at) = self.at {
            let refill = now.saturating_duration_since(at).as_secs_f64() * PER_SECOND;
            self.tokens = (self.tokens + refill).min(BURST);
        }
        self.at = Some(now);
        self.held += also_held;
        if self.tokens < 1.0 {
            self.held += 1;
            return None;
        }
        self.tokens -= 1.0;
        Some(std::mem::take(&mut self.held))
    }
}

impl Cluster {
    /// A connection from `addr` that did not become a link (or a link
    /// refused at its Hello, claiming `name`), and why; `dropped` more
    /// that were not even queued. Told to the agent, rate-limited.
    pub(crate) fn rejected(&self, local: &Local, addr: &str, name: &str, why: &str, dropped: u64) {
        let Some(held) = self.notices.lock().admit(Instant::now(), dropped) else {
            return;
        };
        let why = if held > 0 {
            format!("{why} ({held} more refused or failed connections not logged)")
        } else {
            why.to_string()
        };
        self.notify(local, agent::rejected(name, addr, &why));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_flood_is_held_to_the_rate_and_counted() {
        let mut n = Notices::default();
        let t0 = Instant::now();
        let let_through = (0..1000).filter(|_| n.admit(t0, 0).is_some()).count();
        assert_eq!(let_through, BURST as usize);
        // A second later: ten more, the first says how many were held.
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(n.admit(t1, 5), Some(1000 - BURST as u64 + 5));
        assert_eq!(n.admit(t1, 0), Some(0));
    }
}
