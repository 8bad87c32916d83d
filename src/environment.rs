//! The environment record: kernel, CPU, memory, tool versions, and where the run happened.

use crate::results::{Environment, SCHEMA_VERSION};
use crate::scenario::Plan;
use std::collections::BTreeMap;
use std::process::Command;

/// Tools whose versions go into every run's first record.
const TOOLS: [(&str, &[&str]); 5] = [
    ("iptables-legacy", &["--version"]),
    ("iptables-nft", &["--version"]),
    ("nft", &["--version"]),
    ("ip", &["-V"]),
    ("ipvsadm", &["--version"]),
];

pub fn collect(run_id: &str, plan: &Plan, scenario_file: Option<String>) -> Environment {
    let uname = nix::sys::utsname::uname().ok();
    let field = |f: fn(&nix::sys::utsname::UtsName) -> &std::ffi::OsStr| {
        uname
            .as_ref()
            .map(|u| f(u).to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let in_lab_vm = std::env::var("SVCLAB_IN_VM").is_ok();
    Environment {
        schema_version: SCHEMA_VERSION,
        svclab_version: env!("CARGO_PKG_VERSION").to_string(),
        run_id: run_id.to_string(),
        started_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        command: std::env::args().collect(),
        kernel_release: field(|u| u.release()),
        kernel_version: field(|u| u.version()),
        cpu_model: cpu_model(&cpuinfo),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        memory_mib: memory_mib(),
        location: if in_lab_vm { "vm" } else { "host" }.to_string(),
        hypervisor: cpuinfo
            .contains(" hypervisor")
            .then(|| "present (CPU flag)".to_string()),
        acceleration: std::env::var("SVCLAB_VM_ACCEL").unwrap_or_else(|_| "none".into()),
        tools: tool_versions(),
        scenario_file,
        scenario: plan.clone(),
    }
}

fn cpu_model(cpuinfo: &str) -> String {
    cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map(|(_, model)| model.trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn memory_mib() -> u64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib / 1024)
}

fn tool_versions() -> BTreeMap<String, String> {
    TOOLS
        .iter()
        .map(|(tool, args)| {
            let version = Command::new(tool)
                .args(*args)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| {
                    let text = if o.stdout.is_empty() {
                        o.stderr
                    } else {
                        o.stdout
                    };
                    String::from_utf8_lossy(&text)
                        .lines()
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_string()
                })
                .unwrap_or_else(|| "not installed".into());
            (tool.to_string(), version)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_model_is_read_from_cpuinfo() {
        let info = "processor\t: 0\nmodel name\t: Example CPU @ 2.0GHz\nflags\t: fpu hypervisor\n";
        assert_eq!(cpu_model(info), "Example CPU @ 2.0GHz");
        assert_eq!(cpu_model(""), "unknown");
    }
}
