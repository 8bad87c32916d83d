//! The data path: a process in the lab cgroup that connects to a VIP reaches one of that
//! Service's endpoints; a process outside the cgroup is not translated. All addresses live on
//! `lo` of a network namespace the test made.

mod common;

use common::{add_local, bash_client, connect_here, in_new_netns, service, Listener};
use std::net::SocketAddrV4;
use std::process::{Command, Stdio};
use svclab_backend::{BackendConfig, ServiceBackend};
use svclab_ebpf::{EbpfBackend, MapCapacity};

/// Run `command` in the lab cgroup and return what it printed (the label of the listener).
fn in_cgroup(b: &mut EbpfBackend, mut command: Command) -> (bool, String) {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = b
        .spawn_in_cgroup(&mut command)
        .expect("spawn a client in the lab cgroup");
    let out = child.wait_with_output().expect("wait for the client");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn connect_in_the_lab_cgroup_reaches_an_endpoint_and_outside_does_not() {
    in_new_netns(|| {
        let mut svc = service(3, 2);
        let vip = SocketAddrV4::new(svc.vip, svc.port);
        let ep: Vec<SocketAddrV4> = svc
            .endpoints
            .iter()
            .map(|e| SocketAddrV4::new(e.addr, e.port))
            .collect();
        for addr in [vip.ip(), ep[0].ip(), ep[1].ip()] {
            add_local(*addr);
        }
        // The VIP is local too, so an untranslated connection succeeds and says so.
        let direct = Listener::start(vip, "vip-itself");
        let first = Listener::start(ep[0], "endpoint-0");
        let second = Listener::start(ep[1], "endpoint-1");

        let mut b = EbpfBackend::new(BackendConfig::default(), MapCapacity::for_services(16, 2))
            .expect("backend");
        let others: Vec<_> = (10..14).map(|i| service(i, 2)).collect();
        b.sync(&others).expect("sync other Services");
        b.add(&svc).expect("add the Service under test");

        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..12 {
            let (ok, label) = in_cgroup(&mut b, bash_client(vip));
            assert!(ok, "client in the lab cgroup could not connect to {vip}");
            assert!(
                label.starts_with("endpoint-"),
                "translated connect reached {label:?}"
            );
            seen.insert(label);
        }
        assert_eq!(
            direct.count(),
            0,
            "no cgroup connection may reach the VIP itself"
        );
        assert_eq!(first.count() + second.count(), 12);
        // 12 random picks of 2 miss one endpoint with probability 2^-11.
        assert_eq!(seen.len(), 2, "random backend selection used only {seen:?}");

        let label = connect_here(vip).expect("connect from outside the cgroup");
        assert_eq!(
            label, "vip-itself",
            "a process outside the lab cgroup was translated"
        );

        // After an update to one endpoint every connection goes there.
        svc.endpoints.truncate(1);
        b.update_endpoints(svc.id, &svc.endpoints)
            .expect("update to one endpoint");
        let before = second.count();
        for _ in 0..4 {
            let (_, label) = in_cgroup(&mut b, bash_client(vip));
            assert_eq!(label, "endpoint-0");
        }
        assert_eq!(
            second.count(),
            before,
            "a removed endpoint still got connections"
        );

        // Removed: the VIP is no longer translated, even inside the cgroup.
        b.remove(svc.id).expect("remove");
        let (_, label) = in_cgroup(&mut b, bash_client(vip));
        assert_eq!(label, "vip-itself");

        let cgroup = b.cgroup().expect("loaded").path().to_path_buf();
        b.cleanup().expect("cleanup");
        assert!(!cgroup.exists(), "cleanup left {}", cgroup.display());
    });
}

#[test]
fn a_service_without_endpoints_refuses_connections_in_the_cgroup() {
    in_new_netns(|| {
        let svc = service(5, 0);
        let vip = SocketAddrV4::new(svc.vip, svc.port);
        add_local(svc.vip);
        let direct = Listener::start(vip, "vip-itself");
        let mut b = EbpfBackend::new(BackendConfig::default(), MapCapacity::for_services(4, 2))
            .expect("backend");
        b.sync(std::slice::from_ref(&svc)).expect("sync");
        let (ok, label) = in_cgroup(&mut b, bash_client(vip));
        assert!(
            !ok && label.is_empty(),
            "connect should fail (EPERM), got {label:?}"
        );
        assert_eq!(direct.count(), 0);
        assert_eq!(connect_here(vip).expect("outside"), "vip-itself");
    });
}
