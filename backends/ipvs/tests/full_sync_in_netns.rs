//! The `ipvs` backend's full sync against the real kernel (run in the lab VM by
//! scripts/vm-kernel-tests.sh; on a kernel without IPVS each test checks the typed error).
//!
//! A full sync dumps the kernel and sends only the difference, as kube-proxy does. These tests
//! read the result back twice, independently: with the client's own dumps and with
//! `ipvsadm -Ln`, and both must list exactly the desired Services.

mod common;

use common::{has_ipvs, in_new_netns};
use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::process::Command;
use std::time::Duration;
use svclab_backend::{BackendConfig, BackendError, Endpoint, Protocol, Service, ServiceBackend};
use svclab_backend::{CancelFlag, ServiceId};
use svclab_ipvs::client::{Client, Watch};
use svclab_ipvs::message::{service_text, IpvsMessage, AF_INET};
use svclab_ipvs::socket::NetlinkSocket;
use svclab_ipvs::{layout, IpvsBackend, Variant};

/// Service `i` (VIP 10.96.x.y, port 80 or 53/udp) with endpoints 10.244.x.e for each `e`.
fn service(i: u16, endpoints: &[u8]) -> Service {
    let [hi, lo] = i.to_be_bytes();
    let udp = i % 5 == 0;
    Service {
        id: ServiceId(u32::from(i)),
        namespace: "default".into(),
        name: format!("svc-{i}"),
        port_name: "p".into(),
        vip: Ipv4Addr::new(10, 96, hi, lo),
        port: if udp { 53 } else { 80 },
        protocol: if udp { Protocol::Udp } else { Protocol::Tcp },
        endpoints: endpoints
            .iter()
            .map(|e| Endpoint {
                addr: Ipv4Addr::new(10, 244, lo, *e),
                port: 8080,
            })
            .collect(),
    }
}

/// One line per real server (or per service without any), as both read-backs render them.
fn expected(services: &[Service]) -> BTreeSet<String> {
    let mut lines = BTreeSet::new();
    for s in services {
        let proto = match s.protocol {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        };
        let head = format!("{proto} {}:{} rr", s.vip, s.port);
        if s.endpoints.is_empty() {
            lines.insert(head.clone());
        }
        for e in &s.endpoints {
            lines.insert(format!("{head} -> {}:{} Masq 1", e.addr, e.port));
        }
    }
    lines
}

/// The same lines from the client's GET_SERVICE and GET_DEST dumps.
fn dumped() -> BTreeSet<String> {
    let socket = NetlinkSocket::open().expect("generic netlink socket");
    let mut client = Client::new(socket);
    let watch = Watch::new(Duration::from_secs(60), &CancelFlag::new());
    let mut lines = BTreeSet::new();
    for vs in client.services(&watch).expect("GET_SERVICE dump") {
        let text = service_text(&vs); // 10.96.0.1:80/tcp
        let (endpoint, proto) = text.split_once('/').expect("addr/proto");
        let head = format!("{} {endpoint} {}", proto.to_uppercase(), vs.sched_name);
        let dests = client.dests(&vs, &watch).expect("GET_DEST dump");
        if dests.is_empty() {
            lines.insert(head.clone());
        }
        for d in dests {
            assert_eq!(d.af, AF_INET);
            let fwd = if d.fwd_method == 0 { "Masq" } else { "other" };
            let addr = d.addr.ipv4();
            lines.insert(format!("{head} -> {addr}:{} {fwd} {}", d.port, d.weight));
        }
    }
    lines
}

/// The same lines from `ipvsadm -Ln`, a separate program with its own netlink code (libnl).
fn ipvsadm_listed() -> BTreeSet<String> {
    let out = Command::new("ipvsadm")
        .arg("-Ln")
        .output()
        .expect("ipvsadm runs (scripts/setup.sh installs it; the lab VM image carries it)");
    assert!(out.status.success(), "ipvsadm -Ln: {out:?}");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let (mut lines, mut head, mut bare) = (BTreeSet::new(), String::new(), false);
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [proto @ ("TCP" | "UDP"), endpoint, sched, ..] => {
                if bare {
                    lines.insert(head.clone());
                }
                head = format!("{proto} {endpoint} {sched}");
                bare = true;
            }
            ["->", endpoint, fwd, weight, ..] if *endpoint != "RemoteAddress:Port" => {
                lines.insert(format!("{head} -> {endpoint} {fwd} {weight}"));
                bare = false;
            }
            _ => {}
        }
    }
    if bare {
        lines.insert(head);
    }
    lines
}

/// Both read-backs list exactly `services`.
fn assert_kernel_holds(services: &[Service], when: &str) {
    let want = expected(services);
    let by_dump = dumped();
    assert_eq!(by_dump, want, "{when}: the client's dump differs");
    assert_eq!(ipvsadm_listed(), want, "{when}: ipvsadm -Ln differs");
}

#[test]
fn full_syncs_converge_and_send_only_the_difference() {
    in_new_netns(|| {
        let mut backend = IpvsBackend::new(Variant::Netlink, BackendConfig::default())
            .expect("a backend in a namespace the test made");
        let first: Vec<Service> = (1..=300).map(|i| service(i, &[2, 3])).collect();
        let report = backend.sync(&first);
        if !has_ipvs() {
            assert!(
                matches!(report, Err(BackendError::KernelFeatureMissing { .. })),
                "{report:?}"
            );
            return;
        }
        let report = report.expect("initial sync");
        assert_eq!(report.objects_written, 300 * 3);
        assert_kernel_holds(&first, "after the initial sync");

        // Same set again: only the dumps (one for the services, one per service's dests).
        let again = backend.sync(&first).expect("resync");
        assert_eq!((again.objects_written, again.kernel_calls), (0, 301));
        assert_kernel_holds(&first, "after a resync of the same set");

        // 1..=50 go, 51..=100 get new endpoints, 301..=350 are new (one without endpoints).
        let mut second: Vec<Service> = (51..=100).map(|i| service(i, &[3, 4])).collect();
        second.extend((101..=300).map(|i| service(i, &[2, 3])));
        second.extend((301..=349).map(|i| service(i, &[7])));
        second.push(service(350, &[]));
        let report = backend.sync(&second).expect("sync of a changed set");
        let changes = 50 + 50 * 2 + (49 * 2 + 1);
        assert_eq!(report.objects_written, changes);
        assert_kernel_holds(&second, "after a sync of a changed set");

        // Someone else deletes a real server behind the backend's back: the next full sync
        // reads the kernel, not its own memory, and puts back exactly that one.
        let victim = &second[0];
        let socket = NetlinkSocket::open().expect("socket");
        let watch = Watch::new(Duration::from_secs(10), &CancelFlag::new());
        let vs = layout::virtual_service(victim);
        let rs = layout::real_server(&victim.endpoints[0]);
        Client::new(socket)
            .request(IpvsMessage::del_dest(&vs, &rs), &watch)
            .expect("DEL_DEST from outside");
        let repaired = backend.sync(&second).expect("resync after tampering");
        assert_eq!(repaired.objects_written, 1);
        assert_kernel_holds(&second, "after repairing a deleted real server");

        backend.cleanup().expect("cleanup");
        assert!(dumped().is_empty(), "cleanup leaves no virtual service");
    });
}

/// The document's method side by side: `ipvsadm -C` + `-R` leaves the same table.
#[test]
fn ipvsadm_restore_leaves_the_same_table() {
    in_new_netns(|| {
        let mut backend = IpvsBackend::new(Variant::Ipvsadm, BackendConfig::default())
            .expect("a backend in a namespace the test made");
        let set: Vec<Service> = (1..=100).map(|i| service(i, &[2, 3])).collect();
        let report = backend.sync(&set);
        if !has_ipvs() {
            assert!(report.is_err(), "{report:?}");
            return;
        }
        report.expect("ipvsadm -R");
        assert_kernel_holds(&set, "after ipvsadm -R");
        backend.cleanup().expect("cleanup");
    });
}
