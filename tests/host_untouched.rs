//! A full run must leave the machine's own network namespace exactly as it was: its iptables
//! (legacy and nft) and nftables state compared byte for byte, before and after.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

/// The root namespace's firewall as text. Only commands that read: `iptables-legacy-save` with no
/// `-t` lists tables that already exist (it does not instantiate any).
fn host_firewall() -> String {
    let mut state = String::new();
    for (tool, args) in [
        ("iptables-legacy-save", &[][..]),
        ("iptables-nft-save", &[][..]),
        ("ip6tables-legacy-save", &[][..]),
        ("nft", &["list", "ruleset"][..]),
    ] {
        let out = Command::new(tool)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{tool}: {e}"));
        assert!(
            out.status.success(),
            "{tool} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        // Drop the save tools' timestamp comments; everything else must match exactly.
        let body: Vec<&str> = text.lines().filter(|l| !l.starts_with("# ")).collect();
        state.push_str(&format!("== {tool}\n{}\n", body.join("\n")));
    }
    state.push_str(&std::fs::read_to_string("/proc/net/ip_tables_names").unwrap_or_default());
    state
}

#[test]
fn a_run_leaves_the_host_namespace_byte_identical() {
    let dir = tempfile::tempdir().expect("tempdir");
    let before = host_firewall();
    let mut child = common::svclab()
        .args([
            "run",
            "--scenario",
            "quick",
            "--out",
            dir.path().to_str().expect("utf-8 path"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("svclab starts");
    // Watch which namespaces and processes the run uses while it runs.
    let mut seen = common::Footprint::default();
    let status = loop {
        seen.sample(child.id());
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stderr = std::io::read_to_string(child.stderr.take().expect("stderr")).unwrap_or_default();
    // The summary table on stdout says which step failed; without it a failure is a bare code.
    let stdout = std::io::read_to_string(child.stdout.take().expect("stdout")).unwrap_or_default();
    assert!(
        status.success(),
        "run failed ({status}): {stderr}\n{stdout}"
    );
    assert_eq!(host_firewall(), before, "the host's firewall changed");
    // The run ends with its report, written next to the results.
    for file in ["index.html", "summary.md", "results.csv"] {
        assert!(dir.path().join(file).is_file(), "the run wrote no {file}");
    }
    seen.assert_nothing_left();
}
