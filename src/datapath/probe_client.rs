//! The client side of the data path, run as its own process (`svclab probe-client ...`) so it can
//! join a backend's cgroup. It speaks JSON lines on stdout.
//!
//! - `connect`: reads `ADDR:PORT COUNT` lines from stdin until EOF; for each connection prints a
//!   [`ConnResult`]: which address answered (the listener's greeting) and connect + first byte.
//! - `stream`: opens long-lived connections to one target, then opens new connections at a steady
//!   interval while pinging the long-lived ones, until stdin closes; prints a [`StreamSummary`].

use super::client::{ConnResult, StreamSummary};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, SocketAddrV4, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Put this process into `cgroup` (a cgroup v2 directory) before any connection.
pub fn join_cgroup(cgroup: &Path) -> std::io::Result<()> {
    std::fs::write(cgroup.join("cgroup.procs"), std::process::id().to_string())
}

/// One connection: connect, read the greeting line. Returns what answered, or the error.
pub fn connect_once(target: SocketAddrV4, timeout: Duration) -> ConnResult {
    let started = Instant::now();
    let outcome = TcpStream::connect_timeout(&SocketAddr::V4(target), timeout)
        .and_then(|stream| greeting(&stream, timeout).map(|g| (stream, g)));
    let ns = started.elapsed().as_nanos() as u64;
    match outcome {
        Ok((_, reached)) => ConnResult {
            target: target.to_string(),
            reached: Some(reached),
            error: None,
            ns,
        },
        Err(e) => ConnResult {
            target: target.to_string(),
            reached: None,
            error: Some(e.to_string()),
            ns,
        },
    }
}

fn greeting(stream: &TcpStream, timeout: Duration) -> std::io::Result<String> {
    stream.set_read_timeout(Some(timeout))?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line)?;
    if line.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "closed before greeting",
        ));
    }
    Ok(line.trim().to_string())
}

/// `connect` mode.
pub fn run_connect(
    input: impl BufRead,
    mut out: impl Write,
    timeout: Duration,
) -> std::io::Result<()> {
    for line in input.lines() {
        let line = line?;
        let mut parts = line.split_whitespace();
        let (Some(target), count) = (
            parts.next(),
            parts
                .next()
                .and_then(|c| c.parse::<usize>().ok())
                .unwrap_or(1),
        ) else {
            continue;
        };
        let target: SocketAddrV4 = target.parse().map_err(|e| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{target}: {e}"))
        })?;
        for _ in 0..count {
            let result = connect_once(target, timeout);
            writeln!(
                out,
                "{}",
                serde_json::to_string(&result).map_err(std::io::Error::other)?
            )?;
        }
    }
    out.flush()
}

/// `stream` mode; returns when `stop` is set (the parent closed stdin).
pub fn run_stream(
    target: SocketAddrV4,
    interval: Duration,
    long_lived: usize,
    timeout: Duration,
    stop: Arc<AtomicBool>,
    ready: impl FnOnce(),
) -> StreamSummary {
    let mut summary = StreamSummary::default();
    let mut held: Vec<TcpStream> = Vec::new();
    for _ in 0..long_lived {
        match TcpStream::connect_timeout(&SocketAddr::V4(target), timeout)
            .and_then(|s| greeting(&s, timeout).map(|_| s))
        {
            Ok(s) => held.push(s),
            Err(e) => summary.note(format!("long-lived connect: {e}")),
        }
    }
    summary.long_lived = held.len();
    ready();
    let mut alive = vec![true; held.len()];
    let mut last_ping = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        let result = connect_once(target, timeout);
        summary.attempts += 1;
        summary.worst_ns = summary.worst_ns.max(result.ns);
        if let Some(e) = result.error {
            summary.failed += 1;
            summary.note(format!("new connection: {e}"));
        }
        if last_ping.elapsed() >= Duration::from_millis(50) {
            ping_all(&mut held, &mut alive, &mut summary, timeout);
            last_ping = Instant::now();
        }
        std::thread::sleep(interval);
    }
    ping_all(&mut held, &mut alive, &mut summary, timeout);
    summary
}

/// Echo a byte on every live long-lived connection; a failure counts once as a broken connection.
fn ping_all(
    held: &mut [TcpStream],
    alive: &mut [bool],
    summary: &mut StreamSummary,
    timeout: Duration,
) {
    for (stream, alive) in held.iter_mut().zip(alive.iter_mut()) {
        if !*alive {
            continue;
        }
        let mut byte = [0u8; 1];
        let echoed = stream
            .set_read_timeout(Some(timeout))
            .and_then(|()| stream.write_all(b"p"))
            .and_then(|()| stream.read_exact(&mut byte));
        if let Err(e) = echoed {
            *alive = false;
            summary.broken += 1;
            summary.note(format!("long-lived connection: {e}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_mode_reports_refusals_as_errors() {
        // Port 1 on loopback: nothing listens, the kernel refuses at once.
        let mut out = Vec::new();
        run_connect(
            "127.0.0.1:1 2\n".as_bytes(),
            &mut out,
            Duration::from_millis(200),
        )
        .expect("runs");
        let results: Vec<ConnResult> = String::from_utf8_lossy(&out)
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect();
        assert_eq!(results.len(), 2);
        assert!(results
            .iter()
            .all(|r| r.reached.is_none() && r.error.is_some()));
    }
}
