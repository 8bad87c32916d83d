//! The cgroup v2 directory that holds the lab's own probe processes, and only those.
//!
//! The connect4 program is attached here rather than at the cgroup root, so nothing on the
//! machine but processes the lab placed in this directory has its connections translated.

use crate::EbpfError;
use std::fs::{self, File};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicU32, Ordering};

/// Distinguishes the cgroups of several backends in one process.
static NEXT: AtomicU32 = AtomicU32::new(0);

#[derive(Debug)]
pub struct LabCgroup {
    path: PathBuf,
    removed: bool,
}

impl LabCgroup {
    /// Create `<cgroup2 mount>/svclab-<pid>-<n>`.
    pub fn create() -> Result<Self, EbpfError> {
        let root = cgroup2_mount()?;
        let name = format!(
            "svclab-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let path = root.join(name);
        fs::create_dir(&path).map_err(|source| EbpfError::Cgroup {
            doing: "creating cgroup",
            path: path.clone(),
            source,
        })?;
        Ok(Self {
            path,
            removed: false,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory opened for `BPF_LINK_CREATE` / `BPF_PROG_ATTACH`.
    pub fn open(&self) -> Result<OwnedFd, EbpfError> {
        File::open(&self.path)
            .map(OwnedFd::from)
            .map_err(|source| self.error("opening cgroup", source))
    }

    /// Start `command` inside this cgroup (and in the calling thread's network namespace): the
    /// child moves itself in before it execs, so not one of its syscalls runs outside.
    pub fn spawn(&self, command: &mut Command) -> Result<Child, EbpfError> {
        let procs_path = self.path.join("cgroup.procs");
        // Opened here, where errors can be reported; the child only writes to it.
        let procs = fs::OpenOptions::new()
            .write(true)
            .open(&procs_path)
            .map_err(|source| self.error("opening", source))?;
        let fd = procs.as_raw_fd();
        // SAFETY: the closure runs between fork and exec and only calls write(2), which is
        // async-signal-safe; `procs` outlives spawn(), so the fd is open in the child.
        unsafe {
            command.pre_exec(move || {
                // "0" means "the writing process".
                if libc::write(fd, b"0".as_ptr().cast(), 1) != 1 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command
            .spawn()
            .map_err(|source| self.error("spawning a process into", source));
        drop(procs);
        child
    }

    /// Remove the directory. Fails with EBUSY while a process is still inside: it is not moved
    /// out, since this cgroup only ever holds processes the lab put there and must wait for.
    pub fn remove(&mut self) -> Result<(), EbpfError> {
        if self.removed {
            return Ok(());
        }
        match fs::remove_dir(&self.path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(self.error("removing cgroup (a probe process still inside?)", source))
            }
        }
        self.removed = true;
        Ok(())
    }

    fn error(&self, doing: &'static str, source: io::Error) -> EbpfError {
        EbpfError::Cgroup {
            doing,
            path: self.path.clone(),
            source,
        }
    }
}

impl Drop for LabCgroup {
    fn drop(&mut self) {
        // Best effort; cleanup() reports the error where it can be seen.
        let _ = self.remove();
    }
}

/// The first cgroup2 mount point in /proc/self/mountinfo (Debian hybrid hosts have it at
/// /sys/fs/cgroup/unified, unified hosts at /sys/fs/cgroup).
pub fn cgroup2_mount() -> Result<PathBuf, EbpfError> {
    let text = fs::read_to_string("/proc/self/mountinfo").map_err(|source| EbpfError::Cgroup {
        doing: "reading",
        path: "/proc/self/mountinfo".into(),
        source,
    })?;
    parse_cgroup2_mount(&text).ok_or(EbpfError::NoCgroup2)
}

/// mountinfo lines are `id parent major:minor root mountpoint options [optional...] - fstype ...`.
fn parse_cgroup2_mount(mountinfo: &str) -> Option<PathBuf> {
    mountinfo.lines().find_map(|line| {
        let (before, after) = line.split_once(" - ")?;
        if after.split_whitespace().next()? != "cgroup2" {
            return None;
        }
        before.split_whitespace().nth(4).map(PathBuf::from)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_cgroup2_mount_among_v1_mounts() {
        let text = "\
35 24 0:30 / /sys/fs/cgroup/cpu rw,relatime shared:10 - cgroup cgroup rw,cpu
44 24 0:39 / /sys/fs/cgroup/unified rw,relatime shared:19 - cgroup2 cgroup2 rw
";
        assert_eq!(
            parse_cgroup2_mount(text),
            Some(PathBuf::from("/sys/fs/cgroup/unified"))
        );
        assert_eq!(
            parse_cgroup2_mount("1 0 0:1 / / rw - ext4 /dev/sda rw\n"),
            None
        );
    }
}
