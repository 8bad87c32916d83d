//! `svclab render`: what each backend hands the kernel for a full sync, for a user's own
//! Services or synthetic ones, and exit 2 with the file and entry for bad input.

mod common;

use common::run;
use svclab::registry;

const SVC4: &str = r#"[{"namespace": "ns4", "name": "svc4", "port_name": "p80",
  "vip": "172.30.0.44", "port": 80, "protocol": "tcp",
  "endpoints": [{"addr": "10.180.0.4", "port": 80}, {"addr": "10.180.0.5", "port": 80}]}]"#;

fn file(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write Services file");
    path.to_str().expect("utf-8 path").to_string()
}

#[test]
fn every_backend_renders_a_users_services() {
    let dir = tempfile::tempdir().expect("tempdir");
    let svc4 = file(dir.path(), "svc4.json", SVC4);
    for name in registry::names() {
        let out = run(&[
            "render",
            "--backend",
            name,
            "--services-file",
            &svc4,
            "--cluster-cidr",
            "10.0.0.0/8",
        ]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Every data plane names the VIP and both endpoints somewhere in what it writes.
        for needle in ["172.30.0.44", "10.180.0.4", "10.180.0.5"] {
            assert!(stdout.contains(needle), "{name} lacks {needle}:\n{stdout}");
        }
    }
    let out = run(&[
        "render",
        "--backend",
        "iptables-legacy",
        "--services-file",
        &svc4,
        "--cluster-cidr",
        "10.0.0.0/8",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(
        "-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment \"ns4/svc4:p80 cluster IP\" -m tcp -p tcp -d 172.30.0.44 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ\n"
    ), "{stdout}");
}

#[test]
fn synthetic_services_from_a_scenario() {
    let out = run(&[
        "render",
        "--backend",
        "iptables-nft",
        "--scenario",
        "quick",
        "--services",
        "3",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let jumps = stdout
        .lines()
        .filter(|l| l.starts_with("-A KUBE-SERVICES") && l.contains("cluster IP"))
        .count();
    assert_eq!(jumps, 3, "{stdout}");
}

#[test]
fn bad_input_exits_2_naming_file_and_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = file(
        dir.path(),
        "bad.json",
        &SVC4.replace("10.180.0.5", "10.180.0.500"),
    );
    let out = run(&["render", "--backend", "ebpf", "--services-file", &bad]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad.json: entry 0 (ns4/svc4): endpoints[1].addr: invalid IPv4 address"),
        "{stderr}"
    );

    let svc4 = file(dir.path(), "svc4.json", SVC4);
    let out = run(&["render", "--backend", "nope", "--services-file", &svc4]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unknown backend \"nope\""), "{stderr}");

    let missing = dir.path().join("missing.json");
    let out = run(&[
        "render",
        "--backend",
        "ebpf",
        "--services-file",
        missing.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.json"));
}
