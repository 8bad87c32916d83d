//! The pods' listeners: one per endpoint port, bound to 0.0.0.0 in the pods namespace (where all
//! of 10.244.0.0/16 is local). Each connection gets the address it reached, then an echo, so
//! clients can tell which endpoint they landed on and check long-lived connections.

use super::DatapathError;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::thread::JoinHandle;
use std::time::Duration;

/// An idle connection is closed after this long (keeps no thread alive forever).
const IDLE: Duration = Duration::from_secs(120);
/// Accept queue length (the kernel caps it at net.core.somaxconn, 4096 by default).
const ACCEPT_QUEUE: i32 = 4096;

pub struct Listeners {
    sockets: Vec<TcpListener>,
    acceptors: Vec<JoinHandle<()>>,
}

impl Listeners {
    pub fn start(ports: &[u16]) -> Result<Self, DatapathError> {
        let mut sockets = Vec::new();
        let mut acceptors = Vec::new();
        for &port in ports {
            let socket = TcpListener::bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port))
                .map_err(DatapathError::io(format!(
                    "listening on port {port} in the pods namespace"
                )))?;
            // A deep accept queue: the first-packet loop opens connections faster than one
            // acceptor greets them at times, and a full queue drops the SYN (a 1 s retransmit).
            // SAFETY: listen(2) again on a listening socket this function owns only resizes its
            // queue; no memory is involved.
            unsafe {
                libc::listen(socket.as_raw_fd(), ACCEPT_QUEUE);
            }
            let accepting = socket
                .try_clone()
                .map_err(DatapathError::io("cloning a listener"))?;
            acceptors.push(std::thread::spawn(move || accept_loop(accepting)));
            sockets.push(socket);
        }
        Ok(Self { sockets, acceptors })
    }

    /// Wake the acceptors (shutdown makes a blocked accept return) and wait for them.
    pub fn stop(self) {
        for socket in &self.sockets {
            // SAFETY: shutdown(2) on a descriptor this struct owns; no memory is involved.
            unsafe {
                libc::shutdown(socket.as_raw_fd(), libc::SHUT_RDWR);
            }
        }
        for acceptor in self.acceptors {
            let _ = acceptor.join();
        }
    }
}

fn accept_loop(listener: TcpListener) {
    while let Ok((mut stream, _)) = listener.accept() {
        // Greet before handing the connection to a thread: the client times connect + first
        // byte, and a thread spawn in between would be the lab's cost, not the data plane's.
        if greet(&mut stream).is_ok() {
            std::thread::spawn(move || echo(stream));
        }
    }
}

/// The first line: the address the connection arrived on (a VIP was translated to it).
fn greet(stream: &mut TcpStream) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let local = stream.local_addr()?;
    stream.write_all(format!("{local}\n").as_bytes())
}

fn echo(mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(IDLE));
    let mut buf = [0u8; 512];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 || stream.write_all(&buf[..n]).is_err() {
            return;
        }
    }
}
