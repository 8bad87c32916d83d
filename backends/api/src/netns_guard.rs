//! A backend's last line of defence: refuse to program the machine's own network namespace.

use crate::BackendError;
use std::path::{Path, PathBuf};

/// Error unless the calling thread's network namespace differs from the one the process started
/// in (its main thread's) and from the machine's own. The lab always creates backends inside a
/// sandbox namespace; this catches a caller that forgot, before anything is written to the host's
/// firewall or maps.
pub fn ensure_not_host_netns() -> Result<(), BackendError> {
    let mine = netns_id(Path::new("/proc/thread-self/ns/net"))?;
    let process = netns_id(Path::new("/proc/self/ns/net"))?;
    if mine == process || Some(&mine) == machine_netns().as_ref() {
        return Err(BackendError::Other(
            "refusing to run a backend in the machine's own network namespace; \
             svclab runs every backend inside a network namespace it creates"
                .into(),
        ));
    }
    Ok(())
}

/// The machine's own namespace: PID 1's, or where that is unreadable (some VM inits refuse it,
/// even to root) kthreadd's (PID 2), which always lives in the initial namespace.
fn machine_netns() -> Option<PathBuf> {
    netns_id(Path::new("/proc/1/ns/net"))
        .or_else(|_| netns_id(Path::new("/proc/2/ns/net")))
        .ok()
}

fn netns_id(link: &Path) -> Result<PathBuf, BackendError> {
    std::fs::read_link(link).map_err(|source| BackendError::Io {
        doing: format!("reading {}", link.display()),
        source,
    })
}
