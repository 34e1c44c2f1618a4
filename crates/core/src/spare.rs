//! Payload buffers kept for reuse by the thread that drained them.
//!
//! A message from a link is copied into its own `Vec` when it is routed
//! (`Delivery::payload`) and freed when its thread drains it. On a node
//! that reads its links on the JS thread both happen there, a read's worth
//! at a time: hundreds of allocations, then hundreds of frees, more than
//! malloc's per-thread cache holds, so most went through its slower bins
//! (malloc, free and their helpers were ~10% of a 100 B stream's receiving
//! thread). A drain hands small buffers back here instead, and the next
//! read copies into them: a push and a pop on a thread-local stack. The
//! stack is bounded (`KEEP` bytes of capacity a thread, buffers of at most
//! `MAX_CAP` bytes): a node reads several times before its JS thread
//! drains, so it must hold a backlog's worth (1024 buffers still missed
//! half the time in a 100 B stream). Beyond that, and on threads that
//! never drain, buffers come from and go to the allocator as before.

use std::cell::RefCell;

/// The most capacity, in bytes, the buffers a thread keeps may have.
const KEEP: usize = 1 << 20;
/// The largest buffer (capacity, bytes) kept: larger ones are rare and
/// would hold memory for nothing.
const MAX_CAP: usize = 512;

/// A thread's kept buffers, and the sum of their capacities; `fills`:
/// the thread copies into buffers here (only such a thread keeps any: one
/// that only drains, a worker fed by another thread's posts, would hold
/// buffers nobody takes and pay for the stack on every message).
struct Spare {
    bufs: Vec<Vec<u8>>,
    bytes: usize,
    fills: bool,
}

thread_local! {
    static SPARE: RefCell<Spare> = const {
        RefCell::new(Spare {
            bufs: Vec::new(),
            bytes: 0,
            fills: false,
        })
    };
}

/// A buffer holding `parts` back to back: a kept one of this thread when
/// one is there and the result is small, else a new one.
pub fn filled(parts: &[&[u8]]) -> Vec<u8> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut v = if len <= MAX_CAP {
        SPARE
            .try_with(|s| {
                let mut s = s.borrow_mut();
                s.fills = true;
                let v = s.bufs.pop()?;
                s.bytes -= v.capacity();
                Some(v)
            })
            .ok()
            .flatten()
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    v.reserve_exact(len);
    for p in parts {
        v.extend_from_slice(p);
    }
    v
}

/// Keeps `v` (emptied) for a later `filled` on this thread, unless it is
/// large or enough are kept already; frees it then.
pub fn give_back(mut v: Vec<u8>) {
    if v.capacity() == 0 || v.capacity() > MAX_CAP {
        return;
    }
    v.clear();
    // During thread exit the stack may be gone: the buffer is freed.
    let _ = SPARE.try_with(|s| {
        let mut s = s.borrow_mut();
        if s.fills && s.bytes + v.capacity() <= KEEP {
            s.bytes += v.capacity();
            s.bufs.push(v);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_given_back_is_reused_with_the_new_bytes() {
        let v = filled(&[b"ab", b"cd"]);
        assert_eq!(v, b"abcd");
        let ptr = v.as_ptr();
        give_back(v);
        let w = filled(&[b"xyz"]);
        assert_eq!(w, b"xyz");
        assert_eq!(w.as_ptr(), ptr, "the kept buffer was not reused");
    }

    #[test]
    fn large_buffers_are_not_kept_and_the_kept_bytes_are_bounded() {
        drop(filled(&[b"this thread fills"]));
        give_back(vec![0; MAX_CAP + 1]);
        assert!(SPARE.with_borrow(|s| s.bufs.iter().all(|b| b.capacity() <= MAX_CAP)));
        for _ in 0..KEEP / 8 + 10 {
            give_back(Vec::with_capacity(8));
        }
        let kept = || SPARE.with_borrow(|s| (s.bufs.len(), s.bytes));
        assert_eq!(kept(), (KEEP / 8, KEEP));
        let big = filled(&[&[7; MAX_CAP + 1]]);
        assert_eq!(big, vec![7; MAX_CAP + 1]);
        assert_eq!(kept(), (KEEP / 8, KEEP), "a large copy took a kept buffer");
        drop(filled(&[b"small"]));
        assert_eq!(kept(), (KEEP / 8 - 1, KEEP - 8));
    }

    #[test]
    fn a_thread_that_never_fills_keeps_nothing() {
        give_back(Vec::with_capacity(8));
        assert_eq!(SPARE.with_borrow(|s| s.bufs.len()), 0);
    }
}
