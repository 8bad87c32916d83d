//! Lab cgroups left behind by runs that died (SIGKILL, a crash): `svclab-<pid>-<n>` directories
//! under the cgroup v2 root whose process `<pid>` is gone.
//!
//! The maps and the program of a dead run go with its file descriptors, and a program attached
//! through a link is detached when the link's fd closes; what stays is the directory, and a
//! program attached the legacy way (BPF_PROG_ATTACH), which lives as long as the cgroup.

use crate::cgroup::cgroup2_mount;
use crate::sys;
use std::fs;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

/// `BPF_CGROUP_INET4_CONNECT` in enum bpf_attach_type: the only hook the lab attaches to.
const BPF_CGROUP_INET4_CONNECT: u32 = 10;

/// Remove every lab cgroup whose owning process is gone, detaching what is attached to it and
/// moving out any process still inside (an orphaned probe) to the parent cgroup. Returns one
/// line per cgroup on what was done or why it could not be; nothing when there is none (or no
/// cgroup v2 mount, where the lab never made any).
pub fn remove_stale_cgroups() -> Vec<String> {
    let Ok(root) = cgroup2_mount() else {
        return Vec::new();
    };
    let Ok(dir) = fs::read_dir(&root) else {
        return Vec::new();
    };
    let mut names: Vec<String> = dir
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| owner(name).is_some_and(|pid| !alive(pid)))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| match remove(&root, &name) {
            Ok(done) => format!(
                "removed the cgroup {} left by dead process {}{done}",
                root.join(&name).display(),
                owner(&name).unwrap_or_default()
            ),
            Err(e) => format!(
                "could not remove the cgroup {} left by a dead run: {e}",
                root.join(&name).display()
            ),
        })
        .collect()
}

/// The pid in `svclab-<pid>-<n>`, the name [`crate::LabCgroup::create`] gives.
fn owner(name: &str) -> Option<u32> {
    let (pid, n) = name.strip_prefix("svclab-")?.split_once('-')?;
    n.parse::<u32>().ok()?;
    pid.parse().ok()
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Detach, move processes out, remove; says what besides removing it took.
fn remove(root: &Path, name: &str) -> io::Result<String> {
    let path = root.join(name);
    let mut done = String::new();
    let dir: OwnedFd = fs::File::open(&path)?.into();
    let detached = detach_all(dir.as_fd())?;
    if detached > 0 {
        done.push_str(&format!(", detached {detached} connect4 program(s)"));
    }
    let procs = fs::read_to_string(path.join("cgroup.procs"))?;
    let pids: Vec<&str> = procs.split_whitespace().collect();
    for pid in &pids {
        // One pid per write, as cgroup.procs takes them.
        match fs::write(root.join("cgroup.procs"), pid) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {} // exited meanwhile
            Err(e) => return Err(e),
        }
    }
    if !pids.is_empty() {
        done.push_str(&format!(
            ", moved {} leftover process(es) to the root cgroup",
            pids.len()
        ));
    }
    drop(dir);
    fs::remove_dir(&path)?;
    Ok(done)
}

fn detach_all(cgroup: std::os::fd::BorrowedFd<'_>) -> io::Result<usize> {
    let ids = sys::prog_query(cgroup, BPF_CGROUP_INET4_CONNECT)?;
    let mut detached = 0;
    for id in ids {
        let prog = match sys::prog_fd_by_id(id) {
            Ok(fd) => fd,
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => continue, // freed meanwhile
            Err(e) => return Err(e),
        };
        match sys::prog_detach(cgroup, prog.as_fd(), BPF_CGROUP_INET4_CONNECT) {
            Ok(()) => detached += 1,
            // Attached through a link someone still holds: not a legacy attachment to undo.
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(detached)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lab_cgroup_names_have_an_owner() {
        assert_eq!(owner("svclab-1234-0"), Some(1234));
        assert_eq!(owner("svclab-1234-17"), Some(1234));
        assert_eq!(owner("svclab-1234"), None);
        assert_eq!(owner("svclab-x-0"), None);
        assert_eq!(owner("system.slice"), None);
        assert_eq!(owner("svclab-1234-0-extra"), None);
    }
}
