//! A backend's last line of defence: refuse to program the machine's own network namespace.

use crate::BackendError;
use std::path::Path;

/// Error unless the calling thread's network namespace differs from that of PID 1 (the machine's
/// own). The lab always creates backends inside a sandbox namespace; this catches a caller that
/// forgot, before anything is written to the host's firewall.
///
/// Some sandboxes (a firecracker init, for one) deny even root the `/proc/1/ns/net` link; there
/// the namespace of `kthreadd` (PID 2) is used, since kernel threads always live in the initial
/// network namespace.
pub fn ensure_not_host_netns() -> Result<(), BackendError> {
    let mine = netns_id(Path::new("/proc/thread-self/ns/net"))?;
    let host = match netns_id(Path::new("/proc/1/ns/net")) {
        Ok(host) => host,
        Err(e) if is_kthreadd(Path::new("/proc/2/comm")) => {
            netns_id(Path::new("/proc/2/ns/net")).map_err(|_| e)?
        }
        Err(e) => return Err(e),
    };
    if mine == host {
        return Err(BackendError::Other(
            "refusing to run a backend in the machine's own network namespace; \
             svclab runs every backend inside a network namespace it creates"
                .into(),
        ));
    }
    Ok(())
}

fn netns_id(link: &Path) -> Result<std::path::PathBuf, BackendError> {
    std::fs::read_link(link).map_err(|source| BackendError::Io {
        doing: format!("reading {}", link.display()),
        source,
    })
}

fn is_kthreadd(comm: &Path) -> bool {
    std::fs::read_to_string(comm).is_ok_and(|name| name.trim() == "kthreadd")
}
