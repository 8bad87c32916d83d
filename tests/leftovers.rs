//! SIGKILL during the eBPF backend: the killed run's lab cgroup stays (nothing can run on
//! SIGKILL), and the next run removes it, so the cgroup tree is as it was before the first.

mod common;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// The cgroup v2 mount, as the backend finds it (first cgroup2 line of mountinfo).
fn cgroup2_root() -> PathBuf {
    let text = std::fs::read_to_string("/proc/self/mountinfo").expect("read mountinfo");
    text.lines()
        .find_map(|line| {
            let (before, after) = line.split_once(" - ")?;
            (after.split_whitespace().next()? == "cgroup2")
                .then(|| before.split_whitespace().nth(4).map(PathBuf::from))?
        })
        .expect("the eBPF backend needs a cgroup v2 mount; mount one")
}

/// Lab cgroups under the root: `svclab-<pid>-<n>`.
fn lab_cgroups(root: &PathBuf) -> BTreeSet<String> {
    std::fs::read_dir(root)
        .expect("read the cgroup v2 root")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("svclab-"))
        .collect()
}

fn owner(name: &str) -> Option<u32> {
    name.strip_prefix("svclab-")?
        .split('-')
        .next()?
        .parse()
        .ok()
}

fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// One scale point whose backend lives for seconds (100 full syncs of 20,000 Services, each
/// tens of ms even as a no-op diff), so a kill 300 ms after its cgroup appears lands inside it.
const SCENARIO: &str = "backends = [\"ebpf\"]\nscale = [20000]\nrepetitions = 100\n\
                        warmup = 1\n[cumulative]\nenabled = false\n[datapath]\nenabled = false\n";

/// The second run: anything that starts is enough, since leftovers go before the first step.
const SMALL: &str = "backends = [\"ebpf\"]\nscale = [1]\nrepetitions = 1\nwarmup = 0\n\
                     [cumulative]\nenabled = false\n[datapath]\nenabled = false\n";

fn start(dir: &std::path::Path, out: &str, scenario: &str) -> std::process::Child {
    let path = common::scenario(dir, &format!("{out}.toml"), scenario);
    common::svclab()
        .args(["run", "--where", "host", "--scenario"])
        .arg(&path)
        .arg("--out")
        .arg(dir.join(out))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("svclab starts")
}

#[test]
fn a_run_after_sigkill_removes_the_killed_runs_cgroup() {
    let root = cgroup2_root();
    let before = lab_cgroups(&root);
    let dir = tempfile::tempdir().expect("tempdir");

    let mut first = start(dir.path(), "first", SCENARIO);
    let pid = first.id();
    let mine = |n: &String| owner(n) == Some(pid);
    let started = Instant::now();
    while !lab_cgroups(&root).iter().any(mine) {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the run never created its lab cgroup"
        );
        assert!(
            first.try_wait().expect("wait").is_none(),
            "the run ended before its eBPF backend loaded"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // In the middle of the eBPF backend: its program is attached to that cgroup.
    std::thread::sleep(Duration::from_millis(300));
    kill(Pid::from_raw(pid as i32), Signal::SIGKILL).expect("SIGKILL the run");
    first.wait().expect("reap the killed run");
    let left: Vec<String> = lab_cgroups(&root).into_iter().filter(mine).collect();
    assert!(
        !left.is_empty(),
        "SIGKILL left no cgroup: the test did not kill the run inside the eBPF backend"
    );

    let second = start(dir.path(), "second", SMALL)
        .wait_with_output()
        .expect("second run");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(second.status.success(), "second run failed: {stderr}");
    for name in &left {
        assert!(
            stderr.contains(&format!("removed the cgroup {}", root.join(name).display())),
            "the second run did not say it removed {name}: {stderr}"
        );
    }
    // As before the first run, except lab cgroups of other processes that are alive now
    // (tests of other crates may run at the same time).
    let after = lab_cgroups(&root);
    let unexpected: Vec<&String> = after
        .difference(&before)
        .filter(|n| owner(n).is_none_or(|p| p == pid || !alive(p)))
        .collect();
    assert!(unexpected.is_empty(), "left behind: {unexpected:?}");
    assert!(
        !after.iter().any(mine),
        "the killed run's cgroup is still there"
    );
}
