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
            msg: b"\x92\xc7\x03\x02\x92\xa0\x01\xc0",
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
            identity: None,
        },
        Frame::Hello {
            name: "b@h",
            addr: "127.0.0.1:1",
            features: None,
            identity: None,
        },
        Frame::Hello {
            name: "b@h",
            addr: "127.0.0.1:1",
            features: Some(FEAT_CREDIT),
            identity: Some((&[1; 32], &[2; 32])),
        },
        Frame::HelloAck {
            ok: false,
            name: "a@h",
            addr: "127.0.0.1:2",
            features: Some(0),
            identity: Some((&[3; 32], &[4; 32])),
        },
        Frame::HelloAck {
            ok: true,
            name: "a@h",
            addr: "127.0.0.1:2",
            features: None,
            identity: None,
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
fn encoding_into_a_used_buffer_gives_the_same_bytes() {
    let mut buf = vec![0xa5; 4096];
    for f in samples() {
        buf = f.encode_into(buf);
        assert_eq!(buf, f.encode());
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
    // After the features, an identity is 64 bytes: one byte is too few,
    // and one after it too many.
    let mut b = Frame::Hello {
        name: "a",
        addr: "",
        features: Some(1),
        identity: None,
    }
    .encode();
    b.push(0);
    assert_eq!(Frame::decode(&b), Err(BadFrame("frame cut short")));
    let mut b = Frame::Hello {
        name: "a",
        addr: "",
        features: Some(1),
        identity: Some((&[1; 32], &[2; 32])),
    }
    .encode();
    b.push(0);
    assert_eq!(Frame::decode(&b), Err(BadFrame("trailing bytes")));
}

/// Every frame that carries a value refuses one that is not exactly one
/// well-formed value (issue 14, findings 2 and 4), and Reply and Answer
/// refuse values of the wrong outer shape.
#[test]
fn malformed_tails_are_refused() {
    let bad: &[&[u8]] = &[
        b"\xc1",
        b"\xc0\xc0",
        b"\x93\x01\x02",
        b"\xd6\x07\xa3\x31\x32\x78",
        b"\xd6\x01\xa3abc",
    ];
    let deep = [vec![0x91; 100_000], vec![0xc0]].concat();
    for t in bad.iter().copied().chain([deep.as_slice()]) {
        for f in [
            Frame::Send { to: 1, msg: t },
            Frame::SendName {
                name: "ECHO",
                msg: t,
            },
            Frame::Exit {
                from: 1,
                to: 2,
                via_exit: true,
                reason: t,
            },
            Frame::Down {
                watcher: 1,
                r: 2,
                target: 3,
                reason: t,
            },
            Frame::Reply { to: 1, msg: t },
            Frame::Ask {
                what: Request::Spawn,
                from: 1,
                r: 2,
                flags: 0,
                body: t,
            },
            Frame::Answer {
                to: 1,
                r: 2,
                link: 0,
                body: t,
            },
        ] {
            assert!(Frame::decode(&f.encode()).is_err(), "{f:?}");
        }
    }
    let reply = |msg: &'static [u8]| Frame::decode(&Frame::Reply { to: 1, msg }.encode()).err();
    let not_reply = Some(BadFrame("a reply that is not [ref, value]"));
    assert_eq!(reply(b"\xc0"), not_reply);
    assert_eq!(reply(b"\x92\xc0\xc0"), not_reply);
    let answer = |body: &'static [u8]| {
        Frame::decode(
            &Frame::Answer {
                to: 1,
                r: 2,
                link: 0,
                body,
            }
            .encode(),
        )
        .err()
    };
    assert_eq!(
        answer(b"\xc0"),
        Some(BadFrame("an answer that is not [ok, value]"))
    );
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
            features: None,
            identity: None,
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
        // Tails are terms: `t` as a MessagePack binary, and an answer holding it.
        let v = [&[0xc4, t.len() as u8][..], &t].concat();
        let answer = [&[0x92, 0xc2 | ok as u8][..], &v].concat();
        for f in [
            Frame::Exit { from: a, to: c, via_exit: ok, reason: &v },
            Frame::Monitor { origin: &s, watcher: a, r: c, target: d, name: &s },
            Frame::Answer { to: a, r: c, link: d, body: &answer },
            Frame::HelloAck { ok, name: &s, addr: &s, features: t.first().copied(), identity: None },
            Frame::SendName { name: &s, msg: &v },
            Frame::Grant { list: t.iter().map(|&x| (a ^ x as u64, c as u32 ^ x as u32)).collect() },
        ] {
            let b = f.encode();
            prop_assert_eq!(Frame::decode(&b), Ok(f.clone()));
        }
    }
}

#[test]
fn a_split_frame_joins_to_the_encoded_bytes() {
    for f in samples() {
        let (head, tail) = f.encode_split(vec![9; 100]);
        assert_eq!([&head[..], tail].concat(), f.encode(), "{f:?}");
        let message = matches!(
            f,
            Frame::Send { .. } | Frame::SendName { .. } | Frame::Reply { .. }
        );
        assert_eq!(message, !tail.is_empty(), "{f:?}");
    }
}

proptest! {
    /// After the head of an accepted `Send` or `SendName`, any bytes get
    /// `decode`'s answer: the same message, or a refusal.
    #[test]
    fn a_message_after_a_known_head_is_decoded_as_a_whole_frame(
        name in "[A-Z]{0,6}", to in any::<u64>(), by_name in any::<bool>(),
        other in "[A-Z]{0,6}", rest in proptest::collection::vec(any::<u8>(), 0..24),
    ) {
        let frame = |name, to, msg| if by_name {
            Frame::SendName { name, msg }
        } else {
            Frame::Send { to, msg }
        };
        let (head, _) = frame(&name, to, b"\xc0").encode_split(Vec::new());
        // A message of the same head (valid or not), and a frame of another.
        let (other_head, _) = frame(&other, to ^ 1, b"\xc0").encode_split(Vec::new());
        for b in [[&head[..], &rest].concat(), [&other_head[..], &rest].concat()] {
            let whole = Frame::decode(&b).map(|f| match f {
                Frame::Send { msg, .. } | Frame::SendName { msg, .. } => msg.to_vec(),
                _ => unreachable!("a message frame's head gave {f:?}"),
            });
            match Frame::message_after(&b, &head) {
                Some(after) => prop_assert_eq!(after.map(<[u8]>::to_vec), whole),
                None => prop_assert!(!b.starts_with(&head)),
            }
        }
    }
}
