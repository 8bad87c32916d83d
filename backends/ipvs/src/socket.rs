//! The generic netlink socket: the only place this crate touches netlink. Moves bytes only.

use crate::batch::Limits;
use crate::client::Transport;
use netlink_sys::{protocols::NETLINK_GENERIC, Socket, SocketAddr};
use std::io;
use std::os::fd::AsRawFd;
use std::time::Duration;

/// Buffer size asked for with SO_RCVBUFFORCE / SO_SNDBUFFORCE: 8 MiB (the kernel doubles it)
/// lets a batch carry 8,192 requests. Without CAP_NET_ADMIN the kernel's rmem_max/wmem_max
/// cap applies instead.
const WANTED_BUF: libc::c_int = 8 << 20;
/// How long one `recv` waits before the client looks at its deadline and cancel flag again.
const POLL: Duration = Duration::from_millis(100);
/// Dump replies come in skbs of up to 32 KiB (netlink_dump); 64 KiB never truncates.
const RECV_BUF: usize = 64 << 10;

/// A NETLINK_GENERIC socket bound in the calling thread's network namespace.
pub struct NetlinkSocket {
    socket: Socket,
    limits: Limits,
}

impl NetlinkSocket {
    pub fn open() -> io::Result<Self> {
        Self::open_with_buffers(WANTED_BUF)
    }

    /// Like `open`, asking for `bytes` of receive and send buffer (tests use small ones).
    pub fn open_with_buffers(bytes: libc::c_int) -> io::Result<Self> {
        let mut socket = Socket::new(NETLINK_GENERIC)?;
        socket.bind_auto()?;
        socket.connect(&SocketAddr::new(0, 0))?;
        // Error ACKs then echo only the request's header, so every ACK has the same size.
        // Best effort: kernels before 4.3 lack it, and the ACK bound covers the echo anyway.
        let _ = socket.set_cap_ack(true);
        let fd = socket.as_raw_fd();
        set_buf(fd, libc::SO_RCVBUFFORCE, libc::SO_RCVBUF, bytes)?;
        set_buf(fd, libc::SO_SNDBUFFORCE, libc::SO_SNDBUF, bytes)?;
        set_timeout(fd, POLL)?;
        let limits =
            Limits::from_buffers(get_int(fd, libc::SO_RCVBUF)?, get_int(fd, libc::SO_SNDBUF)?);
        Ok(Self { socket, limits })
    }
}

impl Transport for NetlinkSocket {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        let sent = self.socket.send(bytes, 0)?;
        if sent != bytes.len() {
            return Err(io::Error::other(format!(
                "sent {sent} of {} bytes",
                bytes.len()
            )));
        }
        Ok(())
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> io::Result<()> {
        buf.clear();
        buf.reserve(RECV_BUF);
        let n = self.socket.recv(buf, libc::MSG_TRUNC)?;
        if n > buf.len() {
            return Err(io::Error::other(format!(
                "netlink datagram of {n} bytes truncated to {}",
                buf.len()
            )));
        }
        Ok(())
    }

    fn limits(&self) -> Limits {
        self.limits
    }
}

/// Ask for `bytes` with the privileged option, falling back to the capped one.
fn set_buf(
    fd: libc::c_int,
    force: libc::c_int,
    plain: libc::c_int,
    bytes: libc::c_int,
) -> io::Result<()> {
    if setsockopt(fd, force, &bytes).is_ok() {
        return Ok(());
    }
    setsockopt(fd, plain, &bytes)
}

fn set_timeout(fd: libc::c_int, timeout: Duration) -> io::Result<()> {
    let tv = libc::timeval {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_usec: timeout.subsec_micros() as libc::suseconds_t,
    };
    setsockopt(fd, libc::SO_RCVTIMEO, &tv)
}

fn setsockopt<T>(fd: libc::c_int, option: libc::c_int, value: &T) -> io::Result<()> {
    // SAFETY: `value` points to a live `T` of the size passed; the kernel only reads it.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            option,
            (value as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn get_int(fd: libc::c_int, option: libc::c_int) -> io::Result<usize> {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` and `len` are live locals of the sizes the kernel is told.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            option,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(value.max(0) as usize)
}
