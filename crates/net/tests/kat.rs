//! Known-answer tests of the primitives SL1 is built from, with the
//! published vectors (FIPS 180-2, the GCM specification's test cases,
//! RFC 7748, RFC 5869, RFC 4231).

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use x25519_dalek::{PublicKey, StaticSecret};

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn sha256_abc() {
    assert_eq!(
        Sha256::digest(b"abc").to_vec(),
        unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    );
}

#[test]
fn aes128_gcm_test_case_2() {
    let c = Aes128Gcm::new_from_slice(&[0u8; 16]).unwrap();
    let mut buf = [0u8; 16];
    let tag = c
        .encrypt_inout_detached(&Nonce::from([0u8; 12]), &[], (&mut buf[..]).into())
        .unwrap();
    assert_eq!(buf.to_vec(), unhex("0388dace60b6a392f328c2b971b2fe78"));
    assert_eq!(tag.to_vec(), unhex("ab6e47d42cec13bdf53a67b21257bddf"));
}

#[test]
fn x25519_rfc7748() {
    let k: [u8; 32] = unhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4")
        .try_into()
        .unwrap();
    let u: [u8; 32] = unhex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")
        .try_into()
        .unwrap();
    let out = StaticSecret::from(k).diffie_hellman(&PublicKey::from(u));
    assert_eq!(
        out.as_bytes().to_vec(),
        unhex("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")
    );
}

#[test]
fn hkdf_sha256_rfc5869_case_1() {
    let ikm = [0x0bu8; 22];
    let salt = unhex("000102030405060708090a0b0c");
    let info = unhex("f0f1f2f3f4f5f6f7f8f9");
    let mut okm = [0u8; 42];
    Hkdf::<Sha256>::new(Some(&salt), &ikm)
        .expand(&info, &mut okm)
        .unwrap();
    assert_eq!(
        okm.to_vec(),
        unhex(
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        )
    );
}

#[test]
fn hmac_sha256_rfc4231_case_1() {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&[0x0b; 20]).unwrap();
    m.update(b"Hi There");
    assert_eq!(
        m.finalize().into_bytes().to_vec(),
        unhex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    );
}
