//! The lab never makes the host's own iptables users wait: while a sandboxed iptables-legacy
//! restore of 5,000 Services runs, no process of the lab holds the machine's xtables lock file
//! (`/run/xtables.lock`), and it does hold its sandbox's private one. Watched passively through
//! `/proc/<pid>/fd`, so the test itself never takes or creates the host's lock.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use svclab::{registry, sandbox, synth};
use svclab_backend::BackendConfig;
use svclab_iptables::lock::HOST_LOCKFILE;

/// Every file the children of this process have open now.
fn children_open_files() -> BTreeSet<PathBuf> {
    let me = std::process::id().to_string();
    let mut files = BTreeSet::new();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return files;
    };
    for entry in procs.flatten() {
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // Field 4 (after the parenthesised command name) is the parent pid.
        let ppid = stat
            .rsplit(')')
            .next()
            .and_then(|rest| rest.split_whitespace().nth(1));
        if ppid != Some(me.as_str()) {
            continue;
        }
        if let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) {
            files.extend(
                fds.flatten()
                    .filter_map(|fd| std::fs::read_link(fd.path()).ok()),
            );
        }
    }
    files
}

#[test]
fn a_sandboxed_restore_takes_its_own_lock_never_the_hosts() {
    let set = synth::generate(2017, 5_000, 2);
    let done = AtomicBool::new(false);
    let seen = std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let mut seen = BTreeSet::new();
            while !done.load(Ordering::SeqCst) {
                seen.extend(children_open_files());
                std::thread::sleep(Duration::from_millis(2));
            }
            seen
        });
        sandbox::run_in_fresh_netns(|| {
            let mut backend = registry::create("iptables-legacy", BackendConfig::default())
                .expect("iptables-legacy backend");
            // Twice: the second restore replaces a full table, the longest hold of the lock.
            for _ in 0..2 {
                backend.sync(&set.services).expect("sync of 5,000 services");
            }
            backend.cleanup().expect("cleanup");
        })
        .expect("sandbox");
        done.store(true, Ordering::SeqCst);
        watcher.join().expect("watcher thread")
    });
    let host = PathBuf::from(HOST_LOCKFILE);
    assert!(
        !seen.contains(&host),
        "a lab process held the machine's {HOST_LOCKFILE}: the host's iptables waited on the lab"
    );
    // The watcher must have seen the restore's lock, or the check above proves nothing.
    assert!(
        seen.iter()
            .any(|p| p.to_string_lossy().contains("xtables-netns-")),
        "never saw the restore hold its private lock file; files seen: {seen:?}"
    );
}
