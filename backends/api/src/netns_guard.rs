//! A backend's last line of defence: refuse to program the machine's own network namespace.

use crate::BackendError;
use std::path::Path;

/// Error unless the calling thread's network namespace differs from the one the process started
/// in (its main thread's) and from PID 1's where that is readable (the machine's own). The lab
/// always creates backends inside a sandbox namespace; this catches a caller that forgot, before
/// anything is written to the host's firewall.
pub fn ensure_not_host_netns() -> Result<(), BackendError> {
    let mine = netns_id(Path::new("/proc/thread-self/ns/net"))?;
    let process = netns_id(Path::new("/proc/self/ns/net"))?;
    // PID 1 may be unreadable (another user namespace); the main-thread check still holds.
    let machine = netns_id(Path::new("/proc/1/ns/net")).ok();
    if mine == process || Some(&mine) == machine.as_ref() {
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
