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
//!
//! Large buffers (up to `LARGE_MAX_CAP`) have a stack of their own, of at
//! most `LARGE_KEEP` bytes: a 64 KiB message allocated fresh and freed a
//! drain later made glibc return the pages to the kernel and fault them in
//! again for the next one, which cost the receiving node about as much as
//! decrypting the message. A read's worth of them (a pump reads 256 KiB)
//! is what a thread holds between a read and its drain. Anything larger
//! (a node that once received a 64 MiB message) goes back to the allocator.

use std::cell::RefCell;

/// The most capacity, in bytes, the buffers a thread keeps may have.
const KEEP: usize = 1 << 20;
/// The largest buffer (capacity, bytes) kept: larger ones are rare and
/// would hold memory for nothing.
const MAX_CAP: usize = 512;
/// The most capacity, in bytes, the large buffers a thread keeps may have.
const LARGE_KEEP: usize = 2 << 20;
/// The largest buffer (capacity, bytes) kept among the large ones.
const LARGE_MAX_CAP: usize = 1 << 20;

/// A thread's kept buffers, and the sum of their capacities, small ones
/// and large ones apart (a small message never takes a large buffer); `fills`:
/// the thread copies into buffers here (only such a thread keeps any: one
/// that only drains, a worker fed by another thread's posts, would hold
/// buffers nobody takes and pay for the stack on every message).
struct Spare {
    bufs: Vec<Vec<u8>>,
    bytes: usize,
    large: Vec<Vec<u8>>,
    large_bytes: usize,
    fills: bool,
}

thread_local! {
    static SPARE: RefCell<Spare> = const {
        RefCell::new(Spare {
            bufs: Vec::new(),
            bytes: 0,
            large: Vec::new(),
            large_bytes: 0,
            fills: false,
        })
    };
}

/// A buffer holding `parts` back to back: a kept one of this thread when
/// one is there and the result is not over `LARGE_MAX_CAP`, else a new one.
pub fn filled(parts: &[&[u8]]) -> Vec<u8> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut v = if len <= LARGE_MAX_CAP {
        SPARE
            .try_with(|s| {
                let mut s = s.borrow_mut();
                s.fills = true;
                if len <= MAX_CAP {
                    let v = s.bufs.pop()?;
                    s.bytes -= v.capacity();
                    Some(v)
                } else {
                    let v = s.large.pop()?;
                    s.large_bytes -= v.capacity();
                    Some(v)
                }
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
/// over `LARGE_MAX_CAP` or enough are kept already; frees it then.
pub fn give_back(mut v: Vec<u8>) {
    let cap = v.capacity();
    if cap == 0 || cap > LARGE_MAX_CAP {
        return;
    }
    v.clear();
    // During thread exit the stack may be gone: the buffer is freed.
    let _ = SPARE.try_with(|s| {
        let s = &mut *s.borrow_mut();
        if !s.fills {
            return;
        }
        let (bufs, bytes, keep) = if cap <= MAX_CAP {
            (&mut s.bufs, &mut s.bytes, KEEP)
        } else {
            (&mut s.large, &mut s.large_bytes, LARGE_KEEP)
        };
        if *bytes + cap <= keep {
            *bytes += cap;
            bufs.push(v);
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
    fn small_buffers_are_bounded_and_never_taken_by_large_copies() {
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
    fn a_large_buffer_given_back_is_reused_and_a_small_copy_never_takes_it() {
        let msg = vec![3u8; 64 << 10];
        let v = filled(&[&[1, 2, 3, 4], &msg]);
        assert_eq!(v.len(), 4 + msg.len());
        let ptr = v.as_ptr();
        give_back(v);
        assert_eq!(filled(&[b"tiny"]), b"tiny");
        let w = filled(&[&msg]);
        assert_eq!(w, msg);
        assert_eq!(w.as_ptr(), ptr, "the kept large buffer was not reused");
    }

    #[test]
    fn large_buffers_are_bounded_in_size_and_in_total() {
        drop(filled(&[b"this thread fills"]));
        let kept = || SPARE.with_borrow(|s| (s.large.len(), s.large_bytes));
        // One message over the bound, however large, is never kept.
        give_back(vec![0; LARGE_MAX_CAP + 1]);
        give_back(vec![0; 64 << 20]);
        assert_eq!(kept(), (0, 0));
        let n = LARGE_KEEP / (64 << 10);
        for _ in 0..n + 5 {
            give_back(Vec::with_capacity(64 << 10));
        }
        assert_eq!(kept(), (n, LARGE_KEEP));
        // A copy over the bound does not take a kept buffer.
        let huge = filled(&[&vec![9; LARGE_MAX_CAP + 1]]);
        assert_eq!(huge.len(), LARGE_MAX_CAP + 1);
        assert_eq!(kept(), (n, LARGE_KEEP));
        drop(filled(&[&[5; MAX_CAP + 1]]));
        assert_eq!(kept(), (n - 1, LARGE_KEEP - (64 << 10)));
    }

    #[test]
    fn a_thread_that_never_fills_keeps_nothing() {
        give_back(Vec::with_capacity(8));
        give_back(Vec::with_capacity(64 << 10));
        assert_eq!(SPARE.with_borrow(|s| (s.bufs.len(), s.large.len())), (0, 0));
    }
}
