//! The lab's sandbox: a fresh network namespace for each backend instance.
//!
//! The namespace is created by `unshare(CLONE_NEWNET)` on a dedicated thread and never named or
//! bind-mounted, so it lives exactly as long as that thread and the processes it starts: it is
//! gone when the work returns, fails or panics, and when the lab is killed, without any cleanup
//! step that could be skipped. Child processes (iptables-restore) inherit the thread's namespace.

use nix::sched::{unshare, CloneFlags};
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot create a network namespace: {0} (svclab needs root, or CAP_SYS_ADMIN and CAP_NET_ADMIN)")]
    Unshare(nix::Error),
    #[error("cannot bring up loopback in the sandbox: {0}")]
    Loopback(String),
    #[error("the sandbox thread panicked: {0}")]
    Panicked(String),
}

/// Run `work` on a new thread inside a new, empty network namespace (loopback up) and return its
/// result. The namespace is destroyed when `work` returns.
pub fn run_in_fresh_netns<T, F>(work: F) -> Result<T, SandboxError>
where
    T: Send,
    F: FnOnce() -> T + Send,
{
    std::thread::scope(|scope| {
        let handle = scope.spawn(|| {
            unshare(CloneFlags::CLONE_NEWNET).map_err(SandboxError::Unshare)?;
            loopback_up()?;
            Ok(work())
        });
        handle.join().map_err(|panic| {
            let text = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            SandboxError::Panicked(text)
        })?
    })
}

fn loopback_up() -> Result<(), SandboxError> {
    let out = Command::new("ip")
        .args(["link", "set", "lo", "up"])
        .output()
        .map_err(|e| {
            SandboxError::Loopback(format!("running ip (Debian package iproute2): {e}"))
        })?;
    if !out.status.success() {
        return Err(SandboxError::Loopback(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ));
    }
    Ok(())
}
