//! One side of an SL1 throughput test between two OS processes on
//! 127.0.0.1 (tools/bench/remote.ts runs both):
//!
//! ```text
//! linkbench server --port P --size N --count C [--cookie HEX]
//! linkbench client --port P --size N --count C [--cookie HEX]
//! ```
//!
//! The server binds 127.0.0.1:P (P = 0 picks a free port) and prints
//! `{"listening":port}`, accepts one link, receives C messages of N bytes
//! (each must start with its sequence number, u32 little-endian, and be
//! exactly N bytes long), answers with a 1-byte ack, and prints
//! `{"msgs_per_s":..,"mb_per_s":..,"received":C,"bytes":C*N}` (timed from
//! the first message received to the last).
//!
//! The client connects (the handshake is not timed), sends the C messages
//! as fast as `Link::send` takes them, waits for the ack, and prints
//! `{"msgs_per_s":..,"mb_per_s":..,"secs":..}` timed from the first send
//! to the ack, so the time covers delivery. MB are 10^6 payload bytes.
//!
//! Both sides use a single-threaded tokio runtime (one core per process).
//! The cookie is 64 hex digits; without `--cookie` a fixed test cookie is
//! used. Any error prints `linkbench: ...` and exits non-zero (2 for bad
//! arguments, 1 for a failed run).

use bfly_net::keys::Cookie;
use bfly_net::link::{connect, Limits};
use bfly_net::listener::Listener;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The test cookie used when none is given (never use it for real).
const TEST_COOKIE: [u8; 32] = *b"bfly linkbench test cookie 32 by";
const SERVER_INSTANCE: [u8; 16] = [0x5e; 16];
const CLIENT_INSTANCE: [u8; 16] = [0xc1; 16];
/// Bytes at the start of each message that carry its sequence number.
const SEQ_LEN: usize = 4;
/// How long the server waits for the client to connect.
const ACCEPT_WITHIN: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Server,
    Client,
}

struct Args {
    role: Role,
    port: u16,
    size: usize,
    count: u32,
    cookie: Cookie,
}

const USAGE: &str = "usage: linkbench (server|client) --port P --size N --count C [--cookie HEX64]";

fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("--cookie must be hex digits (64 of them)".into());
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| format!("--cookie: {e}")))
        .collect()
}

fn parse_args(argv: &[String]) -> Result<Args, String> {
    let mut it = argv.iter();
    let role = match it.next().map(String::as_str) {
        Some("server") => Role::Server,
        Some("client") => Role::Client,
        Some(other) => return Err(format!("unknown role {other:?}\n{USAGE}")),
        None => return Err(USAGE.into()),
    };
    let (mut port, mut size, mut count, mut cookie) = (None, None, None, None);
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let bad = |e: std::num::ParseIntError| format!("{flag} {value:?}: {e}");
        match flag.as_str() {
            "--port" => port = Some(value.parse::<u16>().map_err(bad)?),
            "--size" => size = Some(value.parse::<usize>().map_err(bad)?),
            "--count" => count = Some(value.parse::<u32>().map_err(bad)?),
            "--cookie" => {
                let bytes = parse_hex(value)?;
                cookie = Some(Cookie::new(&bytes).map_err(|e| format!("--cookie: {}", e.0))?);
            }
            other => return Err(format!("unknown flag {other:?}\n{USAGE}")),
        }
    }
    let missing = |f: &str| format!("missing {f}\n{USAGE}");
    let size = size.ok_or_else(|| missing("--size"))?;
    let count = count.ok_or_else(|| missing("--count"))?;
    let limits = Limits::default();
    if size < SEQ_LEN || size > limits.max_message {
        return Err(format!(
            "--size must be between {SEQ_LEN} and {} bytes",
            limits.max_message
        ));
    }
    if count == 0 {
        return Err("--count must be at least 1".into());
    }
    let cookie = match cookie {
        Some(c) => c,
        None => Cookie::new(&TEST_COOKIE).map_err(|e| e.to_string())?,
    };
    Ok(Args {
        role,
        port: port.ok_or_else(|| missing("--port"))?,
        size,
        count,
        cookie,
    })
}

/// `{"msgs_per_s":..,"mb_per_s":..}` plus the given extra fields.
fn report(count: u32, size: usize, secs: f64, extra: &str) -> String {
    let secs = secs.max(1e-9);
    let msgs = f64::from(count) / secs;
    let mb = msgs * size as f64 / 1e6;
    format!("{{\"msgs_per_s\":{msgs:.1},\"mb_per_s\":{mb:.2}{extra}}}")
}

async fn server(a: Args) -> Result<(), String> {
    let addr = ("127.0.0.1", a.port);
    let mut listener = Listener::bind(addr, a.cookie, SERVER_INSTANCE, Limits::default())
        .await
        .map_err(|e| format!("bind 127.0.0.1:{}: {e}", a.port))?;
    // The harness reads this line to start the client.
    println!("{{\"listening\":{}}}", listener.local_addr().port());
    let mut link = tokio::time::timeout(ACCEPT_WITHIN, listener.accept())
        .await
        .map_err(|_| "no client connected within 30 s".to_string())?
        .map_err(|e| format!("accept: {e}"))?;
    drop(listener);

    let mut start = None;
    let mut bytes = 0u64;
    for i in 0..a.count {
        let m = link
            .recv()
            .await
            .map_err(|e| format!("receiving message {i} of {}: {e}", a.count))?;
        start.get_or_insert_with(Instant::now);
        if m.len() != a.size {
            return Err(format!(
                "message {i} has {} bytes, expected {}",
                m.len(),
                a.size
            ));
        }
        let seq = m
            .get(..SEQ_LEN)
            .and_then(|s| <[u8; SEQ_LEN]>::try_from(s).ok())
            .map(u32::from_le_bytes);
        if seq != Some(i) {
            return Err(format!("message {i} carries sequence number {seq:?}"));
        }
        bytes += m.len() as u64;
    }
    let secs = start.map_or(0.0, |s| s.elapsed().as_secs_f64());
    link.send(&[1])
        .await
        .map_err(|e| format!("sending the ack: {e}"))?;
    // Wait for the client to close, so the ack is not lost to a reset.
    let _ = tokio::time::timeout(Duration::from_secs(10), link.recv()).await;
    let extra = format!(",\"received\":{},\"bytes\":{bytes}", a.count);
    println!("{}", report(a.count, a.size, secs, &extra));
    Ok(())
}

async fn client(a: Args) -> Result<(), String> {
    let mut link = connect(
        ("127.0.0.1", a.port),
        &a.cookie,
        CLIENT_INSTANCE,
        Limits::default(),
    )
    .await
    .map_err(|e| format!("connect 127.0.0.1:{}: {e}", a.port))?;
    let mut msg = vec![0xA5u8; a.size];
    let start = Instant::now();
    for i in 0..a.count {
        msg[..SEQ_LEN].copy_from_slice(&i.to_le_bytes());
        link.send(&msg)
            .await
            .map_err(|e| format!("sending message {i} of {}: {e}", a.count))?;
    }
    let ack = link
        .recv()
        .await
        .map_err(|e| format!("waiting for the ack: {e}"))?;
    let secs = start.elapsed().as_secs_f64();
    if ack != [1] {
        return Err(format!("unexpected ack {ack:?}"));
    }
    let extra = format!(",\"secs\":{secs:.6}");
    println!("{}", report(a.count, a.size, secs, &extra));
    Ok(())
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse_args(&argv) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("linkbench: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("linkbench: cannot start the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let run = match args.role {
        Role::Server => rt.block_on(server(args)),
        Role::Client => rt.block_on(client(args)),
    };
    match run {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("linkbench: {e}");
            ExitCode::FAILURE
        }
    }
}
