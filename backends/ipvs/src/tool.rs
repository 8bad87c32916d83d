//! The tools this crate runs (`ipvsadm`, `ip`), through the shared runner in svclab-backend.

pub use svclab_backend::tool::{find_program, run};

/// What to install for a missing program.
pub fn install_fix(tool: &str) -> String {
    let package = if tool.ends_with("ipvsadm") {
        "ipvsadm"
    } else {
        "iproute2"
    };
    format!("install the Debian package {package} (scripts/setup.sh does)")
}
