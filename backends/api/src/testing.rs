//! Helpers the backends' kernel tests share (feature `testing`, for dev-dependencies only): a
//! fresh network namespace to run in, and a numbered set of Services.

use crate::{Endpoint, Protocol, Service, ServiceId};
use std::net::Ipv4Addr;

/// Run `f` on a thread inside a fresh network namespace (gone when the thread ends). Panics with
/// a clear message without root: kernel tests never skip.
pub fn in_fresh_netns<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| {
            // SAFETY: unshare(2) takes a flag and only changes this thread's namespaces.
            let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
            assert_eq!(
                rc,
                0,
                "unshare(CLONE_NEWNET): {}; these tests must run as root (scripts/test.sh)",
                std::io::Error::last_os_error()
            );
            f()
        })
        .join()
        .expect("test thread panicked")
    })
}

/// `count` TCP Services `test/svc-<i>` with `endpoints` endpoints each: VIPs in 10.96.0.0/16,
/// ports from 80, endpoints in 10.244.0.0/16 on 8080.
pub fn numbered_services(count: u32, endpoints: u8) -> Vec<Service> {
    (0..count)
        .map(|i| Service {
            id: ServiceId(i),
            namespace: "test".into(),
            name: format!("svc-{i}"),
            port_name: "http".into(),
            vip: Ipv4Addr::new(10, 96, (i / 250) as u8, (i % 250) as u8 + 1),
            port: 80 + (i % 1000) as u16,
            protocol: Protocol::Tcp,
            endpoints: (0..endpoints)
                .map(|e| Endpoint {
                    addr: Ipv4Addr::new(10, 244, (i % 250) as u8, e + 1),
                    port: 8080,
                })
                .collect(),
        })
        .collect()
}
