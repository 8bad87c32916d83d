//! The lab VM, for real: boot Debian's cloud kernel under QEMU (TCG here) and run svclab inside.
//! Needs root, network access to the Debian mirror on the first run (the kernel is cached
//! afterwards), qemu-system-x86 and busybox-static (scripts/setup.sh). Boots are serialised: two
//! emulated guests on a two-core machine would only slow each other past their deadlines.

mod common;

use common::{results_lines, svclab};
use std::path::Path;
use std::process::Output;
use std::sync::Mutex;
use std::time::Instant;

static ONE_VM_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A small scenario with every backend kind: the IPVS ones can only run in the VM here.
const SMALL: &str = r#"
name = "vm-small"
seed = 5
backends = ["iptables-legacy", "ipvs", "ipvsadm", "ebpf"]
scale = [1, 20]
endpoints_per_service = 2
repetitions = 2
warmup = 1
step_timeout = "2m"

[cumulative]
enabled = false
"#;

fn svclab_vm(args: &[&str]) -> Output {
    let _one = ONE_VM_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let started = Instant::now();
    let out = svclab().args(args).output().expect("svclab starts");
    eprintln!(
        "svclab {} took {:.1} s",
        args.join(" "),
        started.elapsed().as_secs_f64()
    );
    out
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Processes whose command line holds `marker` (QEMU gets it on its kernel command line).
fn processes_with(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("read /proc").flatten() {
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(marker) && !cmdline.contains("cargo") {
                found.push(format!(
                    "{}: {cmdline}",
                    entry.file_name().to_string_lossy()
                ));
            }
        }
    }
    found
}

fn expected_accel() -> &'static str {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    if cpuinfo.contains(" vmx") || cpuinfo.contains(" svm") {
        "kvm"
    } else {
        "tcg"
    }
}

fn environment(results: &Path) -> serde_json::Value {
    let lines = results_lines(results);
    let env = lines.first().cloned().unwrap_or_default();
    assert_eq!(env["record"], "environment", "{results:?}: {lines:?}");
    env
}

#[test]
fn doctor_in_the_vm_finds_every_backend() {
    let marker = "svclab.test=doctor";
    let out = svclab_vm(&["vm", "--append", marker, "--", "doctor"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    for name in [
        "iptables-legacy",
        "iptables-nft",
        "nftables",
        "nftables-1.36",
        "ipvs",
        "ipvsadm",
        "ebpf",
    ] {
        assert!(
            all.contains(&format!("{name:<18} available")),
            "{name}: {all}"
        );
    }
    assert!(
        all.contains(&format!("acceleration {}", expected_accel())),
        "{all}"
    );
    assert!(processes_with(marker).is_empty());
}

#[test]
fn a_scenario_runs_in_the_vm_and_its_results_land_on_the_host() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = common::scenario(dir.path(), "small.toml", SMALL);
    let out_dir = dir.path().join("out");
    let out = svclab_vm(&[
        "vm",
        "--",
        "run",
        "--scenario",
        scenario.to_str().expect("utf-8"),
        "--out",
        out_dir.to_str().expect("utf-8"),
    ]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let results = out_dir.join("results.jsonl");
    let env = environment(&results);
    assert_eq!(env["location"], "vm");
    assert_eq!(env["acceleration"], expected_accel());
    if expected_accel() == "tcg" {
        assert!(
            all.contains("under TCG emulation: times are inflated"),
            "{all}"
        );
    }
    assert!(
        env["kernel_release"]
            .as_str()
            .unwrap_or("")
            .ends_with("cloud-amd64"),
        "{env}"
    );
    let lines = results_lines(&results);
    for backend in ["iptables-legacy", "ipvs", "ipvsadm", "ebpf"] {
        let ok = lines
            .iter()
            .filter(|r| r["record"] == "measurement" && r["backend"] == backend)
            .filter(|r| r["outcome"]["status"] == "ok")
            .count();
        assert_eq!(ok, 2 * 5, "{backend}: 5 ops at 2 scale points:\n{all}");
        let checks_ok = lines
            .iter()
            .filter(|r| r["record"] == "object_check" && r["backend"] == backend)
            .all(|r| r["matches"] == true);
        assert!(
            checks_ok,
            "{backend}: kernel objects differ from the layout:\n{all}"
        );
    }
    assert_eq!(
        lines.last().map(|r| r["status"].clone()),
        Some("completed".into())
    );
}

#[test]
fn run_where_auto_goes_to_the_vm_when_a_backend_cannot_run_here() {
    // On a kernel with IPVS, auto would keep ipvs here: --in-vm sends it anyway, and says so.
    let has_ipvs = Path::new("/proc/net/ip_vs").exists();
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = common::scenario(
        dir.path(),
        "ipvs.toml",
        &SMALL.replace(
            r#"backends = ["iptables-legacy", "ipvs", "ipvsadm", "ebpf"]"#,
            r#"backends = ["ipvs"]"#,
        ),
    );
    let out_dir = dir.path().join("auto");
    let mut args = vec![
        "run",
        "--scenario",
        scenario.to_str().expect("utf-8"),
        "--out",
        out_dir.to_str().expect("utf-8"),
    ];
    if has_ipvs {
        args.extend(["--in-vm", "ipvs"]);
    }
    let out = svclab_vm(&args);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("in the lab VM"), "{all}");
    let reason = if has_ipvs {
        "ipvs: --in-vm"
    } else {
        "ipvs cannot run on this host"
    };
    assert!(all.contains(reason), "{all}");
    assert_eq!(
        environment(&out_dir.join("results.jsonl"))["location"],
        "vm"
    );
}

/// `--where auto` with a backend this host runs and one it cannot: the host part here, then one
/// lab VM boot for the rest, into one results file whose every record names its location, and
/// one report that badges every backend with it.
#[test]
fn run_where_auto_measures_each_backend_where_it_can_in_one_results_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = common::scenario(
        dir.path(),
        "mixed.toml",
        &SMALL
            .replace(
                r#"backends = ["iptables-legacy", "ipvs", "ipvsadm", "ebpf"]"#,
                r#"backends = ["iptables-nft", "ipvs"]"#,
            )
            .replace("repetitions = 2", "repetitions = 3"),
    );
    let out_dir = dir.path().join("mixed");
    let marker_free = processes_with("svclab.accel=");
    // --in-vm: ipvs goes to the lab VM also on a kernel that has IPVS (here it would anyway).
    let out = svclab_vm(&[
        "run",
        "--scenario",
        scenario.to_str().expect("utf-8"),
        "--out",
        out_dir.to_str().expect("utf-8"),
        "--in-vm",
        "ipvs",
    ]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("lab VM part: ipvs"), "{all}");

    // Exactly one results file in the run folder.
    let mut results_files = Vec::new();
    let mut stack = vec![out_dir.clone()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read run folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "jsonl") {
                results_files.push(path);
            }
        }
    }
    assert_eq!(results_files, [out_dir.join("results.jsonl")], "{all}");

    let lines = results_lines(&out_dir.join("results.jsonl"));
    let places: Vec<&str> = lines
        .iter()
        .filter(|r| r["record"] == "environment")
        .filter_map(|r| r["location"].as_str())
        .collect();
    assert_eq!(places, ["host", "vm"], "{all}");
    for r in lines.iter().filter(|r| r["record"] != "environment") {
        let want = match r["backend"].as_str() {
            Some("ipvs") => "vm",
            Some(_) => "host",
            None => continue,
        };
        assert_eq!(r["location"], want, "{r}");
    }
    for (backend, place) in [("iptables-nft", "host"), ("ipvs", "vm")] {
        let ok = lines
            .iter()
            .filter(|r| r["record"] == "measurement" && r["backend"] == backend)
            .filter(|r| r["outcome"]["status"] == "ok" && r["location"] == place)
            .count();
        assert_eq!(
            ok,
            2 * 5,
            "{backend}: 5 ops at 2 scale points in {place}:\n{all}"
        );
    }
    let last = lines.last().cloned().unwrap_or_default();
    assert_eq!(last["record"], "run_end", "{last}");
    assert_eq!(last["location"], "host", "{last}");
    assert_eq!(last["status"], "completed", "{last}");

    let md = std::fs::read_to_string(out_dir.join("summary.md")).expect("summary.md");
    assert!(md.contains("| iptables-nft | host kernel "), "{md}");
    assert!(
        md.contains(&format!(
            "| ipvs | lab VM kernel {}",
            lines
                .iter()
                .filter(|r| r["record"] == "environment" && r["location"] == "vm")
                .filter_map(|r| r["kernel_release"].as_str())
                .next()
                .unwrap_or("?")
        )),
        "{md}"
    );
    assert!(md.contains("This run measured in 2 places"), "{md}");
    assert_eq!(
        processes_with("svclab.accel="),
        marker_free,
        "QEMU left behind"
    );
}

#[test]
fn guest_panic_is_a_clear_error_and_leaves_no_qemu() {
    // No /nonexistent in the initramfs: the kernel falls back to mounting a root device, finds
    // none, and panics ("VFS: Unable to mount root fs").
    let marker = "svclab.test=panic";
    let started = Instant::now();
    let out = svclab_vm(&[
        "vm",
        "--append",
        &format!("rdinit=/nonexistent {marker}"),
        "--",
        "doctor",
    ]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("the guest kernel panicked"), "{all}");
    assert!(
        started.elapsed().as_secs() < 120,
        "a panic must end QEMU promptly"
    );
    assert!(processes_with(marker).is_empty(), "QEMU left behind");
}

#[test]
fn a_command_past_its_timeout_stops_qemu_and_keeps_what_was_measured() {
    let dir = tempfile::tempdir().expect("tempdir");
    // iptables-cmd installing 500 Services one iptables process per rule takes minutes under
    // emulation: far past 40 s, while ebpf finishes in the first seconds.
    let scenario = common::scenario(
        dir.path(),
        "long.toml",
        &SMALL
            .replace(
                r#"["iptables-legacy", "ipvs", "ipvsadm", "ebpf"]"#,
                r#"["ebpf", "iptables-cmd"]"#,
            )
            .replace("scale = [1, 20]", "scale = [1, 500]")
            .replace(
                "enabled = false",
                "enabled = true\nbudget = \"5m\"\nmax_services = 500",
            ),
    );
    let out_dir = dir.path().join("partial");
    let marker = "svclab.test=timeout";
    let out = svclab_vm(&[
        "vm",
        "--timeout",
        "40s",
        "--append",
        marker,
        "--",
        "run",
        "--scenario",
        scenario.to_str().expect("utf-8"),
        "--out",
        out_dir.to_str().expect("utf-8"),
    ]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("did not finish within 40s"), "{all}");
    assert!(all.contains("streamed live"), "{all}");
    assert!(processes_with(marker).is_empty(), "QEMU left behind");
    // The live copy holds the environment and the ebpf measurements finished before the stop.
    let lines = results_lines(&out_dir.join("results.jsonl"));
    assert_eq!(
        environment(&out_dir.join("results.jsonl"))["location"],
        "vm"
    );
    assert!(
        lines
            .iter()
            .any(|r| r["record"] == "measurement" && r["backend"] == "ebpf"),
        "{lines:?}"
    );
}

#[test]
fn unknown_kernel_exits_2_with_the_known_names() {
    let out = svclab()
        .args(["vm", "--kernel", "debian-2.6", "--", "doctor"])
        .output()
        .expect("starts");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("unknown kernel \"debian-2.6\""), "{all}");
    assert!(all.contains("debian-6.1"), "{all}");
}

#[test]
fn missing_qemu_is_a_clear_error() {
    let out = svclab()
        .args(["vm", "--", "doctor"])
        .env("PATH", "/nonexistent")
        .output()
        .expect("starts");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("qemu-system-x86_64 not found on PATH"),
        "{all}"
    );
    assert!(all.contains("qemu-system-x86"), "{all}");
}

#[test]
fn no_space_for_the_initramfs_is_a_clear_error() {
    // A 1 MiB tmpfs as TMPDIR, in a private mount namespace so the host's mounts stay as they are.
    let dir = tempfile::tempdir().expect("tempdir");
    let small = dir.path().to_str().expect("utf-8");
    let script = format!(
        "mount -t tmpfs -o size=1m svclab-test {small} && TMPDIR={small} exec \"$0\" vm -- doctor"
    );
    let _one = ONE_VM_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let out = std::process::Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &script])
        .arg(env!("CARGO_BIN_EXE_svclab"))
        .output()
        .expect("unshare starts");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("No space left on device"), "{all}");
    assert!(all.contains("free some space"), "{all}");
}

#[test]
fn unusable_kernel_files_exit_2() {
    let out = svclab()
        .args([
            "vm",
            "--kernel-image",
            "/nonexistent/vmlinuz",
            "--modules",
            "/tmp",
            "--",
            "list",
        ])
        .output()
        .expect("starts");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("kernel image /nonexistent/vmlinuz not found"),
        "{all}"
    );
}

#[test]
fn run_where_host_stays_here_even_without_ipvs() {
    if Path::new("/proc/net/ip_vs").exists() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let out = svclab()
        .args([
            "run",
            "--where",
            "host",
            "--scenario",
            "quick",
            "--backends",
            "ipvs",
        ])
        .arg("--out")
        .arg(dir.path())
        .output()
        .expect("starts");
    let all = text(&out);
    // The backend is recorded as unavailable here, which makes the run exit 1.
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        !all.contains("running the whole scenario in the lab VM"),
        "{all}"
    );
    assert_eq!(
        environment(&dir.path().join("results.jsonl"))["location"],
        "host"
    );
}

#[test]
fn ctrl_c_stops_the_guest_and_keeps_what_was_measured() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = common::scenario(
        dir.path(),
        "slow.toml",
        &SMALL
            .replace(
                r#"["iptables-legacy", "ipvs", "ipvsadm", "ebpf"]"#,
                r#"["ebpf", "iptables-cmd"]"#,
            )
            .replace("scale = [1, 20]", "scale = [1, 500]"),
    );
    let out_dir = dir.path().join("interrupted");
    let marker = "svclab.test=interrupt";
    let _one = ONE_VM_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let mut child = svclab()
        .args(["vm", "--append", marker, "--", "run", "--scenario"])
        .arg(&scenario)
        .arg("--out")
        .arg(&out_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    // Interrupt once iptables-cmd has started: ebpf's records are in by then.
    let stdout = child.stdout.take().expect("stdout");
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("console line");
        if line.contains("iptables-cmd · 500 services") {
            break;
        }
    }
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).expect("SIGINT");
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted; QEMU was stopped"), "{stderr}");
    assert!(processes_with(marker).is_empty(), "QEMU left behind");
    let lines = results_lines(&out_dir.join("results.jsonl"));
    assert!(
        lines
            .iter()
            .any(|r| r["record"] == "measurement" && r["backend"] == "ebpf"),
        "{lines:?}"
    );
}

/// A mixed run killed outright (SIGKILL, no chance to clean up) during its lab VM part: the one
/// results file keeps the host part and every record the guest finished, QEMU dies with svclab,
/// and `svclab report` rebuilds a report that places each backend.
#[test]
fn a_killed_mixed_run_keeps_the_host_part_and_what_the_vm_finished() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = common::scenario(
        dir.path(),
        "killed.toml",
        &SMALL.replace(
            r#"["iptables-legacy", "ipvs", "ipvsadm", "ebpf"]"#,
            r#"["iptables-nft", "ipvs", "ipvsadm"]"#,
        ),
    );
    let out_dir = dir.path().join("killed");
    let before = processes_with("svclab.accel=");
    let _one = ONE_VM_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let mut child = svclab()
        .args(["run", "--in-vm", "ipvs,ipvsadm", "--scenario"])
        .arg(&scenario)
        .arg("--out")
        .arg(&out_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    // Kill once the guest has started on ipvsadm: ipvs's records are in by then.
    let stdout = child.stdout.take().expect("stdout");
    let mut seen = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("console line");
        let started_ipvsadm = line.contains("ipvsadm · 1 services");
        seen.push(line);
        if started_ipvsadm {
            break;
        }
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("wait");
    // QEMU dies with svclab (PR_SET_PDEATHSIG); give the kernel a moment to reap it.
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    while processes_with("svclab.accel=") != before && Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(processes_with("svclab.accel="), before, "QEMU left behind");

    let lines = results_lines(&out_dir.join("results.jsonl"));
    let measured_in = |backend: &str| {
        lines
            .iter()
            .filter(|r| r["record"] == "measurement" && r["backend"] == backend)
            .filter_map(|r| r["location"].as_str())
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(
        measured_in("iptables-nft").into_iter().collect::<Vec<_>>(),
        ["host"],
        "the host part is kept:\n{}",
        seen.join("\n")
    );
    assert_eq!(
        measured_in("ipvs").into_iter().collect::<Vec<_>>(),
        ["vm"],
        "what the lab VM finished is kept:\n{}",
        seen.join("\n")
    );
    assert!(
        !lines
            .iter()
            .any(|r| r["record"] == "run_end" && r["location"] == "host"),
        "a killed run has no end record of its own"
    );
    let report = svclab()
        .args(["report"])
        .arg(&out_dir)
        .output()
        .expect("svclab report");
    assert!(report.status.success(), "{}", text(&report));
    let md = std::fs::read_to_string(out_dir.join("summary.md")).expect("summary.md");
    assert!(md.contains("| ipvs | lab VM kernel "), "{md}");
    assert!(md.contains("| iptables-nft | host kernel "), "{md}");
}

/// `--exec PROGRAM --out DIR`: what the program writes under $SVCLAB_OUT, and criterion's
/// reports under $CRITERION_HOME, come back into DIR (scripts/bench.sh relies on it); no empty
/// results.jsonl is left there, since the program wrote none.
#[test]
fn exec_with_out_brings_the_programs_files_home() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("back");
    let script = r#"echo kept > "$SVCLAB_OUT/note.txt" && mkdir -p "$CRITERION_HOME/report" && echo '<html>' > "$CRITERION_HOME/report/index.html""#;
    let run = svclab_vm(&[
        "vm",
        "--exec",
        "/bin/sh",
        "--out",
        &out.display().to_string(),
        "--",
        "-c",
        script,
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let read =
        |p: &str| std::fs::read_to_string(out.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    assert_eq!(read("note.txt"), "kept\n");
    assert_eq!(read("criterion/report/index.html"), "<html>\n");
    assert!(
        !out.join("results.jsonl").exists(),
        "an empty live results file was left"
    );
}
