use super::*;
use proptest::prelude::*;

fn samples() -> Vec<Frame<'static>> {
    vec![
        Frame::Send {
            to: 7,
            msg: b"\x91\x01",
        },
        Frame::SendName {
            name: "ECHO",
            msg: b"\xa2hi",
        },
        Frame::Exit {
            from: 1,
            to: u64::MAX,
            via_exit: true,
            reason: b"\xa4kill",
        },
        Frame::Link { from: 3, to: 4 },
        Frame::Unlink { from: 4, to: 3 },
        Frame::Monitor {
            origin: "",
            watcher: 9,
            r: 10,
            target: 11,
            name: "",
        },
        Frame::Monitor {
            origin: "a@h",
            watcher: 9,
            r: 10,
            target: 0,
            name: "S",
        },
        Frame::Demonitor {
            origin: "",
            r: 10,
            target: 0,
            name: "S",
        },
        Frame::Down {
            watcher: 9,
            r: 10,
            target: 11,
            reason: b"\xa6noproc",
        },
        Frame::Reply {
            to: 2,
            msg: b"\x92\xc0\xc0",
        },
        Frame::Ask {
            what: Request::Spawn,
            from: 5,
            r: 6,
            flags: 1,
            body: b"\x93\xa1m\xa1f\x90",
        },
        Frame::Answer {
            to: 5,
            r: 6,
            link: 12,
            body: b"\x92\xc3\xc0",
        },
        Frame::Hello {
            name: "b@h",
            addr: "127.0.0.1:1",
            features: Some(FEAT_CREDIT),
        },
        Frame::Hello {
            name: "b@h",
            addr: "127.0.0.1:1",
            features: None,
        },
        Frame::HelloAck {
            ok: false,
            name: "a@h",
            addr: "127.0.0.1:2",
            features: Some(0),
        },
        Frame::HelloAck {
            ok: true,
            name: "a@h",
            addr: "127.0.0.1:2",
            features: None,
        },
        Frame::Grant {
            list: vec![(7, 1), (u64::MAX, 0), (9, u32::MAX)],
        },
        Frame::Grant { list: vec![] },
        Frame::Nodes {
            list: vec![("c@h", "127.0.0.1:3"), ("d@h", "")],
        },
        Frame::Nodes { list: vec![] },
        Frame::Refused {
            what: "spawn",
            detail: "not allowed",
        },
    ]
}

#[test]
fn every_frame_round_trips() {
    for f in samples() {
        let b = f.encode();
        assert_eq!(Frame::decode(&b), Ok(f));
    }
}

#[test]
fn every_truncation_is_refused() {
    for f in samples() {
        let b = f.encode();
        for n in 0..b.len() {
            // A frame whose tail is its last field may lose tail bytes and
            // still parse (the tail is opaque); it must never parse as a
            // different op or with other fixed fields.
            if let Ok(g) = Frame::decode(&b[..n]) {
                assert_eq!(std::mem::discriminant(&g), std::mem::discriminant(&f));
            }
        }
    }
}

#[test]
fn bad_fields_are_refused() {
    assert_eq!(Frame::decode(&[]), Err(BadFrame("empty frame")));
    assert_eq!(Frame::decode(&[200]), Err(BadFrame("unknown op")));
    let mut b = Frame::Link { from: 1, to: 2 }.encode();
    b.push(0);
    assert_eq!(Frame::decode(&b), Err(BadFrame("trailing bytes")));
    let mut b = Frame::Exit {
        from: 1,
        to: 2,
        via_exit: false,
        reason: b"\xc0",
    }
    .encode();
    b[17] = 2;
    assert_eq!(Frame::decode(&b), Err(BadFrame("flag not 0 or 1")));
    assert_eq!(
        Frame::decode(&[SEND_NAME, 2, 0, 0xff, 0xfe, 0xc0]),
        Err(BadFrame("string not UTF-8"))
    );
    assert_eq!(
        Frame::decode(&[SEND_NAME, 0xff, 0xff]),
        Err(BadFrame("string too long"))
    );
    assert_eq!(
        Frame::decode(&[SEND, 1, 0, 0, 0, 0, 0, 0, 0]),
        Err(BadFrame("missing term"))
    );
    assert_eq!(Frame::decode(&[ASK, 9]), Err(BadFrame("unknown request")));
    // A Grant whose count promises more pairs than it carries, or more
    // than a frame may hold.
    assert_eq!(
        Frame::decode(&[GRANT, 1, 0, 7, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]),
        Err(BadFrame("frame cut short"))
    );
    let n = (MAX_GRANTS + 1) as u16;
    let mut b = vec![GRANT];
    b.extend_from_slice(&n.to_le_bytes());
    assert_eq!(Frame::decode(&b), Err(BadFrame("too many grants")));
    // One byte after the features is one too many.
    let mut b = Frame::Hello {
        name: "a",
        addr: "",
        features: Some(1),
    }
    .encode();
    b.push(0);
    assert_eq!(Frame::decode(&b), Err(BadFrame("trailing bytes")));
}

/// A Hello or HelloAck from a node that predates features (no byte after
/// its strings) still parses, as speaking none.
#[test]
fn hello_without_features_is_a_peer_without_credit() {
    let old = [HELLO, 1, 0, b'a', 0, 0];
    assert_eq!(
        Frame::decode(&old),
        Ok(Frame::Hello {
            name: "a",
            addr: "",
            features: None
        })
    );
}

#[test]
fn long_strings_are_cut_at_a_char_boundary() {
    let s = "é".repeat(MAX_STR);
    let b = Frame::Refused {
        what: "x",
        detail: &s,
    }
    .encode();
    let Ok(Frame::Refused { detail, .. }) = Frame::decode(&b) else {
        panic!("did not parse")
    };
    assert!(detail.len() <= MAX_STR && s.starts_with(detail));
}

proptest! {
    /// The decoder never panics and never reads past its input.
    #[test]
    fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = Frame::decode(&b);
    }

    /// Any frame of arbitrary fields round trips.
    #[test]
    fn arbitrary_frames_round_trip(
        a in any::<u64>(), c in any::<u64>(), d in any::<u64>(), ok in any::<bool>(),
        s in "[a-z@.:0-9]{0,40}", t in proptest::collection::vec(any::<u8>(), 1..64),
    ) {
        for f in [
            Frame::Exit { from: a, to: c, via_exit: ok, reason: &t },
            Frame::Monitor { origin: &s, watcher: a, r: c, target: d, name: &s },
            Frame::Answer { to: a, r: c, link: d, body: &t },
            Frame::HelloAck { ok, name: &s, addr: &s, features: t.first().copied() },
            Frame::SendName { name: &s, msg: &t },
            Frame::Grant { list: t.iter().map(|&x| (a ^ x as u64, c as u32 ^ x as u32)).collect() },
        ] {
            let b = f.encode();
            prop_assert_eq!(Frame::decode(&b), Ok(f.clone()));
        }
    }
}
