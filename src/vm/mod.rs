//! The lab VM: run one svclab command on a stock distribution kernel under QEMU and bring its
//! output folder back to the host. Kernel ([`kernel`]) → initramfs ([`image`], [`initramfs`],
//! [`init`]) → acceleration ([`accel`]) → boot ([`qemu`]) → results ([`results_transfer`]).

mod accel;
pub mod command;
pub mod image;
pub mod init;
pub mod initramfs;
pub mod kernel;
pub mod qemu;
pub mod results_transfer;

pub use command::{for_guest, GuestCommand};
pub use qemu::Accel;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use svclab_backend::CancelFlag;

#[derive(Debug, thiserror::Error)]
pub enum VmError {
    #[error("unknown kernel {name:?}; known kernels: {known}")]
    UnknownKernel { name: String, known: String },
    #[error(
        "{} not found on PATH; install Debian's qemu-system-x86 (scripts/setup.sh does)",
        qemu::QEMU
    )]
    QemuMissing,
    #[error("{tool} not found on this host, but the lab VM carries it into the guest; {fix}")]
    MissingTool { tool: String, fix: String },
    #[error("kernel: {0}")]
    Kernel(String),
    /// `--kernel-image` / `--modules` name something unusable (bad input, exit code 2).
    #[error("kernel: {0}")]
    UserKernel(String),
    #[error("{doing} {}: {source}{}", path.display(), space_hint(source))]
    Io {
        doing: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{what}: {detail}")]
    CommandFailed {
        what: String,
        detail: String,
        stdout: String,
    },
    #[error("starting {}: {source}", qemu::QEMU)]
    Spawn {
        #[source]
        source: std::io::Error,
    },
    #[error("QEMU's console could not be read")]
    Console,
    #[error("the guest kernel panicked: {line}{kept}")]
    GuestPanic { line: String, kept: String },
    #[error("the guest command did not finish within {}; QEMU was stopped{kept}", humantime::format_duration(*limit))]
    Timeout { limit: Duration, kept: String },
    #[error("interrupted; QEMU was stopped{kept}")]
    Interrupted { kept: String },
    /// The console (streamed above the error) shows what the guest did last.
    #[error("QEMU stopped before the guest command finished: {reason}{kept}")]
    Stopped { reason: String, kept: String },
    #[error("the guest's results transfer is malformed: {0}")]
    Transfer(#[from] results_transfer::TransferError),
}

impl VmError {
    pub(crate) fn io(doing: &'static str, path: &Path, source: std::io::Error) -> Self {
        VmError::Io {
            doing,
            path: path.to_path_buf(),
            source,
        }
    }

    /// Bad input rather than a failure (exit code 2).
    pub fn is_usage(&self) -> bool {
        matches!(self, VmError::UnknownKernel { .. } | VmError::UserKernel(_))
    }
}

fn space_hint(e: &std::io::Error) -> &'static str {
    if e.raw_os_error() == Some(libc::ENOSPC) {
        " (free some space, or point TMPDIR / SVCLAB_CACHE_DIR elsewhere)"
    } else {
        ""
    }
}

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
    pub accel: Accel,
    pub boot_to_command: Option<Duration>,
    pub initramfs_bytes: u64,
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
    if let Some(out) = &cmd.host_out {
        std::fs::create_dir_all(out).map_err(|e| VmError::io("creating", out, e))?;
        // QEMU writes the live copy straight into the host's folder: a run that dies keeps it.
        machine.live = out.join("results.jsonl");
    }
    let boot = qemu::boot(&qemu, &machine, opts.timeout, cancel, |line| {
        println!("{line}")
    })?;
    if let Some(t) = boot.boot_to_command {
        eprintln!("lab VM: boot to command {:.1} s", t.as_secs_f64());
    }
    let transfer_text = std::fs::read(&machine.transfer).unwrap_or_default();
    let transfer = results_transfer::parse(&String::from_utf8_lossy(&transfer_text))?;
    let files = match &cmd.host_out {
        Some(out) => place(&transfer, out)?,
        None => Vec::new(),
    };
    if let Some(out) = cmd.host_out.as_deref().filter(|_| files.is_empty()) {
        // Nothing came back (`run --help`, or a guest that died before the first record): leave
        // no empty results file, nor a folder this call made. Best effort.
        if std::fs::metadata(&machine.live).is_ok_and(|m| m.len() == 0) {
            let _ = std::fs::remove_file(&machine.live);
            if created_out {
                let _ = std::fs::remove_dir(out);
            }
        }
    }
    let kept = kept_note(
        cmd.host_out.as_deref(),
        &machine.live,
        transfer.done.is_some(),
    );
    match boot.ending {
        qemu::Ending::Exited(code) => Ok(VmOutcome {
            exit_code: transfer.done.unwrap_or(code),
            accel,
            boot_to_command: boot.boot_to_command,
            initramfs_bytes,
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
    let script = init::command_script(&program, &cmd.args, &cmd.env);
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

/// Kernels and the KVM verdict are cached here: `$SVCLAB_CACHE_DIR`, else `$XDG_CACHE_HOME/svclab`,
/// else `/var/cache/svclab` where it can be made (root), else `~/.cache/svclab`.
fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SVCLAB_CACHE_DIR") {
        return dir.into();
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("svclab");
    }
    let system = Path::new("/var/cache/svclab");
    if std::fs::create_dir_all(system).is_ok() {
        return system.into();
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into());
    PathBuf::from(home).join(".cache/svclab")
}

/// Run a host tool to completion; its stdout, or an error with its stderr.
pub(crate) fn cmd_output(cmd: &mut Command, what: &str) -> Result<String, VmError> {
    let out = cmd.output().map_err(|e| VmError::CommandFailed {
        what: what.to_string(),
        detail: format!("could not start: {e}"),
        stdout: String::new(),
    })?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(VmError::CommandFailed {
            what: what.to_string(),
            detail: format!(
                "{}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            stdout,
        })
    }
}

/// What the lab VM needs on this host, each with `Err(fix)` when missing (for `svclab doctor`).
pub fn readiness() -> Vec<(&'static str, Result<String, String>)> {
    let on_path = |tool: &str| {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .map(|d| d.join(tool))
            .find(|p| p.is_file())
    };
    let need = |tool: &'static str, package: &str| {
        let found = on_path(tool).map(|p| p.display().to_string());
        (
            tool,
            found.ok_or_else(|| format!("install Debian's {package} (scripts/setup.sh does)")),
        )
    };
    vec![
        need(qemu::QEMU, "qemu-system-x86"),
        need("busybox", "busybox-static"),
        need("depmod", "kmod"),
        need("apt-get", "apt"),
        need("dpkg-deb", "dpkg"),
    ]
}
