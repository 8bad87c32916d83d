//! The command line: arguments parsed by clap, then each subcommand in its own module.

mod doctor;
mod list;
mod placement;
mod probe_client;
mod render;
mod report;
mod run;
mod scenarios;
mod vm;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

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
    /// Print what a backend hands the kernel for a full sync of some Services (no root needed).
    Render(render::RenderArgs),
    /// Build the static site of every run under a reports folder, with an index newest first.
    Publish(PublishArgs),
    /// Run `svclab <args>` inside the lab VM: a stock kernel under QEMU, results back on the host.
    Vm(VmArgs),
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
pub struct VmArgs {
    /// Kernel to boot: debian-6.1 or debian-6.12, Debian's cloud kernel fetched with
    /// apt-get download and cached.
    #[arg(long, default_value = "debian-6.1")]
    kernel: String,
    /// Boot this kernel image instead (with --modules).
    #[arg(long, requires = "modules")]
    kernel_image: Option<PathBuf>,
    /// Its modules folder (`.../lib/modules/<release>`, with modules.dep).
    #[arg(long, requires = "kernel_image")]
    modules: Option<PathBuf>,
    /// Guest memory in MiB.
    #[arg(long, default_value_t = 2048)]
    memory: u32,
    /// Guest CPUs.
    #[arg(long, default_value_t = 2)]
    cpus: u32,
    /// Stop the guest (and QEMU) when it runs longer than this, boot included, e.g. 30m, 2h.
    #[arg(long, default_value = "4h", value_parser = humantime::parse_duration)]
    timeout: Duration,
    /// kvm, tcg, or auto: KVM when a probe boot shows it works, else TCG emulation.
    #[arg(long, value_enum, default_value = "auto")]
    accel: AccelArg,
    /// Run this host program in the guest instead of svclab, with the arguments after `--`
    /// (e.g. a test binary from `cargo test --no-run`, to test backends on the guest's kernel).
    #[arg(long)]
    exec: Option<PathBuf>,
    /// With --exec: bring what the program writes under $SVCLAB_OUT (and criterion's reports,
    /// via CRITERION_HOME) back into this host folder.
    #[arg(long, requires = "exec")]
    out: Option<PathBuf>,
    /// Append to the guest kernel's command line (for tests, e.g. to make it panic).
    #[arg(long, hide = true)]
    append: Option<String>,
    /// The svclab command to run in the guest, after `--`.
    #[arg(last = true, required = true)]
    args: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum AccelArg {
    Auto,
    Kvm,
    Tcg,
}

/// Where `svclab run` measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Where {
    /// Each backend here when it can run here; the others in the lab VM, in the same run.
    Auto,
    Host,
    Vm,
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
    /// Where to measure: auto runs each backend on this host when it can, and only the others in
    /// the lab VM, in the same run and results file; host or vm put every backend there.
    #[arg(long = "where", value_enum, default_value = "auto")]
    place: Where,
    /// Comma-separated backends to measure in the lab VM even where this host could run them
    /// (with --where auto), e.g. to see ipvs on the lab VM's kernel beside iptables on the host's.
    #[arg(long = "in-vm", value_delimiter = ',')]
    in_vm: Option<Vec<String>>,
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
        Command::Vm(args) => vm::run(args),
        Command::Render(args) => render::run(args),
    }
}

/// 2 for bad input (a malformed scenario, an unknown backend or kernel), 1 for anything else.
pub fn exit_code(error: &anyhow::Error) -> ExitCode {
    let bad_input = error.chain().any(|e| {
        e.is::<UsageError>()
            || e.is::<crate::scenario::ScenarioError>()
            || e.is::<crate::services_file::ServicesFileError>()
            || e.downcast_ref::<crate::vm::VmError>()
                .is_some_and(crate::vm::VmError::is_usage)
    });
    if bad_input {
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    }
}
