//! The lab VM: run one svclab command on a stock distribution kernel under QEMU and bring its
//! output folder back to the host. Kernel ([`kernel`]) → initramfs ([`image`], [`initramfs`],
//! [`init`]) → acceleration ([`accel`]) → boot ([`qemu`]) → results ([`results_transfer`]).

mod accel;
pub mod command;
mod error;
mod host;
pub mod image;
pub mod init;
pub mod initramfs;
pub mod kernel;
mod modules;
pub mod qemu;
pub mod results_transfer;

pub use command::{for_guest, GuestCommand};
pub use error::VmError;
pub use host::readiness;
pub use qemu::Accel;

use host::cache_dir;
pub(crate) use host::cmd_output;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use svclab_backend::CancelFlag;

/// Which kernel to boot.
#[derive(Debug, Clone)]
pub enum KernelChoice {
    Named(String),
    Files { image: PathBuf, modules: PathBuf },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccelChoice {
    Auto,
    Kvm,
    Tcg,
}

#[derive(Debug, Clone)]
pub struct VmOptions {
    pub kernel: KernelChoice,
    pub memory_mib: u32,
    pub cpus: u32,
    pub timeout: Duration,
    pub accel: AccelChoice,
    /// Appended to the kernel command line (tests use it to make the guest panic).
    pub append: Option<String>,
}

#[derive(Debug)]
pub struct VmOutcome {
    /// The guest command's exit code.
    pub exit_code: i32,
    /// Files written on the host.
    pub files: Vec<PathBuf>,
}

/// Boot the lab VM, run `cmd` in it, and put its output folder where `cmd.host_out` says.
pub fn run_in_vm(
    opts: &VmOptions,
    cmd: &GuestCommand,
    cancel: &CancelFlag,
) -> Result<VmOutcome, VmError> {
    let qemu = qemu::find()?;
    let cache = cache_dir();
    let kernel = match &opts.kernel {
        KernelChoice::Named(name) => kernel::debian(name, &cache)?,
        KernelChoice::Files { image, modules } => kernel::user_supplied(image, modules)?,
    };
    let work = tempfile::Builder::new()
        .prefix("svclab-vm-")
        .tempdir()
        .map_err(|e| VmError::io("creating a work folder in", &std::env::temp_dir(), e))?;
    let initrd = work.path().join("initramfs.cpio");
    let started = Instant::now();
    let initramfs_bytes = build_initramfs(&kernel, cmd, work.path(), &initrd)?;
    eprintln!(
        "lab VM: kernel {} ({}), initramfs {:.1} MiB built in {:.1} s",
        kernel.release,
        kernel.package,
        initramfs_bytes as f64 / (1024.0 * 1024.0),
        started.elapsed().as_secs_f64()
    );
    let mut machine = qemu::Machine {
        kernel: kernel.image.clone(),
        initrd,
        append: String::new(),
        memory_mib: opts.memory_mib,
        cpus: opts.cpus,
        accel: Accel::Tcg,
        transfer: work.path().join("transfer.txt"),
        live: work.path().join("live.jsonl"),
        live_append: false,
        stderr: work.path().join("qemu.stderr"),
    };
    let (accel, why) = accel::choose(opts.accel, &qemu, &machine, &cache, cancel)?;
    eprintln!("lab VM: acceleration {}: {why}", accel.name());
    machine.accel = accel;
    machine.append = format!(
        "console=ttyS0 panic=-1 quiet loglevel=4 svclab.accel={} {}",
        accel.name(),
        opts.append.as_deref().unwrap_or("")
    );
    let created_out = cmd.host_out.as_ref().is_some_and(|out| !out.exists());
    // Where the guest's records start in the live file, when they follow a host part.
    let mut appended_at = None;
    if let Some(out) = &cmd.host_out {
        std::fs::create_dir_all(out).map_err(|e| VmError::io("creating", out, e))?;
        // QEMU writes the live copy straight into the host's folder: a run that dies keeps it.
        machine.live = out.join("results.jsonl");
        if cmd.append_results {
            machine.live_append = true;
            appended_at = Some(std::fs::metadata(&machine.live).map_or(0, |m| m.len()));
        }
    }
    let boot = qemu::boot(&qemu, &machine, opts.timeout, cancel, |line| {
        println!("{line}")
    })?;
    if let Some(t) = boot.boot_to_command {
        eprintln!("lab VM: boot to command {:.1} s", t.as_secs_f64());
    }
    let transfer_text = std::fs::read(&machine.transfer).unwrap_or_default();
    let transfer = results_transfer::parse(&String::from_utf8_lossy(&transfer_text))?;
    let files = match (&cmd.host_out, appended_at) {
        (Some(_), Some(offset)) => complete_appended(&transfer, &machine.live, offset)?,
        (Some(out), None) => place(&transfer, out)?,
        (None, _) => Vec::new(),
    };
    if let Some(out) = cmd.host_out.as_ref().filter(|_| !cmd.append_results) {
        // No record came back (`run --help`, a guest that died before the first record, or a
        // program that writes no results.jsonl): leave no empty results file, nor a folder this
        // call made and nothing filled. Best effort.
        if std::fs::metadata(&machine.live).is_ok_and(|m| m.len() == 0) {
            let _ = std::fs::remove_file(&machine.live);
            if created_out && files.is_empty() {
                let _ = std::fs::remove_dir(out);
            }
        }
    }
    let kept = kept_note(
        cmd.host_out.as_deref(),
        &machine.live,
        transfer.done.is_some(),
    );
    if matches!(boot.ending, qemu::Ending::Exited(_)) && transfer.done.is_none() {
        if let Some(out) = &cmd.host_out {
            eprintln!(
                "lab VM: warning: the guest's final transfer did not complete; {} holds the \
                 live copy of results.jsonl (its last second may be missing)",
                out.display()
            );
        }
    }
    match boot.ending {
        qemu::Ending::Exited(code) => Ok(VmOutcome {
            exit_code: transfer.done.unwrap_or(code),
            files,
        }),
        qemu::Ending::Panicked(line) => Err(VmError::GuestPanic { line, kept }),
        qemu::Ending::TimedOut => Err(VmError::Timeout {
            limit: opts.timeout,
            kept,
        }),
        qemu::Ending::Interrupted => Err(VmError::Interrupted { kept }),
        qemu::Ending::Probed => Err(VmError::Stopped {
            reason: "the guest ran a probe boot instead of the command".into(),
            kept,
        }),
        qemu::Ending::Stopped(reason) => Err(VmError::Stopped {
            reason: if reason.is_empty() {
                "no exit marker on the console".into()
            } else {
                reason
            },
            kept,
        }),
    }
}

fn build_initramfs(
    kernel: &kernel::KernelTree,
    cmd: &GuestCommand,
    work: &Path,
    dest: &Path,
) -> Result<u64, VmError> {
    let exe =
        std::env::current_exe().map_err(|e| VmError::io("locating", Path::new("svclab"), e))?;
    // Debug info is most of a debug build's size and useless in the guest.
    let stripped = work.join("svclab");
    let svclab = match cmd_output(
        Command::new("strip")
            .arg("--strip-debug")
            .arg("-o")
            .arg(&stripped)
            .arg(&exe),
        "strip",
    ) {
        Ok(_) => stripped,
        Err(_) => exe,
    };
    let mut m = image::Manifest::default();
    let mut program = "/usr/bin/svclab".to_string();
    let mut programs = Vec::new();
    if let Some(host) = &cmd.program {
        let name = host
            .file_name()
            .map_or("program".into(), |n| n.to_string_lossy());
        program = format!("/usr/local/bin/{name}");
        m.host_file(&program, host, 0o755);
        programs.push(host.clone());
    }
    image::add_runtime(&mut m, kernel, &svclab, &programs)?;
    m.bytes("/init", init::init_script(), 0o755);
    let mut env = cmd.env.clone();
    // The host's log filter applies in the guest too, so `SVCLAB_LOG=debug svclab vm ...` works.
    if let Ok(filter) = std::env::var("SVCLAB_LOG") {
        env.push(("SVCLAB_LOG".into(), filter));
    }
    let script = init::command_script(&program, &cmd.args, &env);
    m.bytes("/svclab/command.sh", script, 0o644);
    for (host, guest) in &cmd.files {
        m.host_file(guest, host, 0o644);
    }
    m.write(dest)
}

/// Write the transferred files under `out`.
fn place(transfer: &results_transfer::Transfer, out: &Path) -> Result<Vec<PathBuf>, VmError> {
    let mut written = Vec::new();
    for file in &transfer.files {
        let path = out.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| VmError::io("creating", parent, e))?;
        }
        std::fs::write(&path, &file.data).map_err(|e| VmError::io("writing", &path, e))?;
        written.push(path);
    }
    Ok(written)
}

/// The lab VM part of a host run: its records were appended to the host's results file live.
/// The final transfer holds the guest's whole results file; whatever of it the live stream did
/// not deliver (its last moments) is appended now. The guest's other files (it renders no
/// report) are not placed: the host writes the one report of the run.
fn complete_appended(
    transfer: &results_transfer::Transfer,
    live: &Path,
    offset: u64,
) -> Result<Vec<PathBuf>, VmError> {
    let Some(whole) = transfer.files.iter().find(|f| f.path == "results.jsonl") else {
        return Ok(Vec::new());
    };
    let text = std::fs::read(live).map_err(|e| VmError::io("reading", live, e))?;
    let streamed = text.get(offset as usize..).unwrap_or_default();
    match missing_tail(streamed, &whole.data) {
        Some(tail) if !tail.is_empty() => {
            use std::io::Write as _;
            let mut file = std::fs::OpenOptions::new()
                .append(true)
                .open(live)
                .map_err(|e| VmError::io("opening", live, e))?;
            file.write_all(tail)
                .map_err(|e| VmError::io("appending to", live, e))?;
        }
        Some(_) => {}
        None => eprintln!(
            "lab VM: warning: the live copy of the guest's results in {} differs from the copy              sent at the end; the live copy is kept",
            live.display()
        ),
    }
    Ok(vec![live.to_path_buf()])
}

/// What `whole` holds past `streamed`, if `streamed` is a prefix of it.
fn missing_tail<'a>(streamed: &[u8], whole: &'a [u8]) -> Option<&'a [u8]> {
    whole.strip_prefix(streamed)
}

/// What of a failed run is still on the host.
fn kept_note(out: Option<&Path>, live: &Path, transferred: bool) -> String {
    match out {
        Some(_) if transferred => String::new(),
        Some(_) => match std::fs::metadata(live) {
            Ok(m) if m.len() > 0 => format!(
                "\nevery measurement the guest finished is in {} (streamed live)",
                live.display()
            ),
            _ => "\nthe guest wrote no results before it stopped".into(),
        },
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_the_live_stream_missed_is_appended() {
        assert_eq!(missing_tail(b"a\nb", b"a\nb\nc\n"), Some(&b"\nc\n"[..]));
        assert_eq!(missing_tail(b"a\nb\n", b"a\nb\n"), Some(&b""[..]));
        assert_eq!(missing_tail(b"", b"a\n"), Some(&b"a\n"[..]));
        assert_eq!(missing_tail(b"x\n", b"a\n"), None);
    }
}
