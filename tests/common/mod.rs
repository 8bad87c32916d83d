//! Helpers shared by the tests that drive the `svclab` binary.

#![allow(dead_code)] // each test binary uses its own subset

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn svclab() -> Command {
    Command::new(env!("CARGO_BIN_EXE_svclab"))
}

pub fn run(args: &[&str]) -> Output {
    svclab().args(args).output().expect("svclab starts")
}

/// Write a scenario file into `dir` and return its path.
pub fn scenario(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write scenario");
    path
}

/// Network namespaces held by any task on the machine, plus nsfs bind mounts (`ip netns add`).
pub fn live_netns() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    if let Ok(procs) = std::fs::read_dir("/proc") {
        for proc in procs.flatten() {
            let Ok(tasks) = std::fs::read_dir(proc.path().join("task")) else {
                continue;
            };
            for task in tasks.flatten() {
                if let Ok(link) = std::fs::read_link(task.path().join("ns/net")) {
                    found.insert(link.display().to_string());
                }
            }
        }
    }
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    for line in mounts.lines().filter(|l| l.contains(" nsfs ")) {
        for field in line.split(' ').filter(|f| f.starts_with("net:[")) {
            found.insert(field.to_string());
        }
    }
    found
}

/// Network namespaces held by the tasks of `pid` (all threads).
pub fn netns_of(pid: u32) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for task in tasks.flatten() {
            if let Ok(link) = std::fs::read_link(task.path().join("ns/net")) {
                found.insert(link.display().to_string());
            }
        }
    }
    found
}

pub fn results_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}
