//! The outbox's writer task: it takes the whole queue per write (so
//! senders refill it during the write), heartbeats an idle link, and has
//! the keys rotate on time, a heartbeat carrying the update.

use super::Outbox;
use crate::frame::Kind;
use crate::sock::Sock;
use std::sync::Arc;
use std::time::{Duration, Instant};

impl Outbox {
    /// The writer task: drains batches, heartbeats when idle, rotates on
    /// time. When it ends (closed or lost), the peer is sent end-of-stream.
    pub(crate) async fn run(self: Arc<Self>, w: Arc<Sock>, heartbeat: Duration) {
        self.clone().write_loop(&w, heartbeat).await;
        w.shutdown_write();
    }

    async fn write_loop(self: Arc<Self>, w: &Sock, heartbeat: Duration) {
        let mut spare = Vec::new();
        let mut tick = tokio::time::interval(heartbeat / 2);
        loop {
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tick.tick() => {
                    let due = match self.lock() {
                        Ok(st) => {
                            let now = Instant::now();
                            now.duration_since(st.last) >= heartbeat || st.sealer.due(now)
                        }
                        Err(_) => return,
                    };
                    // Idle or not, keys rotate on time: a heartbeat carries the update.
                    if due && self.push(&[], Some(Kind::Heartbeat), false).is_err() {
                        return;
                    }
                }
            }
            loop {
                let (batch, closing) = match self.lock() {
                    Ok(mut st) if !st.failed => {
                        if Self::seal_batch(&mut st, Instant::now()).is_err() {
                            drop(st);
                            self.fail();
                            return;
                        }
                        if st.buf.is_empty() {
                            if st.closing {
                                st.w = None;
                            }
                            (None, st.closing)
                        } else {
                            st.writing = true;
                            let batch = std::mem::replace(&mut st.buf, std::mem::take(&mut spare));
                            self.ease(&st);
                            (Some(batch), st.closing)
                        }
                    }
                    _ => return,
                };
                let Some(mut batch) = batch else {
                    if closing {
                        return;
                    }
                    break;
                };
                // A peer that reads nothing blocks this write; losing the link
                // (queue over its bound) ends it, and dropping `w` closes the socket.
                let wrote = tokio::select! {
                    r = w.write_all(&batch) => r.is_ok(),
                    _ = self.lost() => false,
                };
                if !wrote {
                    self.fail();
                    return;
                }
                batch.clear();
                spare = batch;
                match self.lock() {
                    Ok(mut st) => st.writing = false,
                    Err(_) => return,
                }
                self.drained.notify_waiters();
                // Anything queued meanwhile goes out before waiting again.
            }
        }
    }
}
