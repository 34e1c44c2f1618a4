//! Mutation fuzzing (tools/fuzz/mutate.rs; `npm run fuzz` for the long run) of
//! the distribution envelope: `Frame::decode` never panics, and whatever
//! it accepts encodes back to a frame that decodes the same.

#[path = "../../../tools/fuzz/mutate.rs"]
mod mutate;

use bfly_cluster::envelope::{Frame, Request};

fn seeds() -> Vec<Vec<u8>> {
    let msg: &[u8] = &[0x92, 0xa4, b'p', b'i', b'n', b'g', 0x01];
    // [ref, 'pong'] and [true, pid]: the shapes of Reply and Answer.
    let reply: &[u8] = &[
        0x92, 0xc7, 0x03, 0x02, 0x92, 0xa0, 0x05, 0xa4, b'p', b'o', b'n', b'g',
    ];
    let answer: &[u8] = &[0x92, 0xc3, 0xc7, 0x03, 0x01, 0x92, 0xa0, 0x09];
    vec![
        Frame::Send { to: 7, msg }.encode(),
        Frame::SendName { name: "ECHO", msg }.encode(),
        Frame::Exit {
            from: 1,
            to: 2,
            via_exit: true,
            reason: msg,
        }
        .encode(),
        Frame::Link { from: 1, to: 2 }.encode(),
        Frame::Unlink { from: 1, to: 2 }.encode(),
        Frame::Monitor {
            origin: "a@h",
            watcher: 3,
            r: 9,
            target: 0,
            name: "SVC",
        }
        .encode(),
        Frame::Demonitor {
            origin: "",
            r: 9,
            target: 4,
            name: "",
        }
        .encode(),
        Frame::Down {
            watcher: 3,
            r: 9,
            target: 4,
            reason: msg,
        }
        .encode(),
        Frame::Reply { to: 3, msg: reply }.encode(),
        Frame::Ask {
            what: Request::Spawn,
            from: 3,
            r: 10,
            flags: 1,
            body: msg,
        }
        .encode(),
        Frame::Answer {
            to: 3,
            r: 10,
            link: 0,
            body: answer,
        }
        .encode(),
        Frame::Hello {
            name: "a@127.0.0.1",
            addr: "127.0.0.1:4000",
            features: Some(1),
            identity: None,
        }
        .encode(),
        Frame::Hello {
            name: "a@127.0.0.1",
            addr: "127.0.0.1:4000",
            features: Some(1),
            identity: Some((&[5; 32], &[6; 32])),
        }
        .encode(),
        Frame::HelloAck {
            ok: true,
            name: "b@127.0.0.1",
            addr: "127.0.0.1:4001",
            features: Some(1),
            identity: None,
        }
        .encode(),
        Frame::Grant {
            list: vec![(7, 3), (8, 0)],
        }
        .encode(),
        Frame::Nodes {
            list: vec![("c@h", "h:1"), ("d@h", "h:2")],
        }
        .encode(),
        Frame::Refused {
            what: "spawn",
            detail: "not allowed",
        }
        .encode(),
    ]
}

#[test]
fn fuzz_envelope_decode() {
    mutate::run("envelope", seeds(), 2048, |input| {
        match Frame::decode(input) {
            Ok(f) => {
                let again = f.encode();
                assert_eq!(
                    Frame::decode(&again).as_ref(),
                    Ok(&f),
                    "decode(encode(f)) != f"
                );
                true
            }
            Err(_) => false,
        }
    });
}
