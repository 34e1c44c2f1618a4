//! Property-based fuzzing of everything that reads bytes from a peer: the
//! handshake messages at each step and the frame decoder. Nothing panics,
//! and nothing but the genuine bytes is accepted.

use bfly_net::frame::{sealed_len, Opener};
use bfly_net::handshake::{client_on_m1, server_start, Randomness};
use bfly_net::keys::{Cookie, Secret};
use proptest::prelude::*;
use std::time::Instant;

fn rand(b: u8) -> Randomness {
    Randomness {
        ephemeral: [b; 32],
        challenge: [b ^ 0x5a; 32],
        instance: [b ^ 0xa5; 16],
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn handshake_steps_refuse_arbitrary_bytes(m in proptest::collection::vec(any::<u8>(), 0..300)) {
        let c = Cookie::new(&[7; 32]).unwrap();
        prop_assert!(client_on_m1(&c, rand(1), &m).is_err() || m.len() == 75);
        let (s, _) = server_start(&c, rand(2));
        prop_assert!(s.on_m2(&m).is_err());
    }

    #[test]
    fn frame_decoder_refuses_arbitrary_bytes(header in any::<[u8; 4]>(), body in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut o = Opener::new(Secret::from_bytes([3; 32]), Instant::now());
        if let Ok(n) = sealed_len(header) {
            let mut b = body.clone();
            b.resize(n, 0);
            prop_assert!(o.open(header, &mut b, Instant::now()).is_err());
        }
    }
}
