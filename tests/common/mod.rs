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

/// What a running svclab process used: network namespaces of all its threads and processes, and
/// the processes it started (pid with start time, so a reused pid is not mistaken for one).
#[derive(Debug, Default)]
pub struct Footprint {
    pub netns: BTreeSet<String>,
    pub processes: BTreeSet<(u32, String)>,
}

impl Footprint {
    /// Sample `pid` and its descendants once.
    pub fn sample(&mut self, pid: u32) {
        let mut stack = vec![pid];
        while let Some(p) = stack.pop() {
            self.netns.extend(netns_of(p));
            if p != pid {
                if let Some(start) = start_time(p) {
                    self.processes.insert((p, start));
                }
            }
            stack.extend(children(p));
        }
    }

    /// The run's namespaces are gone. Anonymous namespaces live exactly as long as a task or a
    /// mount holds them: no process the run started may survive it, and none may be mounted.
    pub fn assert_nothing_left(&self) {
        assert!(
            self.netns.len() > 1,
            "never saw a sandbox namespace: {self:?}"
        );
        assert!(
            !self.processes.is_empty(),
            "never saw a helper process: {self:?}"
        );
        assert_eq!(self.survivors(), Vec::<u32>::new(), "processes left behind");
        assert_eq!(
            self.mounted_netns(),
            Vec::<String>::new(),
            "namespaces left mounted"
        );
    }

    /// Processes it started that are still alive.
    pub fn survivors(&self) -> Vec<u32> {
        self.processes
            .iter()
            .filter(|(pid, start)| start_time(*pid).as_deref() == Some(start.as_str()))
            .map(|(pid, _)| *pid)
            .collect()
    }

    /// Its namespaces (other than the test's own) still held by a bind mount.
    pub fn mounted_netns(&self) -> Vec<String> {
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        self.netns
            .iter()
            .filter(|ns| {
                mounts
                    .lines()
                    .any(|l| l.contains(" nsfs ") && l.contains(ns.as_str()))
            })
            .cloned()
            .collect()
    }
}

fn children(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for task in tasks.flatten() {
            let text = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            found.extend(
                text.split_whitespace()
                    .filter_map(|c| c.parse::<u32>().ok()),
            );
        }
    }
    found
}

/// Field 22 of /proc/PID/stat (after the parenthesised command name).
fn start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    after.split_whitespace().nth(19).map(String::from)
}
