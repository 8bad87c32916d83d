//! A private xtables lock file for each network namespace the lab programs.
//!
//! iptables-legacy serialises every writer (and `-w` readers) of the whole machine through one
//! `flock` on `/run/xtables.lock`, whatever network namespace they run in. A sandboxed restore of
//! 20,000 Services holds it for seconds, so without this the lab would stall the host's own
//! iptables users (a node's kube-proxy, a firewall daemon). iptables reads the file's path from
//! `XTABLES_LOCKFILE`; every tool the backend runs gets a file named after its namespace, so two
//! backends in one sandbox still exclude each other (as the lab's lock-wait measurement needs)
//! while nothing outside the sandbox waits on them.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use svclab_backend::BackendError;

/// The environment variable iptables reads the lock file's path from.
pub const LOCKFILE_ENV: &str = "XTABLES_LOCKFILE";
/// The lock file every iptables on the machine uses unless told otherwise.
pub const HOST_LOCKFILE: &str = "/run/xtables.lock";
/// Where the private lock files live; the temp dir where /run is not writable.
const LOCK_DIR: &str = "/run/svclab";

/// The lock file of the calling thread's network namespace (created by iptables on first use).
pub fn private_lock_file() -> Result<PathBuf, BackendError> {
    let link = Path::new("/proc/thread-self/ns/net");
    let netns = std::fs::metadata(link)
        .map_err(|source| BackendError::Io {
            doing: format!("reading {}", link.display()),
            source,
        })?
        .ino();
    let dir = [PathBuf::from(LOCK_DIR), std::env::temp_dir()]
        .into_iter()
        .find(|d| std::fs::create_dir_all(d).is_ok())
        .ok_or_else(|| BackendError::Other(format!("cannot create {LOCK_DIR} or a temp dir")))?;
    Ok(dir.join(format!("xtables-netns-{netns}.lock")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_private_file_is_never_the_hosts() {
        let path = private_lock_file().expect("a lock file path");
        assert_ne!(path, Path::new(HOST_LOCKFILE));
        assert!(path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("xtables-netns-")));
    }

    #[test]
    fn threads_in_different_namespaces_get_different_files() {
        let here = private_lock_file().expect("path here");
        let there = std::thread::spawn(|| {
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).expect("unshare (root)");
            private_lock_file().expect("path there")
        })
        .join()
        .expect("thread");
        assert_ne!(here, there);
    }
}
