//! KVM or TCG. KVM only when it really works: `/dev/kvm` opens, the CPU shows `vmx` or `svm`,
//! and a probe boot reaches user space within a deadline (nested KVM can hang forever, as it does
//! on the machines this lab is built on). The verdict is cached per host boot.

use super::qemu::{self, Accel, Machine};
use super::{AccelChoice, VmError};
use std::path::Path;
use std::time::Duration;
use svclab_backend::CancelFlag;

/// A KVM boot reaches user space in a second or two; a hung one never does.
const PROBE_DEADLINE: Duration = Duration::from_secs(20);

/// The acceleration to use and a plain sentence on why.
pub fn choose(
    choice: AccelChoice,
    qemu_bin: &Path,
    machine: &Machine,
    cache: &Path,
    cancel: &CancelFlag,
) -> Result<(Accel, String), VmError> {
    match choice {
        AccelChoice::Tcg => {
            return Ok((
                Accel::Tcg,
                "asked for (emulation: times are inflated)".into(),
            ))
        }
        AccelChoice::Kvm => return Ok((Accel::Kvm, "asked for".into())),
        AccelChoice::Auto => {}
    }
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    if let Err(why) = kvm_plausible(&cpuinfo) {
        return Ok((Accel::Tcg, tcg_because(&why)));
    }
    let boot_id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
    let verdict_file = cache.join("kvm-verdict");
    if let Ok(text) = std::fs::read_to_string(&verdict_file) {
        if let Some((id, verdict)) = text.split_once(' ') {
            if id == boot_id.trim() {
                return Ok(if verdict.trim() == "ok" {
                    (
                        Accel::Kvm,
                        "KVM works (probe boot earlier since this host booted)".into(),
                    )
                } else {
                    (
                        Accel::Tcg,
                        tcg_because(
                            "a KVM probe boot earlier since this host booted did not finish",
                        ),
                    )
                });
            }
        }
    }
    eprintln!(
        "lab VM: probing KVM with a short boot (up to {} s)",
        PROBE_DEADLINE.as_secs()
    );
    let mut probe = machine.clone();
    probe.accel = Accel::Kvm;
    probe.append = "console=ttyS0 panic=-1 quiet svclab.probe".into();
    let boot = qemu::boot(qemu_bin, &probe, PROBE_DEADLINE, cancel, |_| {})?;
    let works = match boot.ending {
        qemu::Ending::Probed => true,
        // A stopped probe proved nothing: cache no verdict, and stop as asked.
        qemu::Ending::Interrupted => {
            return Err(VmError::Interrupted {
                kept: " while probing KVM, before the command started".into(),
            })
        }
        _ => false,
    };
    // Only a finished or a timed-out probe is a verdict for this host boot (best effort:
    // without a cache the next run probes again).
    if works || matches!(boot.ending, qemu::Ending::TimedOut) {
        let _ = std::fs::create_dir_all(cache).and_then(|()| {
            let verdict = if works { "ok" } else { "hangs" };
            std::fs::write(&verdict_file, format!("{} {verdict}\n", boot_id.trim()))
        });
    }
    Ok(if works {
        (Accel::Kvm, "KVM works (probe boot finished)".into())
    } else {
        (
            Accel::Tcg,
            tcg_because(&format!(
                "a KVM probe boot did not reach user space within {} s (nested KVM hangs here)",
                PROBE_DEADLINE.as_secs()
            )),
        )
    })
}

fn tcg_because(why: &str) -> String {
    format!("{why}; using TCG emulation: times are inflated, compare ratios and slopes only")
}

/// Static checks before any probe boot.
fn kvm_plausible(cpuinfo: &str) -> Result<(), String> {
    let flags = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("flags"))
        .unwrap_or("");
    if !flags.split_whitespace().any(|f| f == "vmx" || f == "svm") {
        return Err("the CPU shows no vmx/svm flag (no nested virtualisation)".into());
    }
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .map(drop)
        .map_err(|e| format!("/dev/kvm cannot be opened: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_virtualisation_flag_means_no_kvm() {
        let err = kvm_plausible("flags\t: fpu sse hypervisor\n").expect_err("no vmx");
        assert!(err.contains("vmx/svm"), "{err}");
    }
}
