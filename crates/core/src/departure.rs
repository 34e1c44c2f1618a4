//! When a JS thread goes away (a worker ends), its processes die with it:
//! each is removed from the table, and its links and monitors on other
//! threads are told, as an exit signal or a DOWN, through their inboxes.
//! The signals are encoded as the JS codec writes them (docs/PROTOCOL.md):
//! `['EXIT', pid, reason, false]` and `['DOWN', ref, pid, reason]`.

use crate::inbox::{Lane, Threads};
use crate::remote::RemoteRel;
use crate::table::{Id, ProcessTable, RefId, ThreadId};
use rmp::encode as e;

const EXT_PID: i8 = 1;
const EXT_REF: i8 = 2;

fn ext_pair(out: &mut Vec<u8>, ty: i8, node: &str, id: u64) {
    let mut data = Vec::with_capacity(node.len() + 12);
    // Writing into a Vec cannot fail.
    let _ = e::write_array_len(&mut data, 2);
    let _ = e::write_str(&mut data, node);
    let _ = e::write_uint(&mut data, id);
    let _ = e::write_ext_meta(out, data.len() as u32, ty);
    out.extend(data);
}

/// A string as a MessagePack term (a reason such as 'noconnection').
pub fn str_term(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 5);
    let _ = e::write_str(&mut out, s);
    out
}

/// `['EXIT', pid, reason, via_exit]` with `reason` already encoded;
/// `via_exit` when it comes from `exit()`, not from a link.
pub fn exit_signal_term(node: &str, from: Id, reason: &[u8], via_exit: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + node.len() + reason.len());
    let _ = e::write_array_len(&mut out, 4);
    let _ = e::write_str(&mut out, "EXIT");
    ext_pair(&mut out, EXT_PID, node, from);
    out.extend_from_slice(reason);
    let _ = e::write_bool(&mut out, via_exit);
    out
}

/// `['DOWN', ref, pid, reason]` with `reason` already encoded; the ref is
/// the watcher's (`ref_node`), the pid the target's (`pid_node`).
pub fn down_signal_term(
    ref_node: &str,
    r: RefId,
    pid_node: &str,
    from: Id,
    reason: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(48 + ref_node.len() + pid_node.len() + reason.len());
    let _ = e::write_array_len(&mut out, 4);
    let _ = e::write_str(&mut out, "DOWN");
    ext_pair(&mut out, EXT_REF, ref_node, r);
    ext_pair(&mut out, EXT_PID, pid_node, from);
    out.extend_from_slice(reason);
    out
}

/// `[ref, value]`, the payload of the reply lane, with `value` encoded.
pub fn reply_term(node: &str, r: RefId, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + node.len() + value.len());
    let _ = e::write_array_len(&mut out, 2);
    ext_pair(&mut out, EXT_REF, node, r);
    out.extend_from_slice(value);
    out
}

/// A pid as a MessagePack term.
pub fn pid_term(node: &str, id: Id) -> Vec<u8> {
    let mut out = Vec::with_capacity(12 + node.len());
    ext_pair(&mut out, EXT_PID, node, id);
    out
}

/// `['EXIT', pid, reason, false]` (a link signal, not an `exit()` call).
pub fn exit_signal(node: &str, from: Id, reason: &str) -> Vec<u8> {
    exit_signal_term(node, from, &str_term(reason), false)
}

/// `['DOWN', ref, pid, reason]`.
pub fn down_signal(node: &str, r: RefId, from: Id, reason: &str) -> Vec<u8> {
    down_signal_term(node, r, node, from, &str_term(reason))
}

/// Removes thread `owner` and all its processes; signals their links and
/// monitors on other threads with `reason`, and hands each one's remote
/// relations to `remote`. Returns how many processes died.
pub fn thread_gone(
    table: &ProcessTable,
    threads: &Threads,
    owner: ThreadId,
    node: &str,
    reason: &str,
    remote: &dyn Fn(Id, &RemoteRel),
) -> usize {
    threads.remove(owner);
    let gone = table.exit_thread(owner);
    for (id, x) in &gone {
        if let Some(r) = &x.remote {
            remote(*id, r);
        }
        for &l in &x.links {
            threads.post(table, l, Lane::Signal, exit_signal(node, *id, reason));
        }
        for &(r, w) in &x.monitors {
            threads.post(table, w, Lane::Signal, down_signal(node, r, *id, reason));
        }
    }
    gone.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn a_departed_thread_signals_links_and_monitors_elsewhere() {
        let table = ProcessTable::new();
        let threads = Threads::new();
        let wakes = Arc::new(AtomicUsize::new(0));
        let w = wakes.clone();
        let main = threads.add(Box::new(move || {
            w.fetch_add(1, Ordering::SeqCst);
        }));
        let worker = threads.add(Box::new(|| {}));
        let a = table.spawn(main);
        let b = table.spawn(worker);
        let c = table.spawn(worker);
        table.link(a, b).unwrap();
        table.link(b, c).unwrap();
        let r = table.monitor(a, c).unwrap();
        assert_eq!(
            thread_gone(&table, &threads, worker, "n", "thread_exit", &|_, _| {}),
            2
        );
        assert!(table.alive(a) && !table.alive(b) && !table.alive(c));
        let got = threads.inbox(main).unwrap().drain();
        let payloads: Vec<Vec<u8>> = got.iter().map(|d| d.payload.clone()).collect();
        assert!(got.iter().all(|d| d.to == a && d.lane == Lane::Signal));
        assert_eq!(got.len(), 2);
        assert!(payloads.contains(&exit_signal("n", b, "thread_exit")));
        assert!(payloads.contains(&down_signal("n", r, c, "thread_exit")));
        assert!(threads.inbox(worker).is_none());
    }

    #[test]
    fn signals_are_the_codec_bytes() {
        // ['EXIT', Pid('n', 5), 'x', false] exactly as the JS codec writes it.
        assert_eq!(
            exit_signal("n", 5, "x"),
            vec![
                0x94, 0xa4, b'E', b'X', b'I', b'T', 0xd6, 1, 0x92, 0xa1, b'n', 5, 0xa1, b'x', 0xc2
            ]
        );
    }
}
