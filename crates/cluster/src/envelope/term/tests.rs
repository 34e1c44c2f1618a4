use super::*;
use proptest::prelude::*;

fn nested(levels: usize) -> Vec<u8> {
    let mut v = vec![0x91; levels];
    v.push(0xc0);
    v
}

/// `[Symbol.for('A'), 1]`, a pid, a ref, an Error, a Map, a Set, a BigInt,
/// a TVar and Dates, as the JS codec writes them.
fn portable() -> Vec<Vec<u8>> {
    vec![
        vec![0xc0],
        vec![0x92, 0xd5, 0x03, 0xa1, 0x41, 0x01],
        // Pid ['a@h', 7], Ref ['a@h', 2^40 as a float64]
        vec![0xc7, 0x06, 0x01, 0x92, 0xa3, b'a', b'@', b'h', 0x07],
        vec![
            0xc7, 0x0e, 0x02, 0x92, 0xa3, b'a', b'@', b'h', 0xcb, 0x42, 0x70, 0, 0, 0, 0, 0, 0,
        ],
        // Error ['TypeError', 'boom', nil]
        [
            &[0xc7, 0x11, 0x04, 0x93, 0xa9][..],
            b"TypeError",
            &[0xa4],
            b"boom",
            &[0xc0],
        ]
        .concat(),
        // Map [['k', 1]] and Set [1, 'two']
        vec![0xd6, 0x05, 0x92, 0xa1, b'k', 0x01],
        vec![0xc7, 0x06, 0x06, 0x92, 0x01, 0xa3, b't', b'w', b'o'],
        // BigInt -12, TVar [3, 4]
        vec![0xd6, 0x07, 0xa3, b'-', b'1', b'2'],
        vec![0xc7, 0x03, 0x08, 0x92, 0x03, 0x04],
        // Dates: 32-bit, 64-bit, 96-bit, invalid
        vec![0xd6, 0xff, 0, 0, 0, 1],
        vec![0xd7, 0xff, 0, 0, 0, 4, 0, 0, 0, 1],
        vec![
            0xc7, 12, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0,
        ],
        vec![0xd4, 0xff, 0xff],
        // {a: [1, 2.5, -0], b: bin}
        vec![
            0x82, 0xa1, b'a', 0x93, 0x01, 0xcb, 0x40, 0x04, 0, 0, 0, 0, 0, 0, 0xcb, 0x80, 0, 0, 0,
            0, 0, 0, 0, 0xa1, b'b', 0xc4, 0x02, 0xde, 0xad,
        ],
        // A Set holding a Map holding a pid: extensions inside extensions.
        vec![
            0xc7, 0x0c, 0x06, 0x91, 0xc7, 0x08, 0x05, 0x92, 0x01, 0xc7, 0x03, 0x01, 0x92, 0xa0,
            0x00,
        ],
        nested(MAX_DEPTH),
    ]
}

#[test]
fn what_the_codec_writes_passes() {
    for v in portable() {
        assert_eq!(check(&v), Ok(()), "{v:02x?}");
    }
}

/// The inputs of issue 14 (findings 2 and 4), and their relatives.
#[test]
fn malformed_values_are_refused() {
    let bad: &[(&[u8], &str)] = &[
        (&[], "value cut short"),
        (&[0xc1], "the reserved byte c1"),
        (&[0xc0, 0xc0], "bytes left over after the value"),
        (&[0x93, 0x01, 0x02], "value cut short"),
        (&[0xa3, b'a'], "value cut short"),
        (&[0xdd, 0xff, 0xff, 0xff, 0xff], "value cut short"),
        (&[0x81, 0x01, 0x02], "a map key that is not a string"),
        (&[0x81, 0x90, 0x02], "a map key that is not a string"),
        (&[0xd4, 0x00, 0x00], "an unknown extension type"),
        (&[0xd4, 0x7f, 0x00], "an unknown extension type"),
        (&[0xd4, 0x72, 0x00], "an unknown extension type"),
        (
            &[0xd6, 0x07, 0xa3, b'1', b'2', b'x'],
            "a BigInt that is not decimal digits",
        ),
        (
            &[0xd5, 0x07, 0xa1, b'-'],
            "a BigInt that is not decimal digits",
        ),
        (&[0xd4, 0x07, 0xa0], "a BigInt that is not decimal digits"),
        (
            &[0xd6, 0x01, 0xa3, b'a', b'b', b'c'],
            "a pid or ref whose payload is not [node, id]",
        ),
        (
            &[0xd6, 0x01, 0x92, 0x01, 0x01, 0x00],
            "a pid or ref whose node is not a string",
        ),
        (
            &[0xd6, 0x02, 0x92, 0xa0, 0xff, 0x00],
            "a pid or ref whose id is not an integer from 0 to 2^53-1",
        ),
        (
            &[
                0xc7, 0x0b, 0x01, 0x92, 0xa0, 0xcf, 0, 0x20, 0, 0, 0, 0, 0, 0,
            ],
            "a pid or ref whose id is not an integer from 0 to 2^53-1",
        ),
        (
            &[0xd6, 0x01, 0x92, 0xa0, 0x01, 0xc0],
            "extension data is not exactly its payload",
        ),
        (
            &[0xd5, 0x05, 0x91, 0x01],
            "a Map with an odd number of keys and values",
        ),
        (&[0xd5, 0x06, 0x92, 0x01], "value cut short"),
        (
            &[0xd6, 0x06, 0x91, 0x01, 0xc0, 0xc0],
            "extension data is not exactly its payload",
        ),
        (
            &[0xd5, 0x06, 0x80, 0xc0],
            "a Map or Set whose payload is not an array",
        ),
        (
            &[0xd5, 0x04, 0x92, 0xa0],
            "an Error whose payload is not [name, message, stack]",
        ),
        (
            &[0xd6, 0x04, 0x93, 0xa0, 0xa0, 0x01],
            "an Error whose stack is not a string or nil",
        ),
        (
            &[0xd6, 0x08, 0x92, 0x01, 0xc0, 0x00],
            "a TVar whose id is not an integer from 0 to 2^53-1",
        ),
        (
            &[0xd5, 0xff, 0, 0],
            "a Date that is not a MessagePack timestamp",
        ),
        (
            &[0xd7, 0xff, 0xff, 0xff, 0xff, 0xfc, 0, 0, 0, 0],
            "a Date with nanoseconds over 999,999,999",
        ),
        (
            &[0xd6, 0x03, 0x01, 0x02, 0x03, 0x04],
            "a Symbol whose key is not a string",
        ),
    ];
    for (b, why) in bad {
        assert_eq!(check(b), Err(BadTerm(why)), "{b:02x?}");
    }
}

#[test]
fn depth_is_bounded_without_recursion() {
    assert_eq!(check(&nested(MAX_DEPTH)), Ok(()));
    let too_deep = Err(BadTerm("value nested deeper than 512 levels"));
    assert_eq!(check(&nested(MAX_DEPTH + 1)), too_deep);
    // Issue 14's 100,000-deep array.
    assert_eq!(check(&nested(100_000)), too_deep);
    // A pid is two levels: at 511 arrays it is one too many.
    let pid_at = |arrays: usize| {
        let mut v = vec![0x91; arrays];
        v.extend_from_slice(&[0xc7, 0x03, 0x01, 0x92, 0xa0, 0x01]);
        check(&v)
    };
    assert_eq!(pid_at(MAX_DEPTH - 2), Ok(()));
    assert_eq!(pid_at(MAX_DEPTH - 1), too_deep);
    let mut sets = Vec::new();
    for _ in 0..(MAX_DEPTH / 2) {
        sets.extend_from_slice(&[0xd4, 0x06]);
    }
    // Sets nested by fixext1 cannot hold anything: malformed, not deep.
    assert!(check(&sets).is_err());
}

#[test]
fn bigints_are_bounded() {
    let mut ok = vec![0xdb];
    ok.extend_from_slice(&(MAX_BIGINT as u32).to_be_bytes());
    ok.extend(std::iter::repeat_n(b'9', MAX_BIGINT));
    let ext = |s: &[u8]| {
        let mut v = vec![0xc9];
        v.extend_from_slice(&(s.len() as u32).to_be_bytes());
        v.push(0x07);
        v.extend_from_slice(s);
        v
    };
    assert_eq!(check(&ext(&ok)), Ok(()));
    let mut over = vec![0xdb];
    over.extend_from_slice(&(MAX_BIGINT as u32 + 1).to_be_bytes());
    over.extend(std::iter::repeat_n(b'9', MAX_BIGINT + 1));
    assert_eq!(
        check(&ext(&over)),
        Err(BadTerm("a BigInt over 65,536 characters"))
    );
}

#[test]
fn shapes_of_replies_and_answers() {
    let reply = [0x92, 0xd6, 0x02, 0x92, 0xa0, 0x01, 0xc0];
    assert!(shaped(&reply, &[2], Some(REF)));
    assert!(!shaped(&[0xc0], &[2], Some(REF)));
    assert!(!shaped(&[0x92, 0xc0, 0xc0], &[2], Some(REF)));
    assert!(shaped(&[0x92, 0xc3, 0xc0], &[2, 3], None));
    assert!(shaped(&[0x93, 0xc2, 0xa0, 0xa0], &[2, 3], None));
    assert!(!shaped(&[0x91, 0xc3], &[2, 3], None));
}

/// A value made of the codec's types, as bytes (for the properties).
fn value() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        Just(vec![0xc0]),
        any::<u8>().prop_map(|b| vec![b & 0x7f]),
        "[a-z]{0,5}".prop_map(|s| [&[0xa0 | s.len() as u8][..], s.as_bytes()].concat()),
        any::<u16>().prop_map(|n| vec![
            0xc7,
            0x05,
            0x01,
            0x92,
            0xa0,
            0xcd,
            (n >> 8) as u8,
            n as u8
        ]),
    ];
    leaf.prop_recursive(6, 64, 4, |inner| {
        prop::collection::vec(inner, 0..4).prop_map(|xs| {
            let mut v = vec![0x90 | xs.len() as u8];
            for x in xs {
                v.extend(x);
            }
            v
        })
    })
}

proptest! {
    /// Arbitrary bytes never panic the check.
    #[test]
    fn any_bytes_are_judged(b in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = check(&b);
    }

    /// Well-formed values pass; with a byte more or less they do not.
    #[test]
    fn exactly_one_value(v in value()) {
        prop_assert_eq!(check(&v), Ok(()));
        let mut more = v.clone();
        more.push(0xc0);
        prop_assert!(check(&more).is_err());
        prop_assert!(check(&v[..v.len() - 1]).is_err());
    }

    /// A lone string or binary is judged as the full walk judges it.
    #[test]
    fn lone_strings_and_binaries_are_judged_as_any_value(
        m in prop::sample::select(vec![0xa0u8, 0xa5, 0xbf, 0xc4, 0xc5, 0xc6, 0xd9, 0xda, 0xdb]),
        len in prop::collection::vec(any::<u8>(), 0..4),
        rest in prop::collection::vec(any::<u8>(), 0..40),
    ) {
        let b = [&[m][..], &len, &rest].concat();
        prop_assert_eq!(check(&b), check_on(&b, &mut [0; MAX_DEPTH]));
    }
}
