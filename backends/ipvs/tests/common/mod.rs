//! What the IPVS kernel tests share: a fresh namespace per test and the truth about IPVS in it.

#![allow(dead_code)] // each test binary uses its own subset

use nix::sched::{unshare, CloneFlags};
use std::path::Path;

/// Run `f` on a fresh thread moved into a new network namespace.
pub fn in_new_netns<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(move || {
        if let Err(e) = unshare(CloneFlags::CLONE_NEWNET) {
            panic!("unshare(CLONE_NEWNET) failed ({e}): kernel tests need root (CAP_SYS_ADMIN)");
        }
        f()
    })
    .join()
    .unwrap_or_else(|_| panic!("the namespace thread panicked"))
}

/// Whether the calling thread's namespace has IPVS (after something asked for it, so the
/// kernel had its chance to autoload the module). Inside the lab VM IPVS is required: a guest
/// without it is a broken VM image, not a reason to check less.
pub fn has_ipvs() -> bool {
    let has = Path::new("/proc/thread-self/net/ip_vs").exists();
    if !has && std::env::var_os("SVCLAB_IN_VM").is_some() {
        panic!("the lab VM's kernel has no IPVS: the guest image lacks the ip_vs modules");
    }
    has
}
