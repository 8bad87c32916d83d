//! Starting probe clients from the lab: `svclab probe-client` processes in the calling thread's
//! namespace, optionally inside a backend's cgroup, fed targets on stdin.

use super::first_packet::ConnectTimes;
use super::DatapathError;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader};
use std::net::SocketAddrV4;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use svclab_backend::tool;
use svclab_backend::CancelFlag;

/// Time a connect client gets beyond its connections' own timeouts (process start, setup).
const CLIENT_SLACK: Duration = Duration::from_secs(10);

/// One connection's outcome, as the client reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnResult {
    pub target: String,
    /// `address:port` the listener saw the connection arrive on.
    pub reached: Option<String>,
    pub error: Option<String>,
    /// Connect plus first byte.
    pub ns: u64,
}

/// What a steady stream of connections saw while the backend was busy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamSummary {
    pub attempts: u64,
    pub failed: u64,
    pub long_lived: usize,
    /// Long-lived connections that stopped answering (reset or timed out).
    pub broken: u64,
    pub worst_ns: u64,
    /// The first few errors, for the record.
    pub errors: Vec<String>,
}

impl StreamSummary {
    pub fn note(&mut self, error: String) {
        if self.errors.len() < 5 {
            self.errors.push(error);
        }
    }
}

/// How to start clients: the svclab binary, and the cgroup they must join (if any).
#[derive(Debug, Clone)]
pub struct ProbeClient {
    pub binary: PathBuf,
    pub cgroup: Option<PathBuf>,
    pub timeout: Duration,
    /// The lab's cancel flag: Ctrl-C kills a running client.
    pub cancel: CancelFlag,
}

impl ProbeClient {
    fn command(&self, mode: &str) -> Command {
        let mut command = Command::new(&self.binary);
        command
            .arg("probe-client")
            .arg(mode)
            .arg("--timeout-ms")
            .arg(self.timeout.as_millis().to_string());
        if let Some(cgroup) = &self.cgroup {
            command.arg("--cgroup").arg(cgroup);
        }
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Connect `count` times to each target, one after another; exactly one result per
    /// connection, in order.
    /// Run through the backends' shared tool runner: it feeds stdin from its own thread (the
    /// client's output can outgrow a pipe before its input is written), and kills the client
    /// past its deadline (every connection timing out, plus slack) or on Ctrl-C.
    pub fn connect(
        &self,
        targets: &[(SocketAddrV4, usize)],
    ) -> Result<Vec<ConnResult>, DatapathError> {
        let results: Vec<ConnResult> = self.lines("connect", targets)?;
        let connections: usize = targets.iter().map(|(_, n)| *n).sum();
        // Callers split the results by target: a short answer must not read as fewer failures.
        if results.len() != connections {
            return Err(DatapathError::Client(format!(
                "asked for {connections} connections, got {} results",
                results.len()
            )));
        }
        Ok(results)
    }

    /// Time `connect(2)` alone `n` times for each `(target, n)`; one answer per target line.
    pub fn first_packet(
        &self,
        targets: &[(SocketAddrV4, usize)],
    ) -> Result<Vec<ConnectTimes>, DatapathError> {
        let times: Vec<ConnectTimes> = self.lines("first-packet", targets)?;
        if times.len() != targets.len() {
            return Err(DatapathError::Client(format!(
                "asked for {} targets, got {} answers",
                targets.len(),
                times.len()
            )));
        }
        Ok(times)
    }

    /// One client process in `mode`, fed `ADDR:PORT COUNT` lines, answering JSON lines.
    fn lines<T: serde::de::DeserializeOwned>(
        &self,
        mode: &str,
        targets: &[(SocketAddrV4, usize)],
    ) -> Result<Vec<T>, DatapathError> {
        let input: String = targets.iter().map(|(t, n)| format!("{t} {n}\n")).collect();
        let connections: u32 = targets.iter().map(|(_, n)| *n as u32).sum();
        let deadline = Instant::now() + self.timeout * (connections + 1) + CLIENT_SLACK;
        let mut args = vec![
            "probe-client".to_string(),
            mode.into(),
            "--timeout-ms".into(),
            self.timeout.as_millis().to_string(),
        ];
        if let Some(cgroup) = &self.cgroup {
            args.extend(["--cgroup".into(), cgroup.display().to_string()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = tool::run(
            &self.binary,
            &args,
            Some(input.as_bytes()),
            deadline,
            &self.cancel,
            "probing",
        )
        .map_err(|e| DatapathError::Client(e.to_string()))?;
        run.stdout
            .lines()
            .map(|l| {
                serde_json::from_str(l)
                    .map_err(|e| DatapathError::Client(format!("bad line {l:?}: {e}")))
            })
            .collect()
    }

    /// Start a stream of connections to `target`; stop it with [`Stream::finish`].
    pub fn stream(
        &self,
        target: SocketAddrV4,
        interval: Duration,
        long_lived: usize,
    ) -> Result<Stream, DatapathError> {
        let mut command = self.command("stream");
        command
            .arg("--target")
            .arg(target.to_string())
            .arg("--interval-us")
            .arg(interval.as_micros().to_string())
            .arg("--long-lived")
            .arg(long_lived.to_string());
        let mut child = command
            .spawn()
            .map_err(DatapathError::io("starting svclab probe-client stream"))?;
        // The client prints "ready" once its long-lived connections are open.
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| DatapathError::Client("no stdout".into()))?;
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .map_err(DatapathError::io("waiting for the stream to start"))?;
        if line.trim() != "ready" {
            let _ = child.kill();
            let _ = child.wait();
            return Err(DatapathError::Client(format!(
                "stream did not start: {line:?}"
            )));
        }
        Ok(Stream { child, reader })
    }
}

/// A running stream of connections.
pub struct Stream {
    child: Child,
    reader: BufReader<std::process::ChildStdout>,
}

impl Stream {
    /// Close the client's stdin (its signal to stop) and read its summary.
    pub fn finish(mut self) -> Result<StreamSummary, DatapathError> {
        drop(self.child.stdin.take());
        let mut line = String::new();
        self.reader
            .read_line(&mut line)
            .map_err(DatapathError::io("reading the stream summary"))?;
        let status = self
            .child
            .wait()
            .map_err(DatapathError::io("waiting for the stream client"))?;
        if !status.success() {
            return Err(DatapathError::Client(format!(
                "stream client exited {status}"
            )));
        }
        serde_json::from_str(&line)
            .map_err(|e| DatapathError::Client(format!("bad summary {line:?}: {e}")))
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        // Only reached without finish(): never leave the client (or the cgroup it holds) behind.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The svclab binary to start clients from: `SVCLAB_BIN`, this executable when it is svclab, or
/// an `svclab` beside it or one folder up (how cargo lays out test binaries).
pub fn svclab_binary() -> Result<PathBuf, DatapathError> {
    if let Some(path) = std::env::var_os("SVCLAB_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().map_err(DatapathError::io("finding the svclab binary"))?;
    if exe.file_name().is_some_and(|n| n == "svclab") {
        return Ok(exe);
    }
    exe.ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join("svclab"))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            DatapathError::Client(format!(
                "no svclab binary near {}; set SVCLAB_BIN",
                exe.display()
            ))
        })
}
