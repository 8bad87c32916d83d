//! `svclab probe-client` (hidden): the data path's client process. The lab starts it; users don't.

use crate::datapath::probe_client;
use anyhow::Context as _;
use std::io::BufRead;
use std::net::SocketAddrV4;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct ProbeClientArgs {
    #[command(subcommand)]
    mode: Mode,
    /// Join this cgroup v2 directory before connecting.
    #[arg(long, global = true)]
    cgroup: Option<PathBuf>,
    /// Connect and first-byte timeout.
    #[arg(long, global = true, default_value_t = 1000)]
    timeout_ms: u64,
}

#[derive(Debug, clap::Subcommand)]
enum Mode {
    /// Read `ADDR:PORT COUNT` lines from stdin, connect, print one JSON result a connection.
    Connect,
    /// Read `ADDR:PORT COUNT` lines from stdin; time `connect(2)` alone COUNT times for each and
    /// print one JSON line of times per input line.
    FirstPacket,
    /// Stream connections to one target until stdin closes, then print a JSON summary.
    Stream {
        #[arg(long)]
        target: SocketAddrV4,
        #[arg(long, default_value_t = 5000)]
        interval_us: u64,
        #[arg(long, default_value_t = 8)]
        long_lived: usize,
    },
}

pub fn run(args: ProbeClientArgs) -> anyhow::Result<ExitCode> {
    if let Some(cgroup) = &args.cgroup {
        probe_client::join_cgroup(cgroup)
            .with_context(|| format!("joining cgroup {}", cgroup.display()))?;
    }
    let timeout = Duration::from_millis(args.timeout_ms);
    match args.mode {
        Mode::Connect => {
            probe_client::run_connect(std::io::stdin().lock(), std::io::stdout().lock(), timeout)
                .context("probing")?;
        }
        Mode::FirstPacket => {
            crate::datapath::first_packet::run(
                std::io::stdin().lock(),
                std::io::stdout().lock(),
                timeout,
            )
            .context("timing connects")?;
        }
        Mode::Stream {
            target,
            interval_us,
            long_lived,
        } => {
            let stop = Arc::new(AtomicBool::new(false));
            let watcher = stop.clone();
            // The parent closes our stdin to say stop.
            std::thread::spawn(move || {
                for _ in std::io::stdin().lock().lines() {}
                watcher.store(true, Ordering::SeqCst);
            });
            let summary = probe_client::run_stream(
                target,
                Duration::from_micros(interval_us),
                long_lived,
                timeout,
                stop,
                || println!("ready"),
            );
            println!("{}", serde_json::to_string(&summary)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}
