//! Running a backend's helper tool (iptables-restore, ipvsadm, ip): one child process, input on
//! stdin, a deadline, and cancellation. Shared here because every backend that shells out needs
//! exactly this, and backends may not depend on each other.

use crate::{BackendError, CancelFlag};
use std::fs::File;
use std::io::{ErrorKind, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How often the watchdog looks at the cancel flag while a tool runs.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// What a finished tool left behind.
#[derive(Debug)]
pub struct ToolRun {
    pub stdout: String,
    /// Spawn to exit: the time the kernel work (and the process it needs) took.
    pub elapsed: Duration,
}

/// Find a program on PATH (plus the sbin folders, which a non-login root shell may lack).
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Run `program args` with `input` on stdin; fail on a non-zero exit, past `deadline`, or when
/// `cancel` is set (the child is killed in both cases).
pub fn run(
    program: &Path,
    args: &[&str],
    input: Option<&[u8]>,
    deadline: Instant,
    cancel: &CancelFlag,
    doing: &str,
) -> Result<ToolRun, BackendError> {
    run_with_env(program, args, &[], input, deadline, cancel, doing)
}

/// [`run`] with `env` added to the lab's environment (iptables takes its lock file's path only
/// from `XTABLES_LOCKFILE`).
pub fn run_with_env(
    program: &Path,
    args: &[&str],
    env: &[(&str, &Path)],
    input: Option<&[u8]>,
    deadline: Instant,
    cancel: &CancelFlag,
    doing: &str,
) -> Result<ToolRun, BackendError> {
    let tool = program.display().to_string();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let (pid_tx, pid_rx) = mpsc::channel::<i32>();
    // The watchdog is started before the clock so its start-up is not timed.
    let watchdog = {
        let cancel = cancel.clone();
        thread::spawn(move || watch(pid_rx, done_rx, deadline, &cancel))
    };

    let stdin = match input.map(input_file).transpose() {
        Ok(Some(file)) => Stdio::from(file),
        Ok(None) => Stdio::null(),
        Err(source) => {
            drop(pid_tx);
            let _ = watchdog.join();
            return Err(BackendError::Io {
                doing: format!("preparing the input of {tool} while {doing}"),
                source,
            });
        }
    };
    let started = Instant::now();
    let spawned = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let child = match spawned {
        Ok(child) => child,
        Err(source) => {
            drop(pid_tx);
            let _ = watchdog.join();
            return Err(if source.kind() == ErrorKind::NotFound {
                BackendError::ToolMissing {
                    tool,
                    fix: "install it (scripts/setup.sh installs every tool svclab calls)".into(),
                }
            } else {
                BackendError::Io {
                    doing: format!("starting {tool} while {doing}"),
                    source,
                }
            });
        }
    };
    let _ = pid_tx.send(child.id() as i32);

    let output = child.wait_with_output();
    let elapsed = started.elapsed();
    let _ = done_tx.send(());
    let verdict = watchdog.join().unwrap_or(Verdict::Finished);

    let output = output.map_err(|source| BackendError::Io {
        doing: format!("waiting for {tool} while {doing}"),
        source,
    })?;
    match verdict {
        Verdict::TimedOut => {
            return Err(BackendError::Timeout {
                doing: format!("{tool} while {doing}"),
                after: deadline.saturating_duration_since(started),
            })
        }
        Verdict::Cancelled => {
            return Err(BackendError::Cancelled {
                doing: format!("{tool} while {doing}"),
            })
        }
        Verdict::Finished => {}
    }
    if !output.status.success() {
        return Err(BackendError::ToolFailed {
            tool,
            doing: doing.to_string(),
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    Ok(ToolRun {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        elapsed,
    })
}

/// A tool's input as an in-memory file (memfd) read from the start, not a pipe. Why: iptables-
/// legacy-restore `-w N` arms `alarm(N)` while it takes the xtables lock and never disarms it (seen
/// with iptables 1.8.9); when the alarm fires while the restore waits on a pipe for more input,
/// read(2) fails with EINTR, the restore takes that for the end of its input and fails with
/// "COMMIT expected at line N" (a 20,000-Service sync on a loaded machine met it). A read from a
/// memory file never waits, so no signal can cut the input short; the tool still reads stdin.
fn input_file(data: &[u8]) -> std::io::Result<File> {
    let fd = nix::sys::memfd::memfd_create(
        c"svclab-tool-input",
        nix::sys::memfd::MemFdCreateFlag::MFD_CLOEXEC,
    )
    .map_err(std::io::Error::from)?;
    let mut file = File::from(fd);
    file.write_all(data)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(file)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Finished,
    TimedOut,
    Cancelled,
}

/// Kill the child once the deadline passes or the lab cancels; return why it ended.
fn watch(
    pid_rx: mpsc::Receiver<i32>,
    done_rx: mpsc::Receiver<()>,
    deadline: Instant,
    cancel: &CancelFlag,
) -> Verdict {
    let Ok(pid) = pid_rx.recv() else {
        return Verdict::Finished;
    };
    loop {
        let now = Instant::now();
        let verdict = if cancel.is_cancelled() {
            Verdict::Cancelled
        } else if now >= deadline {
            Verdict::TimedOut
        } else {
            let wait = CANCEL_POLL.min(deadline - now);
            match done_rx.recv_timeout(wait) {
                Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => return Verdict::Finished,
                Err(mpsc::RecvTimeoutError::Timeout) => continue,
            }
        };
        // The child has not been reaped (the waiter signals `done` right after reaping), so the
        // pid is still ours; the gap between reaping and that signal is microseconds.
        // SAFETY: kill(2) takes plain integers and has no memory effects.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
        let _ = done_rx.recv();
        return verdict;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(30)
    }

    #[test]
    fn passes_stdin_and_collects_stdout() {
        let cat = find_program("cat").expect("cat on PATH");
        let run = run(
            &cat,
            &[],
            Some(b"hello"),
            far(),
            &CancelFlag::new(),
            "testing",
        )
        .expect("cat runs");
        assert_eq!(run.stdout, "hello");
    }

    /// The input is a regular (memory) file, so a tool's read of it never waits on a writer and
    /// cannot be cut short by a signal (see `input_file`).
    #[test]
    fn input_is_a_file_not_a_pipe() {
        let sh = find_program("sh").expect("sh on PATH");
        let script = "if [ -f /dev/stdin ]; then echo file; else echo other; fi; cat";
        let run = run(
            &sh,
            &["-c", script],
            Some(b"data"),
            far(),
            &CancelFlag::new(),
            "testing",
        )
        .expect("sh runs");
        assert_eq!(run.stdout, "file\ndata");
    }

    #[test]
    fn large_input_does_not_deadlock() {
        let cat = find_program("cat").expect("cat on PATH");
        let data = vec![b'x'; 8 << 20];
        let run =
            run(&cat, &[], Some(&data), far(), &CancelFlag::new(), "testing").expect("cat runs");
        assert_eq!(run.stdout.len(), data.len());
    }

    #[test]
    fn failure_carries_stderr() {
        let sh = find_program("sh").expect("sh on PATH");
        let err = run(
            &sh,
            &["-c", "echo boom >&2; exit 3"],
            None,
            far(),
            &CancelFlag::new(),
            "testing",
        )
        .expect_err("exit 3 fails");
        assert!(err.to_string().contains("boom"), "{err}");
    }

    #[test]
    fn deadline_kills_the_child() {
        let sleep = find_program("sleep").expect("sleep on PATH");
        let deadline = Instant::now() + Duration::from_millis(200);
        let err = run(
            &sleep,
            &["30"],
            None,
            deadline,
            &CancelFlag::new(),
            "testing",
        )
        .expect_err("times out");
        assert!(err.is_timeout(), "{err}");
    }

    #[test]
    fn cancel_kills_the_child() {
        let sleep = find_program("sleep").expect("sleep on PATH");
        let cancel = CancelFlag::new();
        cancel.cancel();
        let err = run(&sleep, &["30"], None, far(), &cancel, "testing").expect_err("cancelled");
        assert!(matches!(err, BackendError::Cancelled { .. }), "{err}");
    }

    #[test]
    fn missing_program_is_tool_missing() {
        let err = run(
            Path::new("/nonexistent/iptables-restore"),
            &[],
            None,
            far(),
            &CancelFlag::new(),
            "testing",
        )
        .expect_err("missing");
        assert!(matches!(err, BackendError::ToolMissing { .. }), "{err}");
    }
}
