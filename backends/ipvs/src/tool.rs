//! The tools this crate runs (`ipvsadm`, `ip`), through the shared runner in svclab-backend.

use std::path::PathBuf;
pub use svclab_backend::tool::run;
use svclab_backend::BackendError;

/// The path of `tool`, or the typed error saying which package installs it.
pub fn require(tool: &str) -> Result<PathBuf, BackendError> {
    svclab_backend::tool::find_program(tool).ok_or_else(|| BackendError::ToolMissing {
        tool: tool.into(),
        fix: install_fix(tool),
    })
}

/// What to install for a missing program.
pub fn install_fix(tool: &str) -> String {
    let package = if tool.ends_with("ipvsadm") {
        "ipvsadm"
    } else {
        "iproute2"
    };
    format!("install the Debian package {package} (scripts/setup.sh does)")
}
