//! First-packet cost: `connect(2)` alone, timed in a tight native loop in the probe client.
//!
//! The SYN crosses the data plane (the nat OUTPUT hook's rule walk, or the connect4 hook's map
//! lookup) and the SYN-ACK comes back from the listener's kernel backlog, so `connect` returns
//! without any user-space process having to wake up; the socket is created before the clock
//! starts and closed with an RST after it stops (no FIN exchange, no TIME_WAIT left behind).

use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::net::SocketAddrV4;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// Errors kept per target, for the record.
const MAX_ERRORS: usize = 5;

/// The connects to one target of one input line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectTimes {
    pub target: String,
    /// Nanoseconds around each `connect(2)` that succeeded.
    pub samples_ns: Vec<u64>,
    pub failed: usize,
    pub errors: Vec<String>,
}

/// `first-packet` mode: for each `ADDR:PORT COUNT` line, `COUNT` timed connects; one JSON
/// [`ConnectTimes`] line per input line.
pub fn run(input: impl BufRead, mut out: impl Write, timeout: Duration) -> std::io::Result<()> {
    for line in input.lines() {
        let line = line?;
        let mut parts = line.split_whitespace();
        let Some(target) = parts.next() else {
            continue;
        };
        let count = parts.next().and_then(|c| c.parse().ok()).unwrap_or(1);
        let target: SocketAddrV4 = target.parse().map_err(|e| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{target}: {e}"))
        })?;
        let times = connects(target, count, timeout);
        writeln!(
            out,
            "{}",
            serde_json::to_string(&times).map_err(std::io::Error::other)?
        )?;
    }
    out.flush()
}

/// `count` connects to `target`, one after another.
pub fn connects(target: SocketAddrV4, count: usize, timeout: Duration) -> ConnectTimes {
    let mut times = ConnectTimes {
        target: target.to_string(),
        samples_ns: Vec::with_capacity(count),
        ..ConnectTimes::default()
    };
    for _ in 0..count {
        match connect_once(target, timeout) {
            Ok(ns) => times.samples_ns.push(ns),
            Err(e) => {
                times.failed += 1;
                if times.errors.len() < MAX_ERRORS {
                    times.errors.push(e.to_string());
                }
            }
        }
    }
    times
}

/// One blocking connect on a fresh socket; only the `connect` call is timed.
fn connect_once(target: SocketAddrV4, timeout: Duration) -> std::io::Result<u64> {
    // SAFETY: socket(2) takes plain integers; the result is checked before use.
    let raw = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if raw < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `raw` is a descriptor we just opened and nothing else owns.
    let socket = unsafe { OwnedFd::from_raw_fd(raw) };
    // Linger 0: close sends an RST, so the listener never sees an orderly close to answer.
    set_option(
        &socket,
        libc::SO_LINGER,
        &libc::linger {
            l_onoff: 1,
            l_linger: 0,
        },
    )?;
    // A blocking connect honours the send timeout: a dropped SYN fails instead of retrying 2 min.
    let tv = libc::timeval {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_usec: timeout.subsec_micros() as libc::suseconds_t,
    };
    set_option(&socket, libc::SO_SNDTIMEO, &tv)?;
    let addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: target.port().to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(*target.ip()).to_be(),
        },
        sin_zero: [0; 8],
    };
    let started = Instant::now();
    // SAFETY: `addr` is a valid sockaddr_in that outlives the call; its size is passed.
    let rc = unsafe {
        libc::connect(
            socket.as_raw_fd(),
            (&addr as *const libc::sockaddr_in).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    };
    let ns = started.elapsed().as_nanos() as u64;
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(ns)
}

fn set_option<T>(socket: &OwnedFd, name: libc::c_int, value: &T) -> std::io::Result<()> {
    // SAFETY: `value` points to a live T of the size passed, as setsockopt(2) expects.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            name,
            (value as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, TcpListener};

    #[test]
    fn times_connects_to_a_listener_and_counts_refusals() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind on loopback");
        let std::net::SocketAddr::V4(open) = listener.local_addr().expect("addr") else {
            panic!("not v4");
        };
        // Accept and drop, so the backlog never fills.
        let acceptor = std::thread::spawn(move || {
            for _ in 0..5 {
                let _ = listener.accept();
            }
        });
        let times = connects(open, 5, Duration::from_secs(1));
        acceptor.join().expect("acceptor");
        assert_eq!((times.samples_ns.len(), times.failed), (5, 0), "{times:?}");
        assert!(times.samples_ns.iter().all(|&ns| ns > 0));
        // Port 1 on loopback: nothing listens, the kernel refuses at once.
        let closed = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 1);
        let refused = connects(closed, 2, Duration::from_secs(1));
        assert_eq!((refused.samples_ns.len(), refused.failed), (0, 2));
        assert!(
            refused.errors[0].contains("refused"),
            "{:?}",
            refused.errors
        );
    }

    #[test]
    fn one_output_line_per_input_line() {
        let mut out = Vec::new();
        run(
            "127.0.0.1:1 3\n\n127.0.0.1:1 1\n".as_bytes(),
            &mut out,
            Duration::from_millis(200),
        )
        .expect("runs");
        let lines: Vec<ConnectTimes> = String::from_utf8_lossy(&out)
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect();
        assert_eq!(lines.iter().map(|t| t.failed).collect::<Vec<_>>(), [3, 1]);
    }
}
