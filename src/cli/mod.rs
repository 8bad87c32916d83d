//! The command line: arguments parsed by clap, then each subcommand in its own module.

mod doctor;
mod list;
mod probe_client;
mod report;
mod run;
mod scenarios;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Bad input from the user (exit code 2), as opposed to a run that failed (exit code 1).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

#[derive(Debug, Parser)]
#[command(
    name = "svclab",
    version,
    about = "Benchmark lab for Kubernetes service proxies: iptables, IPVS and eBPF data planes"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario: program Services into each backend at each scale point and measure.
    Run(RunArgs),
    /// Say, for each backend, whether it can run here, and if not why and how to fix it.
    Doctor,
    /// List the backends and the scenarios.
    List,
    /// The data path's client process (started by the lab).
    #[command(hide = true)]
    ProbeClient(probe_client::ProbeClientArgs),
    /// Write index.html, summary.md and results.csv of a run from its results.jsonl alone.
    Report(ReportArgs),
    /// Compare two runs: per metric, backend and scale point, the ratio B/A, flagged past a threshold.
    Compare(CompareArgs),
    /// Build the static site of every run under a reports folder, with an index newest first.
    Publish(PublishArgs),
}

#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    /// The folder of run folders (each holding results.jsonl).
    #[arg(default_value = "reports")]
    reports: PathBuf,
    /// Where the site goes.
    #[arg(long, default_value = "site")]
    out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A run folder (holding results.jsonl), or a results.jsonl file.
    run: PathBuf,
    /// Where to write the report (default: the run folder).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The baseline run (folder or results.jsonl).
    a: PathBuf,
    /// The run compared with it.
    b: PathBuf,
    /// Flag a ratio B/A at or above this, or at or below its inverse.
    #[arg(long, default_value_t = 1.25)]
    threshold: f64,
    /// HTML output (default: compare-<A's run id>.html in B's folder).
    #[arg(long)]
    html: Option<PathBuf>,
    /// Exit 1 when any value is flagged (for CI).
    #[arg(long)]
    fail_on_flag: bool,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario file, or the name of a shipped scenario (seed-table, scale, quick).
    #[arg(long, default_value = "seed-table")]
    scenario: String,
    /// Comma-separated backends, replacing the scenario's list.
    #[arg(long, value_delimiter = ',')]
    backends: Option<Vec<String>>,
    /// Output folder (default: reports/<run-id>).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Parse the command line and run it; errors carry their exit code through [`exit_code`].
pub fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Doctor => doctor::run(),
        Command::List => list::run(),
        Command::ProbeClient(args) => probe_client::run(args),
        Command::Report(args) => report::run(args),
        Command::Compare(args) => report::compare(args),
        Command::Publish(args) => report::publish(args),
    }
}

/// 2 for bad input (a malformed scenario, an unknown backend), 1 for anything else.
pub fn exit_code(error: &anyhow::Error) -> ExitCode {
    let bad_input = error
        .chain()
        .any(|e| e.is::<UsageError>() || e.is::<crate::scenario::ScenarioError>());
    if bad_input {
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    }
}
