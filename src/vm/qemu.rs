//! Running QEMU: the command line, the console stream, and ending the guest. The child is
//! killed when this module's handle drops, and the kernel kills it if svclab itself dies
//! (`PR_SET_PDEATHSIG`), so no QEMU process outlives the lab.

use super::init::{EXIT_MARKER, PROBE_MARKER, START_MARKER};
use super::VmError;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use svclab_backend::CancelFlag;

pub const QEMU: &str = "qemu-system-x86_64";

/// How long QEMU may take to exit on its own after the guest said it is done or panicked.
const EXIT_GRACE: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accel {
    Kvm,
    Tcg,
}

impl Accel {
    pub fn name(self) -> &'static str {
        match self {
            Accel::Kvm => "kvm",
            Accel::Tcg => "tcg",
        }
    }
}

/// One boot's settings.
#[derive(Debug, Clone)]
pub struct Machine {
    pub kernel: PathBuf,
    pub initrd: PathBuf,
    pub append: String,
    pub memory_mib: u32,
    pub cpus: u32,
    pub accel: Accel,
    /// Host files that receive the guest's ttyS1 (final transfer) and ttyS2 (live results).
    pub transfer: PathBuf,
    pub live: PathBuf,
    /// Append the live results to `live` instead of replacing it: the lab VM part of a run whose
    /// host part already wrote that file.
    pub live_append: bool,
    pub stderr: PathBuf,
}

/// How a boot ended.
#[derive(Debug)]
pub enum Ending {
    /// The command ran and exited with this code.
    Exited(i32),
    /// The probe boot reached user space.
    Probed,
    Panicked(String),
    TimedOut,
    Interrupted,
    /// QEMU ended without the guest saying the command finished.
    Stopped(String),
}

#[derive(Debug)]
pub struct Boot {
    pub ending: Ending,
    /// From spawning QEMU to the guest's start marker.
    pub boot_to_command: Option<Duration>,
}

/// QEMU on PATH, or a clear error.
pub fn find() -> Result<PathBuf, VmError> {
    svclab_backend::tool::find_program(QEMU).ok_or(VmError::QemuMissing)
}

fn command(qemu: &Path, m: &Machine) -> Command {
    let mut cmd = Command::new(qemu);
    cmd.args(["-nodefaults", "-no-user-config", "-nographic", "-no-reboot"])
        .args(["-nic", "none", "-monitor", "none"])
        .args(["-accel", m.accel.name()])
        .args(["-m", &m.memory_mib.to_string(), "-smp", &m.cpus.to_string()])
        .arg("-kernel")
        .arg(&m.kernel)
        .arg("-initrd")
        .arg(&m.initrd)
        .args(["-append", &m.append])
        // ttyS0: console; ttyS1: final transfer; ttyS2: live results.jsonl.
        .args(["-serial", "stdio", "-serial"])
        .arg(format!("file:{}", m.transfer.display()));
    if m.live_append {
        // `-serial file:` truncates; a chardev can append. Commas in option values are doubled.
        let path = m.live.display().to_string().replace(',', ",,");
        cmd.arg("-chardev")
            .arg(format!("file,id=live,path={path},append=on"))
            .args(["-serial", "chardev:live"]);
    } else {
        cmd.arg("-serial").arg(format!("file:{}", m.live.display()));
    }
    cmd
}

/// Boot `m`, feed every console line (markers removed) to `echo`, and end QEMU on completion,
/// panic, `deadline`, or `cancel`.
pub fn boot(
    qemu: &Path,
    m: &Machine,
    deadline: Duration,
    cancel: &CancelFlag,
    mut echo: impl FnMut(&str),
) -> Result<Boot, VmError> {
    let stderr =
        std::fs::File::create(&m.stderr).map_err(|e| VmError::io("creating", &m.stderr, e))?;
    let mut cmd = command(qemu, m);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr);
    // SAFETY: prctl and setpgid are async-signal-safe and touch only the child's own state.
    // Own process group: the terminal's Ctrl-C reaches svclab, which ends QEMU and keeps what was
    // measured. PDEATHSIG: QEMU dies with the spawning thread even if svclab is killed outright.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setpgid(0, 0) != 0
                || libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let started = Instant::now();
    let child = cmd.spawn().map_err(|source| VmError::Spawn { source })?;
    let mut guest = Guest(child);
    let lines = guest.console_lines()?;

    let mut watch = Watch {
        started,
        boot_to_command: None,
        ending: None,
        grace_from: None,
    };
    loop {
        match lines.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => watch.on_line(&line, &mut echo),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            // The console closed: QEMU is gone or going.
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                guest.wait();
                break;
            }
        }
        // Checked after every line too: a guest flooding its console must still time out.
        if guest.exited() {
            // Drain what the console still holds before deciding.
            while let Ok(line) = lines.recv_timeout(Duration::from_millis(200)) {
                watch.on_line(&line, &mut echo);
            }
            break;
        }
        if watch.grace_from.is_some_and(|t| t.elapsed() > EXIT_GRACE) {
            guest.kill();
            break;
        }
        if watch.ending.is_none() && started.elapsed() > deadline {
            watch.ending = Some(Ending::TimedOut);
            guest.kill();
            break;
        }
        if watch.ending.is_none() && cancel.is_cancelled() {
            watch.ending = Some(Ending::Interrupted);
            guest.kill();
            break;
        }
    }
    let ending = watch.ending.unwrap_or_else(|| {
        let err = std::fs::read_to_string(&m.stderr).unwrap_or_default();
        Ending::Stopped(err.trim().to_string())
    });
    Ok(Boot {
        ending,
        boot_to_command: watch.boot_to_command,
    })
}

/// What the console has shown so far.
struct Watch {
    started: Instant,
    boot_to_command: Option<Duration>,
    ending: Option<Ending>,
    /// When the guest said it is done (or panicked): QEMU gets `EXIT_GRACE` to exit by itself.
    grace_from: Option<Instant>,
}

impl Watch {
    fn on_line(&mut self, line: &str, echo: &mut impl FnMut(&str)) {
        let done = match marker(line) {
            Some(Marker::Start) => {
                self.boot_to_command = Some(self.started.elapsed());
                None
            }
            Some(Marker::Exit(code)) => Some(Ending::Exited(code)),
            Some(Marker::Probe) => Some(Ending::Probed),
            None => {
                echo(line);
                // The first panic line names the cause; later ones are its trace.
                (line.contains("Kernel panic - not syncing") && self.ending.is_none())
                    .then(|| Ending::Panicked(line.trim().to_string()))
            }
        };
        if let Some(ending) = done {
            self.ending = Some(ending);
            self.grace_from.get_or_insert_with(Instant::now);
        }
    }
}

enum Marker {
    Start,
    Exit(i32),
    Probe,
}

/// The init script's marker lines. Matched at the end of a line: the firmware's last message
/// has no newline, so the first marker can share its line.
fn marker(line: &str) -> Option<Marker> {
    let line = line.trim_end();
    if line.ends_with(START_MARKER) {
        return Some(Marker::Start);
    }
    if line.ends_with(PROBE_MARKER) {
        return Some(Marker::Probe);
    }
    let (_, code) = line.rsplit_once(&format!("{EXIT_MARKER} "))?;
    // A code that is not a number is a failure, not a success.
    Some(Marker::Exit(code.trim().parse().unwrap_or(1)))
}

/// The QEMU child; killed and reaped on drop.
struct Guest(Child);

impl Guest {
    /// Console lines (CR and the firmware's escape sequences removed), read on a thread.
    fn console_lines(&mut self) -> Result<mpsc::Receiver<String>, VmError> {
        let stdout = self.0.stdout.take().ok_or(VmError::Console)?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut buf = Vec::new();
            while matches!(reader.read_until(b'\n', &mut buf), Ok(n) if n > 0) {
                let text = String::from_utf8_lossy(&buf);
                let line: String = strip_escapes(text.trim_end_matches(['\n', '\r']));
                buf.clear();
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(rx)
    }

    fn exited(&mut self) -> bool {
        matches!(self.0.try_wait(), Ok(Some(_)))
    }

    fn wait(&mut self) {
        let _ = self.0.wait();
    }

    fn kill(&mut self) {
        // Errors mean it already exited; wait reaps it either way.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Guest {
    fn drop(&mut self) {
        if !self.exited() {
            self.kill();
        }
    }
}

/// Remove ANSI CSI sequences (`ESC [ ... letter`) and `ESC c`, which SeaBIOS prints.
fn strip_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            if c != '\r' {
                out.push(c);
            }
            continue;
        }
        // `ESC [ ... letter` is a CSI sequence; any other escape is two characters (`ESC c`).
        if chars.next() == Some('[') {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_found_even_after_firmware_text() {
        assert!(matches!(
            marker("Booting from ROM..SVCLAB-START"),
            Some(Marker::Start)
        ));
        assert!(matches!(marker("SVCLAB-EXIT 2"), Some(Marker::Exit(2))));
        assert!(matches!(marker("SVCLAB-PROBE-OK"), Some(Marker::Probe)));
        assert!(marker("svclab: ipvs · 1 services").is_none());
    }

    #[test]
    fn firmware_escapes_are_removed() {
        assert_eq!(
            strip_escapes("\u{1b}c\u{1b}[?7l\u{1b}[2JBooting"),
            "Booting"
        );
        assert_eq!(strip_escapes("plain\r"), "plain");
    }

    #[test]
    fn command_line_has_no_network_and_three_serial_ports() {
        let m = Machine {
            kernel: "/k".into(),
            initrd: "/i".into(),
            append: "console=ttyS0".into(),
            memory_mib: 512,
            cpus: 1,
            accel: Accel::Tcg,
            transfer: "/t".into(),
            live: "/l".into(),
            live_append: false,
            stderr: "/e".into(),
        };
        let cmd = command(Path::new("qemu"), &m);
        let args: Vec<_> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let joined = args.join(" ");
        assert!(joined.contains("-nic none"), "{joined}");
        assert!(joined.contains("-no-reboot"));
        assert!(joined.contains("-accel tcg"));
        assert!(joined.contains("-serial stdio -serial file:/t -serial file:/l"));
        let appending = Machine {
            live: "/run,1/results.jsonl".into(),
            live_append: true,
            ..m
        };
        let joined: Vec<_> = command(Path::new("qemu"), &appending)
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let joined = joined.join(" ");
        assert!(
            joined.contains(
                "-serial file:/t -chardev file,id=live,path=/run,,1/results.jsonl,append=on -serial chardev:live"
            ),
            "{joined}"
        );
    }
}
