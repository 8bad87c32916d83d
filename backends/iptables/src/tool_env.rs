//! `svclab_backend::tool::run` with environment variables: iptables takes its lock file's path
//! only from `XTABLES_LOCKFILE`, and the shared runner passes the lab's environment unchanged.
//! Same contract (stdin from its own thread, deadline, cancellation, errors); the watchdog is
//! kept here rather than in the api crate until that runner takes an environment itself.

use std::io::{ErrorKind, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};
use svclab_backend::tool::ToolRun;
use svclab_backend::{BackendError, CancelFlag};

/// How often the watchdog looks at the cancel flag while a tool runs.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// What the tool needs besides its arguments.
pub struct Invocation<'a> {
    pub env: &'a [(&'a str, &'a Path)],
    pub input: Option<&'a [u8]>,
    pub deadline: Instant,
    pub cancel: &'a CancelFlag,
    pub doing: &'a str,
}

/// Run `program args` with `how.env` added to the lab's environment; fail on a non-zero exit,
/// past the deadline, or when cancelled (the child is killed in both cases).
pub fn run(program: &Path, args: &[&str], how: &Invocation<'_>) -> Result<ToolRun, BackendError> {
    let tool = program.display().to_string();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let (pid_tx, pid_rx) = mpsc::channel::<i32>();
    // The watchdog is started before the clock so its start-up is not timed.
    let watchdog = {
        let cancel = how.cancel.clone();
        let deadline = how.deadline;
        thread::spawn(move || watch(pid_rx, done_rx, deadline, &cancel))
    };
    let started = Instant::now();
    let mut command = Command::new(program);
    command.args(args).envs(how.env.iter().copied());
    command
        .stdin(if how.input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(source) => {
            drop(pid_tx);
            let _ = watchdog.join();
            return Err(if source.kind() == ErrorKind::NotFound {
                BackendError::ToolMissing {
                    tool,
                    fix: "install the Debian package iptables (scripts/setup.sh does)".into(),
                }
            } else {
                BackendError::Io {
                    doing: format!("starting {tool} while {}", how.doing),
                    source,
                }
            });
        }
    };
    let _ = pid_tx.send(child.id() as i32);
    let output = thread::scope(|scope| {
        if let (Some(data), Some(mut stdin)) = (how.input, child.stdin.take()) {
            // A separate writer: large inputs exceed the pipe buffer while the child also writes.
            scope.spawn(move || {
                // A write error means the child exited early; its status says why.
                let _ = stdin.write_all(data);
            });
        }
        child.wait_with_output()
    });
    let elapsed = started.elapsed();
    let _ = done_tx.send(());
    let ended = watchdog.join().unwrap_or(Ended::Finished);
    let output = output.map_err(|source| BackendError::Io {
        doing: format!("waiting for {tool} while {}", how.doing),
        source,
    })?;
    match ended {
        Ended::TimedOut => Err(BackendError::Timeout {
            doing: format!("{tool} while {}", how.doing),
            after: how.deadline.saturating_duration_since(started),
        }),
        Ended::Cancelled => Err(BackendError::Cancelled {
            doing: format!("{tool} while {}", how.doing),
        }),
        Ended::Finished if !output.status.success() => Err(BackendError::ToolFailed {
            tool,
            doing: how.doing.to_string(),
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        }),
        Ended::Finished => Ok(ToolRun {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            elapsed,
        }),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
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
) -> Ended {
    let Ok(pid) = pid_rx.recv() else {
        return Ended::Finished;
    };
    loop {
        let now = Instant::now();
        let ended = if cancel.is_cancelled() {
            Ended::Cancelled
        } else if now >= deadline {
            Ended::TimedOut
        } else {
            match done_rx.recv_timeout(CANCEL_POLL.min(deadline - now)) {
                Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => return Ended::Finished,
                Err(mpsc::RecvTimeoutError::Timeout) => continue,
            }
        };
        // Not reaped yet (the waiter signals `done` right after reaping): the pid is still ours.
        // SAFETY: kill(2) takes plain integers and has no memory effects.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
        let _ = done_rx.recv();
        return ended;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use svclab_backend::tool::find_program;

    fn how<'a>(env: &'a [(&'a str, &'a Path)], cancel: &'a CancelFlag) -> Invocation<'a> {
        Invocation {
            env,
            input: None,
            deadline: Instant::now() + Duration::from_secs(30),
            cancel,
            doing: "testing",
        }
    }

    #[test]
    fn the_child_sees_the_added_variable() {
        let sh = find_program("sh").expect("sh on PATH");
        let cancel = CancelFlag::new();
        let env = [("XTABLES_LOCKFILE", Path::new("/tmp/private.lock"))];
        let run = run(&sh, &["-c", "echo $XTABLES_LOCKFILE"], &how(&env, &cancel)).expect("runs");
        assert_eq!(run.stdout.trim(), "/tmp/private.lock");
    }

    #[test]
    fn failure_carries_stderr_and_deadline_kills() {
        let sh = find_program("sh").expect("sh on PATH");
        let cancel = CancelFlag::new();
        let err =
            run(&sh, &["-c", "echo boom >&2; exit 3"], &how(&[], &cancel)).expect_err("fails");
        assert!(err.to_string().contains("boom"), "{err}");
        let mut soon = how(&[], &cancel);
        soon.deadline = Instant::now() + Duration::from_millis(200);
        let sleep = find_program("sleep").expect("sleep on PATH");
        let err = run(&sleep, &["30"], &soon).expect_err("times out");
        assert!(err.is_timeout(), "{err}");
    }
}
