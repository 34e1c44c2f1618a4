use super::*;

fn pair() -> (Sealer, Opener, Instant) {
    let now = Instant::now();
    (
        Sealer::new(Secret([3; 32]), now),
        Opener::new(Secret([3; 32]), now),
        now,
    )
}

fn open_all(o: &mut Opener, mut wire: &[u8], now: Instant) -> Result<Vec<(Kind, Vec<u8>)>, Fail> {
    let mut out = vec![];
    while !wire.is_empty() {
        let header: [u8; 4] = wire[..4].try_into().unwrap();
        let n = sealed_len(header)?;
        let mut body = wire.get(4..4 + n).ok_or(Fail("truncated"))?.to_vec();
        let (k, len) = o.open(header, &mut body, now)?;
        out.push((k, body[1..1 + len].to_vec()));
        wire = &wire[4 + n..];
    }
    Ok(out)
}

#[test]
fn round_trip_across_rotations() {
    let (mut s, mut o, now) = pair();
    let mut wire = vec![];
    s.seal(Kind::Last, b"one", &mut wire).unwrap();
    s.rotate(&mut wire, now).unwrap();
    s.seal(Kind::Last, b"two", &mut wire).unwrap();
    let got = open_all(&mut o, &wire, now).unwrap();
    assert_eq!(got[0], (Kind::Last, b"one".to_vec()));
    assert_eq!(got[1].0, Kind::KeyUpdate);
    assert_eq!(got[2], (Kind::Last, b"two".to_vec()));
    assert_eq!((s.epoch(), o.epoch()), (1, 1));
}

#[test]
fn replayed_reordered_dropped_and_flipped_frames_fail() {
    let (mut s, _, now) = pair();
    let mut frames = vec![];
    for i in 0..3u8 {
        let mut f = vec![];
        s.seal(Kind::Last, &[i], &mut f).unwrap();
        frames.push(f);
    }
    let cases: Vec<Vec<u8>> = vec![
        [frames[0].clone(), frames[0].clone()].concat(), // duplicated
        [frames[1].clone(), frames[0].clone()].concat(), // reordered
        [frames[0].clone(), frames[2].clone()].concat(), // dropped
        {
            let mut f = frames[0].clone();
            f[6] ^= 1;
            f
        }, // flipped bit
        {
            let mut f = frames[0].clone();
            f[3] ^= 1;
            f
        }, // length changed
    ];
    for (i, wire) in cases.iter().enumerate() {
        let mut o = Opener::new(Secret([3; 32]), now);
        assert!(open_all(&mut o, wire, now).is_err(), "case {i} accepted");
    }
}

#[test]
fn lengths_outside_bounds_are_refused_before_allocation() {
    for n in [
        0u32,
        1,
        MIN_SEALED as u32 - 1,
        MAX_SEALED as u32 + 1,
        u32::MAX,
    ] {
        assert!(sealed_len(n.to_be_bytes()).is_err(), "{n}");
    }
    assert!(sealed_len((MIN_SEALED as u32).to_be_bytes()).is_ok());
}

#[test]
fn a_key_kept_past_its_age_is_refused() {
    let (mut s, mut o, now) = pair();
    let mut wire = vec![];
    s.seal(Kind::Heartbeat, &[], &mut wire).unwrap();
    let late = now + ROTATE_AFTER + KEY_GRACE + Duration::from_secs(1);
    assert!(open_all(&mut o, &wire, late).is_err());
    assert!(s.due(now + ROTATE_AFTER));
}

#[test]
fn a_frame_from_another_session_fails() {
    let now = Instant::now();
    let mut other = Sealer::new(Secret([9; 32]), now);
    let mut wire = vec![];
    other.seal(Kind::Last, b"x", &mut wire).unwrap();
    let mut o = Opener::new(Secret([3; 32]), now);
    assert!(open_all(&mut o, &wire, now).is_err());
}

#[test]
fn a_key_update_under_a_wrong_epoch_fails() {
    let (mut s, mut o, now) = pair();
    let mut wire = vec![];
    s.rotate(&mut wire, now).unwrap();
    // The receiver skips the update: the next frame is under epoch 1.
    let mut next = vec![];
    s.seal(Kind::Last, b"x", &mut next).unwrap();
    assert!(open_all(&mut o, &next, now).is_err());
}

#[test]
fn sealing_from_parts_equals_sealing_the_joined_bytes() {
    let now = Instant::now();
    let limits = KeyLimits {
        frames: 3,
        ..KeyLimits::default()
    };
    let body: Vec<u8> = (0..3 * MAX_PAYLOAD + 100).map(|i| (i * 7) as u8).collect();
    // Splits before, at and across fragment boundaries, and empty parts.
    let cuts = [
        0,
        1,
        9,
        MAX_PAYLOAD - 1,
        MAX_PAYLOAD,
        MAX_PAYLOAD + 1,
        body.len(),
    ];
    for &cut in &cuts {
        let (head, tail) = body.split_at(cut);
        for parts in [
            vec![head, tail],
            vec![head, &[][..], tail],
            vec![&[][..], head, tail],
        ] {
            let mut a = Sealer::new(Secret([5; 32]), now).with_limits(limits);
            let mut b = Sealer::new(Secret([5; 32]), now).with_limits(limits);
            let (mut wa, mut wb) = (vec![], vec![]);
            a.seal_message(&body, &mut wa, now).unwrap();
            b.seal_message_parts(&parts, &mut wb, now).unwrap();
            assert_eq!(wa, wb, "cut at {cut}");
            // And it opens to the message, in order, across key updates.
            let mut o = Opener::new(Secret([5; 32]), now).with_limits(limits);
            let got: Vec<u8> = open_all(&mut o, &wb, now)
                .unwrap()
                .into_iter()
                .filter(|(k, _)| matches!(k, Kind::More | Kind::Last))
                .flat_map(|(_, p)| p)
                .collect();
            assert_eq!(got, body);
        }
    }
    // Nothing at all is one empty final fragment, as `seal_message(&[])`.
    let (mut s, mut o, now) = pair();
    let mut w = vec![];
    s.seal_message_parts(&[&[], &[]], &mut w, now).unwrap();
    assert_eq!(
        open_all(&mut o, &w, now).unwrap(),
        vec![(Kind::Last, vec![])]
    );
}
