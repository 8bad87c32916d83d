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
        .map(|(tool, args)| (tool.to_string(), tool_line(tool, args)))
        .collect()
}

/// What asking a tool for its version gave.
#[derive(Debug)]
enum VersionAnswer {
    /// Not on PATH nor in the sbin folders.
    NotFound,
    /// Found, but it could not be started.
    NotStarted { path: String, error: String },
    /// It ran; its exit status and what it printed.
    Exited {
        path: String,
        success: bool,
        code: Option<i32>,
        stdout: String,
        stderr: String,
    },
}

/// Ask one tool for its version; the answer is described by `describe`, so an installed tool that
/// fails (ipvsadm on a kernel without IPVS exits 2 before printing its version) is never called
/// "not installed".
fn tool_line(tool: &str, args: &[&str]) -> String {
    let answer = match svclab_backend::tool::find_program(tool) {
        None => VersionAnswer::NotFound,
        Some(path) => {
            let shown = path.display().to_string();
            match Command::new(&path).args(args).output() {
                Err(e) => VersionAnswer::NotStarted {
                    path: shown,
                    error: e.to_string(),
                },
                Ok(out) => VersionAnswer::Exited {
                    path: shown,
                    success: out.status.success(),
                    code: out.status.code(),
                    stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                    stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                },
            }
        }
    };
    describe(tool, args, &answer)
}

/// The longest tool message quoted in a line; the rest is cut with an ellipsis.
const QUOTE_LIMIT: usize = 200;

/// One true sentence about a tool: its version, or why it could not give one.
fn describe(tool: &str, args: &[&str], answer: &VersionAnswer) -> String {
    let asked = format!("`{tool} {}`", args.join(" "));
    match answer {
        VersionAnswer::NotFound => "not installed (not on PATH nor in /usr/sbin, /sbin)".into(),
        VersionAnswer::NotStarted { path, error } => {
            format!("installed at {path}, but {asked} could not start: {error}")
        }
        VersionAnswer::Exited {
            path,
            success: true,
            stdout,
            stderr,
            ..
        } => {
            // Some tools print their version on stderr.
            let text = if stdout.trim().is_empty() {
                stderr
            } else {
                stdout
            };
            match text.lines().map(str::trim).find(|l| !l.is_empty()) {
                Some(first) => first.to_string(),
                None => format!("installed at {path}; {asked} printed nothing"),
            }
        }
        VersionAnswer::Exited {
            path,
            success: false,
            code,
            stdout,
            stderr,
        } => {
            let status = code.map_or_else(
                || "was killed by a signal".into(),
                |c| format!("exited {c}"),
            );
            let said = quote(&format!("{stderr}\n{stdout}"));
            if said.is_empty() {
                format!("installed at {path}, version unknown: {asked} {status}")
            } else {
                format!("installed at {path}, version unknown: {asked} {status}: {said}")
            }
        }
    }
}

/// A tool's multi-line message as one line: non-empty lines joined with " / ", cut to a limit.
fn quote(text: &str) -> String {
    let joined = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" / ");
    match joined.char_indices().nth(QUOTE_LIMIT) {
        Some((cut, _)) => format!("{}…", &joined[..cut]),
        None => joined,
    }
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

    fn exited(success: bool, code: Option<i32>, stdout: &str, stderr: &str) -> VersionAnswer {
        VersionAnswer::Exited {
            path: "/usr/sbin/tool".into(),
            success,
            code,
            stdout: stdout.into(),
            stderr: stderr.into(),
        }
    }

    #[test]
    fn an_installed_tool_that_fails_is_not_called_missing() {
        // What ipvsadm 1.31 prints on a kernel without IPVS (captured on the 6.18 build host).
        let stderr = "modprobe: FATAL: Module ip_vs not found in directory /lib/modules/6.18.44\n\
                      Can't initialize ipvs: Protocol not available\n\
                      Are you sure that IP Virtual Server is built in the kernel or as module?\n";
        let line = describe(
            "ipvsadm",
            &["--version"],
            &exited(false, Some(2), "", stderr),
        );
        assert!(!line.contains("not installed"), "{line}");
        assert!(
            line.starts_with(
                "installed at /usr/sbin/tool, version unknown: `ipvsadm --version` exited 2: "
            ),
            "{line}"
        );
        assert!(
            line.contains("Can't initialize ipvs: Protocol not available"),
            "{line}"
        );
    }

    #[test]
    fn each_answer_reads_as_what_happened() {
        assert_eq!(
            describe(
                "ip",
                &["-V"],
                &exited(true, Some(0), "ip utility, iproute2-6.1.0\n", "")
            ),
            "ip utility, iproute2-6.1.0"
        );
        assert_eq!(
            describe(
                "t",
                &["-v"],
                &exited(true, Some(0), "\n", "t v1.2 (stderr)\n")
            ),
            "t v1.2 (stderr)"
        );
        assert_eq!(
            describe("t", &["-v"], &exited(true, Some(0), "", "")),
            "installed at /usr/sbin/tool; `t -v` printed nothing"
        );
        assert_eq!(
            describe("t", &["-v"], &exited(false, None, "", "")),
            "installed at /usr/sbin/tool, version unknown: `t -v` was killed by a signal"
        );
        assert!(describe("t", &["-v"], &VersionAnswer::NotFound).starts_with("not installed"));
        let not_started = VersionAnswer::NotStarted {
            path: "/x/t".into(),
            error: "Permission denied (os error 13)".into(),
        };
        assert_eq!(
            describe("t", &["-v"], &not_started),
            "installed at /x/t, but `t -v` could not start: Permission denied (os error 13)"
        );
    }

    #[test]
    fn long_tool_messages_are_cut() {
        let long = "x".repeat(QUOTE_LIMIT + 50);
        let quoted = quote(&long);
        assert_eq!(quoted.chars().count(), QUOTE_LIMIT + 1);
        assert!(quoted.ends_with('…'));
    }

    #[test]
    fn a_real_failing_tool_is_described_with_its_message() {
        // sh is on every machine this runs on; the failing version command is simulated by it.
        let line = tool_line("sh", &["-c", "echo 'no kernel support' >&2; exit 3"]);
        assert!(line.starts_with("installed at "), "{line}");
        assert!(line.ends_with("exited 3: no kernel support"), "{line}");
        assert!(tool_line("svclab-no-such-tool", &["--version"]).starts_with("not installed"));
    }
}
