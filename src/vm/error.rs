//! The lab VM's errors: each says what was being done and with what, and how to fix it where a
//! user can.

use super::{qemu, results_transfer};
use std::path::{Path, PathBuf};
use std::time::Duration;

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
