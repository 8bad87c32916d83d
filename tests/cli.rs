//! The binary's contract with users: exit codes and messages for bad input and missing privilege.

mod common;

use common::{run, scenario};
use std::process::Command;

#[test]
fn malformed_scenario_exits_2_with_file_line_and_hint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = scenario(dir.path(), "bad.toml", "scale = [1, 10]\nrepetitons = 3\n");
    let out = run(&[
        "run",
        "--scenario",
        path.to_str().expect("utf-8 path"),
        "--out",
        dir.path().to_str().expect("path"),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad.toml:2:1: unknown field `repetitons`"),
        "{stderr}"
    );
    assert!(stderr.contains("hint:"), "{stderr}");
    assert!(!dir.path().join("results.jsonl").exists(), "nothing ran");
}

#[test]
fn out_of_range_value_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = scenario(dir.path(), "range.toml", "scale = [1, 200000]\n");
    let out = run(&["run", "--scenario", path.to_str().expect("utf-8 path")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("range.toml:1:13: scale point 200000 is out of range"),
        "{stderr}"
    );
}

#[test]
fn missing_scenario_file_exits_2() {
    let out = run(&["run", "--scenario", "/nonexistent/s.toml"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot read scenario /nonexistent/s.toml"),
        "{stderr}"
    );
}

#[test]
fn unknown_backend_exits_2_and_lists_known_ones() {
    let out = run(&[
        "run",
        "--scenario",
        "quick",
        "--backends",
        "iptables-legacy,bogus",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unknown backend \"bogus\""), "{stderr}");
    assert!(stderr.contains("iptables-nft"), "{stderr}");
}

#[test]
fn in_vm_naming_a_backend_outside_the_run_exits_2() {
    let out = run(&[
        "run",
        "--scenario",
        "quick",
        "--backends",
        "iptables-legacy,ipvs",
        "--in-vm",
        "ebpf",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--in-vm names \"ebpf\""), "{stderr}");
    assert!(stderr.contains("iptables-legacy, ipvs"), "{stderr}");
}

#[test]
fn without_privilege_run_says_what_it_needs_and_exits_1() {
    // setpriv (util-linux) drops to nobody with no capabilities.
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--",
        ])
        .arg(env!("CARGO_BIN_EXE_svclab"))
        .args([
            "run",
            "--scenario",
            "quick",
            "--out",
            "/tmp/svclab-nonroot-test",
        ])
        .output()
        .expect("setpriv runs (Debian package util-linux)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("svclab needs root, or the capabilities CAP_NET_ADMIN and CAP_SYS_ADMIN"),
        "{stderr}"
    );
}

#[test]
fn list_and_doctor_describe_every_backend() {
    let list = run(&["list"]);
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(list.status.success());
    for name in [
        "iptables-legacy",
        "iptables-nft",
        "iptables-cmd",
        "nftables",
        "nftables-1.36",
        "seed-table",
        "scale",
        "quick",
    ] {
        assert!(text.contains(name), "list lacks {name}:\n{text}");
    }
    let doctor = run(&["doctor"]);
    let text = String::from_utf8_lossy(&doctor.stdout);
    for name in ["iptables-legacy", "iptables-nft", "iptables-cmd"] {
        assert!(
            text.contains(&format!("{name:<18} available: iptables v1.8")),
            "{text}"
        );
    }
    for name in ["nftables", "nftables-1.36"] {
        assert!(
            text.contains(&format!("{name:<18} available: nftables v1.")),
            "{text}"
        );
    }
    assert!(
        text.contains(&format!("{:<18} available: BPF syscall works", "ebpf")),
        "{text}"
    );
    let has_ipvs = std::path::Path::new("/proc/net/ip_vs").exists();
    for name in ["ipvs", "ipvsadm"] {
        let expected = if has_ipvs {
            format!("{name:<18} available")
        } else {
            format!("{name:<18} UNAVAILABLE: kernel has no IPVS")
        };
        assert!(text.contains(&expected), "{text}");
    }
    // Exit 0 only when every backend can run here.
    assert_eq!(
        doctor.status.code(),
        Some(if has_ipvs { 0 } else { 1 }),
        "{text}"
    );
}
