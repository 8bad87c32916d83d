//! Shared by the kernel tests: a network namespace per test, synthetic Services, listeners.
//!
//! Every test body runs on a thread of its own that has unshared its network namespace, so all
//! addresses it adds and all traffic it sends stay in a namespace the test made. A missing
//! prerequisite panics with what to do; nothing is skipped.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use svclab_backend::{Endpoint, Protocol, Service, ServiceId};

/// Run `body` on a new thread inside a new network namespace with `lo` up.
pub fn in_new_netns<R: Send + 'static>(body: impl FnOnce() -> R + Send + 'static) -> R {
    let thread = std::thread::spawn(move || {
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).unwrap_or_else(|e| {
            panic!("unshare(CLONE_NEWNET) failed ({e}): run the kernel tests as root")
        });
        ip(&["link", "set", "lo", "up"]);
        body()
    });
    match thread.join() {
        Ok(r) => r,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Run `ip` from the calling thread (so in its namespace); panic on failure.
pub fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running `ip` failed ({e}): install iproute2"));
    assert!(
        out.status.success(),
        "ip {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Add `addr`/32 to `lo` of the calling thread's namespace.
pub fn add_local(addr: Ipv4Addr) {
    ip(&["addr", "add", &format!("{addr}/32"), "dev", "lo"]);
}

/// Service `i` of a synthetic set: VIP 10.96.x.y:80, `endpoints` distinct endpoints in
/// 10.244.0.0/16 on port 8080 (the lab's own generator is seeded; these tests need no more).
pub fn service(i: u32, endpoints: u32) -> Service {
    let vip = Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 96, 0, 0)) + i);
    let eps = (0..endpoints)
        .map(|e| Endpoint {
            addr: Ipv4Addr::from(
                u32::from(Ipv4Addr::new(10, 244, 0, 0)) + (i * endpoints + e) % 65536,
            ),
            port: 8080,
        })
        .collect();
    Service {
        id: ServiceId(i),
        namespace: "default".into(),
        name: format!("svc-{i}"),
        port_name: "http".into(),
        vip,
        port: 80,
        protocol: Protocol::Tcp,
        endpoints: eps,
    }
}

pub fn services(n: u32, endpoints: u32) -> Vec<Service> {
    (0..n).map(|i| service(i, endpoints)).collect()
}

/// A TCP listener that answers every connection with its label and counts them.
pub struct Listener {
    pub accepted: Arc<AtomicU32>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Listener {
    /// Bind in the calling thread's namespace (the address must be local there).
    pub fn start(addr: SocketAddrV4, label: &'static str) -> Self {
        let listener = TcpListener::bind(addr).unwrap_or_else(|e| panic!("bind {addr}: {e}"));
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let accepted = Arc::new(AtomicU32::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, halt) = (accepted.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !halt.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((mut conn, _)) => {
                        count.fetch_add(1, Ordering::SeqCst);
                        let _ = conn.write_all(label.as_bytes());
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Self {
            accepted,
            stop,
            thread: Some(thread),
        }
    }

    pub fn count(&self) -> u32 {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Connect from this (test) process, outside the lab cgroup, and read the peer's label.
pub fn connect_here(to: SocketAddrV4) -> std::io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&SocketAddr::V4(to), Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut label = String::new();
    stream.read_to_string(&mut label)?;
    Ok(label)
}

/// A bash command line that connects to `to` and prints what the peer sends, bounded in time.
pub fn bash_client(to: SocketAddrV4) -> Command {
    assert!(
        Path::new("/bin/bash").exists(),
        "the data-path test needs /bin/bash (its /dev/tcp)"
    );
    let mut cmd = Command::new("timeout");
    cmd.args(["10", "/bin/bash", "-c"]).arg(format!(
        "exec 3<>/dev/tcp/{}/{} && cat <&3",
        to.ip(),
        to.port()
    ));
    cmd
}

/// Names in /sys/fs/bpf (empty when bpffs is not mounted there), to prove nothing was pinned.
pub fn bpffs_entries() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("/sys/fs/bpf")
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
