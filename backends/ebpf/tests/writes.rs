//! What a full sync hands the kernel, counted independently of the backend: this test binary
//! runs its own `resync_then_change_one_service` under `strace -f -e trace=bpf,access`, and the
//! bpf(2) calls between markers are counted from strace's log.
//!
//! A resync of an unchanged set must make no bpf(2) call at all; a resync in which one Service's
//! endpoint changed must write exactly that Service's changed entries (a new backend, one slot)
//! and delete the backend nothing references any more.

mod common;

use common::{in_new_netns, services};
use std::ffi::CString;
use std::process::Command;
use svclab_backend::{BackendConfig, Endpoint, ServiceBackend, WriteKind};
use svclab_ebpf::{EbpfBackend, MapCapacity};

const START: &str = "/svclab-marker/resync-unchanged";
const CHANGE: &str = "/svclab-marker/resync-one-changed";
const END: &str = "/svclab-marker/end";

/// A syscall strace shows with its argument, made where a section of the log begins.
fn marker(path: &str) {
    let path = CString::new(path).expect("marker path");
    // SAFETY: a valid NUL-terminated path; access(2) only reads it. The result is irrelevant.
    unsafe { libc::access(path.as_ptr(), libc::F_OK) };
}

#[test]
#[ignore = "run by an_unchanged_resync_makes_no_bpf_call_and_a_change_writes_only_it under strace"]
fn resync_then_change_one_service() {
    in_new_netns(|| {
        let mut set = services(300, 2);
        let mut b = EbpfBackend::new(BackendConfig::default(), MapCapacity::for_services(301, 2))
            .expect("backend");
        b.sync(&set).expect("first sync");

        marker(START);
        let resync = b.sync(&set).expect("unchanged resync");
        marker(CHANGE);
        set[7].endpoints[1] = Endpoint {
            addr: "10.245.0.1".parse().expect("address"),
            port: 8080,
        };
        let changed = b.sync(&set).expect("resync with one change");
        marker(END);

        assert_eq!(
            (resync.objects_written, resync.kernel_calls),
            (0, 0),
            "{resync:?}"
        );
        assert_eq!(resync.write, Some(WriteKind::Diff));
        // One new backend, Service 7's slot 2, and the delete of its old backend.
        assert_eq!(changed.objects_written, 3, "{changed:?}");
        assert_eq!(
            b.kernel_objects().expect("read back"),
            b.expected_objects(&set)
        );
        println!(
            "backend says: resync {} calls, change {} calls",
            resync.kernel_calls, changed.kernel_calls
        );
    });
}

/// bpf(2) calls of one section of the log: (command, element count) per call.
fn section<'a>(log: &'a str, from: &str, to: &str) -> Vec<(&'a str, u64)> {
    let start = log
        .find(from)
        .unwrap_or_else(|| panic!("no marker {from} in:\n{log}"));
    let end = log
        .find(to)
        .unwrap_or_else(|| panic!("no marker {to} in:\n{log}"));
    log[start..end]
        .lines()
        .filter_map(|line| {
            let call = &line[line.find("bpf(")? + 4..];
            let command = call.split(',').next()?;
            // Batches say how many elements in `count=`; single-element commands are one.
            let count = call
                .split("count=")
                .nth(1)
                .and_then(|c| c.split(|ch: char| !ch.is_ascii_digit()).next())
                .and_then(|c| c.parse().ok())
                .unwrap_or(1);
            Some((command, count))
        })
        .collect()
}

#[test]
fn an_unchanged_resync_makes_no_bpf_call_and_a_change_writes_only_it() {
    let dir = std::env::temp_dir().join(format!("svclab-strace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let log_path = dir.join("strace.log");
    let exe = std::env::current_exe().expect("own test binary");
    let out = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=bpf,access", "-o"])
        .arg(&log_path)
        .arg(&exe)
        .args([
            "--exact",
            "resync_then_change_one_service",
            "--ignored",
            "--nocapture",
        ])
        .output()
        .unwrap_or_else(|e| panic!("running strace failed ({e}): install strace"));
    let log = std::fs::read_to_string(&log_path).expect("strace log");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "the traced test failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let resync = section(&log, START, CHANGE);
    assert!(
        resync.is_empty(),
        "an unchanged resync made bpf calls: {resync:?}"
    );

    let change = section(&log, CHANGE, END);
    let total = |prefix: &str| -> u64 {
        (change.iter())
            .filter(|(c, _)| c.starts_with(prefix))
            .map(|(_, n)| n)
            .sum()
    };
    assert_eq!(
        total("BPF_MAP_UPDATE"),
        2,
        "one backend and one slot: {change:?}"
    );
    assert_eq!(total("BPF_MAP_DELETE"), 1, "the old backend: {change:?}");
    assert!(
        change.iter().all(|(c, _)| c.starts_with("BPF_MAP_")),
        "only map writes: {change:?}"
    );
    // The backend's own count of its syscalls agrees with strace's.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("change {} calls", change.len())),
        "backend and strace disagree ({} calls traced): {stdout}",
        change.len()
    );
}
