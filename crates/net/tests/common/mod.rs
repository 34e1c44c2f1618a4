//! A hand-driven SL1 client for the integration tests: it completes the
//! handshake itself and returns the raw stream with the session keys, so a
//! test can put any frame on the wire.

use bfly_net::handshake::{client_on_m1, Randomness, Session};
use bfly_net::keys::Cookie;
use bfly_net::link::{connect, Limits, Link};
use bfly_net::listener::Listener;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads one length-prefixed handshake message.
#[allow(dead_code)] // each test binary compiles this module; not all use every helper
pub async fn read_hs(s: &mut TcpStream) -> Vec<u8> {
    let mut h = [0u8; 2];
    s.read_exact(&mut h).await.unwrap();
    let mut m = vec![0u8; u16::from_be_bytes(h) as usize];
    s.read_exact(&mut m).await.unwrap();
    m
}

/// Writes one length-prefixed handshake message.
#[allow(dead_code)]
pub async fn write_hs(s: &mut TcpStream, m: &[u8]) {
    let mut b = (m.len() as u16).to_be_bytes().to_vec();
    b.extend_from_slice(m);
    s.write_all(&b).await.unwrap();
}

/// Connects to `addr` and completes the handshake with cookie `c`.
#[allow(dead_code)] // each test binary compiles this module; not all use every helper
pub async fn raw_client(addr: std::net::SocketAddr, c: &Cookie) -> (TcpStream, Session) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let m1 = read_hs(&mut s).await;
    let (st, m2) = client_on_m1(c, Randomness::fresh([9; 16]), &m1).unwrap();
    write_hs(&mut s, &m2).await;
    let m3 = read_hs(&mut s).await;
    let (session, m4) = st.on_m3(&m3, Instant::now()).unwrap();
    write_hs(&mut s, &m4).await;
    (s, session)
}

/// Two ends of a real link over loopback, both with `limits`: the
/// connecting end first, then the accepted one.
#[allow(dead_code)] // each test binary compiles this module; not all use every helper
pub async fn pair(limits: Limits) -> (Link, Link) {
    let c = Cookie::new(&[9; 32]).unwrap();
    let mut l = Listener::bind("127.0.0.1:0", c.clone(), [1; 16], limits)
        .await
        .unwrap();
    let addr = l.local_addr();
    let (a, b) = tokio::join!(connect(addr, &c, [2; 16], limits), l.accept());
    (a.unwrap(), b.unwrap())
}
