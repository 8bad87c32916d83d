//! The connect4 program's retry, shown on the kernel: a master entry whose count covers a slot
//! that is gone (what a connect() sees when a shrink deletes the slot between its two lookups)
//! makes the program start over, counted in `LB4_EVENTS`. The maps are edited directly here, which
//! only a test inside the crate can do. Runs as root in a network namespace of its own.

use super::*;
use crate::abi::Lb4Key;
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::process::Stdio;
use svclab_backend::Protocol;

const CONNECTS: u64 = 24;

fn ip(args: &[&str]) {
    let status = Command::new("ip")
        .args(args)
        .status()
        .unwrap_or_else(|e| panic!("running ip failed ({e}): install iproute2"));
    assert!(status.success(), "ip {args:?} failed");
}

#[test]
fn a_missing_slot_is_retried_from_the_master_and_counted() {
    let body = || {
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET)
            .unwrap_or_else(|e| panic!("unshare(CLONE_NEWNET) failed ({e}): run as root"));
        ip(&["link", "set", "lo", "up"]);
        let endpoint = Endpoint {
            addr: Ipv4Addr::new(10, 244, 7, 1),
            port: 8080,
        };
        ip(&["addr", "add", "10.244.7.1/32", "dev", "lo"]);
        let listener = TcpListener::bind(SocketAddrV4::new(endpoint.addr, endpoint.port))
            .expect("bind the endpoint");
        listener.set_nonblocking(true).expect("nonblocking");
        let svc = Service {
            id: svclab_backend::ServiceId(1),
            namespace: "ns".into(),
            name: "race".into(),
            port_name: String::new(),
            vip: Ipv4Addr::new(10, 96, 7, 1),
            port: 80,
            protocol: Protocol::Tcp,
            // The second endpoint never answers: its slot is deleted below.
            endpoints: vec![
                endpoint,
                Endpoint {
                    addr: Ipv4Addr::new(10, 244, 7, 2),
                    port: 8080,
                },
            ],
        };
        let mut b = EbpfBackend::new(BackendConfig::default(), MapCapacity::for_services(2, 2))
            .expect("backend");
        b.sync(std::slice::from_ref(&svc)).expect("sync");
        let slot2: Lb4Key = entries::service_key(&svc, 2);
        let maps = &b.loaded.as_ref().expect("loaded").maps;
        sys::delete_elem(maps.services.fd().as_fd(), &slot2).expect("delete slot 2");

        let mut failed = 0;
        for _ in 0..CONNECTS {
            let mut client = Command::new("timeout");
            client
                .args(["5", "/bin/bash", "-c", "exec 3<>/dev/tcp/10.96.7.1/80"])
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let status = b
                .spawn_in_cgroup(&mut client)
                .expect("client in the lab cgroup")
                .wait()
                .expect("client status");
            if !status.success() {
                failed += 1;
            }
            while listener.accept().is_ok() {}
        }
        let events = b.reader_events().expect("LB4_EVENTS");
        // Each attempt picks slot 2 with probability 1/2: no retry in 24 connects is 2^-24.
        assert!(events.slot_missing > 0, "{events:?}");
        assert_eq!(
            events.backend_missing + events.inconsistent,
            0,
            "{events:?}"
        );
        // A connect fails only when all 4 attempts met the missing slot, and each such
        // failure is one `rejected`: the program's count and the clients' agree.
        assert_eq!(
            events.rejected, failed,
            "{events:?}, {failed} clients failed"
        );
        assert!(
            failed < CONNECTS,
            "no connect got through the retry: {events:?}"
        );
    };
    match std::thread::spawn(body).join() {
        Ok(()) => {}
        Err(panic) => std::panic::resume_unwind(panic),
    }
}
