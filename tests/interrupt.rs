//! Ctrl-C during a run: the run stops, keeps every finished measurement, exits 130, and leaves no
//! network namespace and no helper process behind.

mod common;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::process::Stdio;
use std::time::{Duration, Instant};

#[test]
fn ctrl_c_mid_run_leaves_no_namespace_and_keeps_results() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = common::scenario(
        dir.path(),
        "long.toml",
        "backends = [\"iptables-legacy\"]\nscale = [1, 3000, 6000, 9000]\nrepetitions = 50\n",
    );
    let results = dir.path().join("results.jsonl");
    let mut child = common::svclab()
        .args([
            "run",
            "--scenario",
            path.to_str().expect("path"),
            "--out",
            dir.path().to_str().expect("path"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("svclab starts");
    let pid = child.id();

    // Wait until it has measured something and is busy in a sandbox at a larger scale point.
    let started = Instant::now();
    let mut seen = common::Footprint::default();
    loop {
        seen.sample(pid);
        let lines = common::results_lines(&results);
        let measured = lines
            .iter()
            .filter(|r| r["record"] == "measurement")
            .count();
        if measured >= 6 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "run made no progress"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    seen.sample(pid);
    kill(Pid::from_raw(pid as i32), Signal::SIGINT).expect("send SIGINT");

    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "svclab did not stop within 60 s of Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = std::io::read_to_string(child.stderr.take().expect("stderr")).unwrap_or_default();
    assert_eq!(status.code(), Some(130), "{stderr}");

    let lines = common::results_lines(&results);
    assert_eq!(
        lines.first().map(|r| r["record"].clone()),
        Some("environment".into())
    );
    let end = lines.last().expect("records");
    assert_eq!(end["record"], "run_end", "{end}");
    assert_eq!(end["status"], "interrupted", "{end}");
    assert!(
        lines
            .iter()
            .filter(|r| r["record"] == "measurement")
            .count()
            >= 6
    );

    // An interrupted run still gets its report, which says so.
    let html = std::fs::read_to_string(dir.path().join("index.html")).unwrap_or_default();
    assert!(
        html.contains("class=\"status interrupted\""),
        "report of the interrupted run"
    );

    // Every namespace the run used (besides the one it started in) is gone.
    seen.assert_nothing_left();
}
