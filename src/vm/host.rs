//! What the lab VM uses on the host: its cache folder, host tools, and what `svclab doctor`
//! checks for it.

use super::{qemu, VmError};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Kernels and the KVM verdict are cached here: `$SVCLAB_CACHE_DIR`, else `$XDG_CACHE_HOME/svclab`,
/// else `/var/cache/svclab` where it can be made (root), else `~/.cache/svclab`.
pub(crate) fn cache_dir() -> PathBuf {
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
    let need = |tool: &'static str, package: &str| {
        let found = svclab_backend::tool::find_program(tool).map(|p| p.display().to_string());
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
