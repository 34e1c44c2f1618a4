//! A hostile (or impersonating) peer for the distribution tests: it holds
//! the cookie, completes the SL1 handshake, says Hello with any name, then
//! sends raw distribution frames given in hex, and reports what the node
//! did. Tests run it as its own OS process against real nodes.
//!
//! ```text
//! rawpeer --addr HOST:PORT --cookie HEX64 --name NAME
//!         [--features N] [--identity HEX64] [--send BYTES]... [--wait-ms N]
//! ```
//!
//! BYTES is hex in pieces separated by `.`, each optionally repeated:
//! `09.0100000000000000.91*100000.c0` is a Reply frame carrying a
//! 100,000-deep array (too long for one command-line argument as hex).
//!
//! Prints one JSON line per event: `{"ack":{"ok":..,"name":..}}` for the
//! HelloAck, `{"refused":"..."}` when the node answered the Hello with a
//! refusal, then after sending the frames `{"end":"closed","ms":..}` when
//! the node closed the link within `--wait-ms` (default 3000) or
//! `{"end":"open"}`; `{"error":".."}` when it could not connect.
//! `--identity` proves that static X25519 secret in the Hello.

use bfly_cluster::envelope::Frame;
use bfly_net::identity::{Identity, Role};
use bfly_net::keys::Cookie;
use bfly_net::link::{connect, Limits};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// `piece(.piece)*`, each piece hex with an optional `*count`.
fn bytes(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for piece in s.split('.') {
        let (h, n) = match piece.split_once('*') {
            Some((h, n)) => (
                h,
                n.parse::<usize>().map_err(|e| format!("{piece:?}: {e}"))?,
            ),
            None => (piece, 1),
        };
        let b = hex(h)?;
        for _ in 0..n {
            out.extend_from_slice(&b);
        }
    }
    Ok(out)
}

fn hex(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err(format!("odd hex {s:?}"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| format!("{s:?}: {e}")))
        .collect()
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

struct Args {
    addr: String,
    cookie: Cookie,
    name: String,
    features: Option<u8>,
    identity: Option<[u8; 32]>,
    send: Vec<Vec<u8>>,
    wait: Duration,
}

fn parse() -> Result<Args, String> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let (mut addr, mut cookie, mut name) = (None, None, None);
    let mut a = Args {
        addr: String::new(),
        cookie: Cookie::generate(),
        name: String::new(),
        features: Some(1),
        identity: None,
        send: Vec::new(),
        wait: Duration::from_millis(3000),
    };
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        let v = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--addr" => addr = Some(v.clone()),
            "--cookie" => cookie = Some(Cookie::new(&hex(v)?).map_err(|f| f.0.to_string())?),
            "--name" => name = Some(v.clone()),
            "--features" => a.features = Some(v.parse().map_err(|e| format!("--features: {e}"))?),
            "--identity" => {
                a.identity = Some(
                    hex(v)?
                        .try_into()
                        .map_err(|_| "--identity: 64 hex digits")?,
                )
            }
            "--send" => a.send.push(bytes(v)?),
            "--wait-ms" => {
                a.wait = Duration::from_millis(v.parse().map_err(|e| format!("--wait-ms: {e}"))?)
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    a.addr = addr.ok_or("--addr is required")?;
    a.cookie = cookie.ok_or("--cookie is required")?;
    a.name = name.ok_or("--name is required")?;
    Ok(a)
}

async fn run(a: Args) -> Result<(), String> {
    let mut instance = [0u8; 16];
    instance.copy_from_slice(&Cookie::generate().bytes()[..16]);
    let mut link = match connect(a.addr.as_str(), &a.cookie, instance, Limits::default()).await {
        Ok(l) => l,
        Err(f) => {
            println!("{{\"error\":{}}}", quote(f.0));
            return Ok(());
        }
    };
    let proof = match (a.identity, link.binder()) {
        (Some(s), Some(b)) => {
            let id = Identity::from_secret(s);
            Some((
                id.public(),
                id.prove(b, Role::Client).map_err(|f| f.to_string())?,
            ))
        }
        _ => None,
    };
    let hello = Frame::Hello {
        name: &a.name,
        addr: "",
        features: a.features,
        identity: proof.as_ref().map(|(k, p)| (k, p)),
    };
    link.send(&hello.encode())
        .await
        .map_err(|f| f.to_string())?;
    match link.recv().await {
        Ok(m) => match Frame::decode(&m) {
            Ok(Frame::HelloAck { ok, name, .. }) => {
                println!("{{\"ack\":{{\"ok\":{ok},\"name\":{}}}}}", quote(name))
            }
            Ok(Frame::Refused { detail, .. }) => println!("{{\"refused\":{}}}", quote(detail)),
            _ => println!("{{\"unexpected\":true}}"),
        },
        Err(f) => println!("{{\"closed\":{}}}", quote(f.0)),
    }
    for f in &a.send {
        if link.send(f).await.is_err() {
            break;
        }
    }
    let t0 = Instant::now();
    let end = tokio::time::timeout(a.wait, async { while link.recv().await.is_ok() {} }).await;
    match end {
        Ok(()) => println!("{{\"end\":\"closed\",\"ms\":{}}}", t0.elapsed().as_millis()),
        Err(_) => println!("{{\"end\":\"open\"}}"),
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let outcome = match parse() {
        Ok(a) => run(a).await.map_err(|e| (e, ExitCode::FAILURE)),
        Err(e) => Err((e, ExitCode::from(2))),
    };
    outcome.map_or_else(
        |(e, code)| {
            eprintln!("rawpeer: {e}");
            code
        },
        |()| ExitCode::SUCCESS,
    )
}
