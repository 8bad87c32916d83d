//! The data path against the real kernel: each host backend forwards connections to the right
//! endpoints, and a deliberately broken rule set is caught by the probe.

use std::io::Write;
use std::net::SocketAddrV4;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;
use svclab::datapath::{verdict, ProbeClient, Topology};
use svclab::{registry, sandbox, synth};
use svclab_backend::{BackendConfig, Service};

const HOST_BACKENDS: [&str; 6] = [
    "iptables-legacy",
    "iptables-nft",
    "iptables-cmd",
    "nftables",
    "nftables-1.36",
    "ebpf",
];

fn client(cgroup: Option<PathBuf>) -> ProbeClient {
    ProbeClient {
        binary: PathBuf::from(env!("CARGO_BIN_EXE_svclab")),
        cgroup,
        timeout: Duration::from_millis(500),
        cancel: svclab_backend::CancelFlag::new(),
    }
}

/// More targets than a pipe holds, in and out: the client must not deadlock on its own output
/// while the lab is still writing its input (each connection is refused at once: nothing
/// listens on port 9 of a fresh namespace's loopback).
#[test]
fn a_client_fed_more_than_a_pipe_holds_answers_every_line() {
    let targets: Vec<(SocketAddrV4, usize)> = (0..20_000)
        .map(|_| (SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 9), 1))
        .collect();
    let results = sandbox::run_in_fresh_netns(move || client(None).connect(&targets))
        .expect("sandbox")
        .expect("the client answers");
    assert_eq!(results.len(), 20_000);
    assert!(results
        .iter()
        .all(|r| r.reached.is_none() && r.error.is_some()));
}

fn targets(services: &[Service], each: usize) -> Vec<(SocketAddrV4, usize)> {
    services.iter().map(|s| (verdict::vip(s), each)).collect()
}

#[test]
fn every_host_backend_forwards_to_the_right_endpoints() {
    let set = synth::generate(21, 40, 2);
    for name in HOST_BACKENDS {
        let problems = sandbox::run_in_fresh_netns(|| {
            let _topology = Topology::build(vec![8080]).expect("topology");
            let mut backend = registry::create(name, BackendConfig::default()).expect("create");
            backend.sync(&set.services).expect("sync");
            let client = client(backend.client_cgroup());
            let results = client
                .connect(&targets(&set.services, 16))
                .expect("probe client");
            let mut problems = Vec::new();
            for (svc, mine) in set.services.iter().zip(results.chunks(16)) {
                problems.extend(verdict::translated(svc, mine));
                problems.extend(verdict::balanced(svc, mine));
            }
            // A removed Service is no longer translated.
            backend.remove(set.services[7].id).expect("remove");
            let after = client
                .connect(&targets(&set.services[7..8], 3))
                .expect("probe client");
            problems.extend(verdict::not_translated(&set.services[7], &after));
            assert_eq!(after.len(), 3);
            drop(backend);
            problems
        })
        .expect("sandbox");
        assert!(problems.is_empty(), "{name}: {problems:#?}");
    }
}

#[test]
fn a_wrong_dnat_port_is_caught_by_the_probe() {
    let set = synth::generate(22, 10, 2);
    let broken = &set.services[4];
    let problems = sandbox::run_in_fresh_netns(|| {
        let _topology = Topology::build(vec![8080]).expect("topology");
        let mut backend =
            registry::create("iptables-legacy", BackendConfig::default()).expect("create");
        backend.sync(&set.services).expect("sync");
        // Break one endpoint's DNAT: same address, wrong port (nothing listens on 9999).
        let ep = broken.endpoints[0];
        let save = Command::new("iptables-legacy-save")
            .args(["-t", "nat"])
            .output()
            .expect("save");
        let text = String::from_utf8_lossy(&save.stdout).replace(
            &format!("--to-destination {ep}"),
            &format!("--to-destination {}:9999", ep.addr),
        );
        let mut restore = Command::new("iptables-legacy-restore")
            .stdin(Stdio::piped())
            .spawn()
            .expect("restore");
        restore
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write");
        assert!(restore.wait().expect("wait").success());

        let results = client(None)
            .connect(&targets(std::slice::from_ref(broken), 16))
            .expect("probe");
        let healthy = client(None)
            .connect(&targets(&set.services[5..6], 16))
            .expect("probe");
        (
            verdict::translated(broken, &results),
            verdict::translated(&set.services[5], &healthy),
        )
    })
    .expect("sandbox");
    assert!(!problems.0.is_empty(), "the probe missed a wrong DNAT port");
    assert!(
        problems
            .0
            .iter()
            .all(|p| p.contains(&broken.id.to_string())),
        "{:?}",
        problems.0
    );
    assert!(
        problems.1.is_empty(),
        "an intact Service was reported broken: {:?}",
        problems.1
    );
}

/// The first-packet client through every host backend: every timed connect to a VIP and to an
/// endpoint succeeds, one answer per input line; with the Services removed, the VIPs answer
/// nothing (no listener holds them), so a client that timed failures as successes would fail.
#[test]
fn first_packet_connects_succeed_through_every_host_backend() {
    let set = synth::generate(23, 50, 2);
    for name in HOST_BACKENDS {
        let (synced, removed) = sandbox::run_in_fresh_netns(|| {
            let _topology = Topology::build(vec![8080]).expect("topology");
            let mut backend = registry::create(name, BackendConfig::default()).expect("create");
            backend.sync(&set.services).expect("sync");
            let client = client(backend.client_cgroup());
            let endpoint = set.services[0].endpoints[0];
            let lines = vec![
                (verdict::vip(&set.services[0]), 50),
                (verdict::vip(&set.services[49]), 50),
                (SocketAddrV4::new(endpoint.addr, endpoint.port), 50),
            ];
            let synced = client.first_packet(&lines).expect("first-packet client");
            backend.sync(&[]).expect("sync of nothing");
            let removed = client
                .first_packet(&[(lines[0].0, 3)])
                .expect("first-packet client");
            (synced, removed)
        })
        .expect("sandbox");
        assert_eq!(synced.len(), 3, "{name}: one answer per line");
        for times in &synced {
            assert_eq!(
                (times.samples_ns.len(), times.failed),
                (50, 0),
                "{name} {}: {:?}",
                times.target,
                times.errors
            );
        }
        assert_eq!(removed[0].failed, 3, "{name}: a removed VIP still answered");
    }
}
