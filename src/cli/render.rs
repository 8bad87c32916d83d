//! `svclab render`: print exactly what a backend hands the kernel for a full sync of some
//! Services (synthetic ones from a scenario, or a user's own from a JSON file). Pure: it needs
//! neither root nor a namespace.

use super::{scenarios, UsageError};
use crate::{registry, services_file, synth};
use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use svclab_backend::Ipv4Cidr;

#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// The backend whose kernel input to print (see `svclab list`).
    #[arg(long)]
    backend: String,
    /// Synthetic Services from this scenario's seed and endpoints per Service (with --services).
    #[arg(long, requires = "services", conflicts_with = "services_file")]
    scenario: Option<String>,
    /// How many synthetic Services.
    #[arg(long, requires = "scenario")]
    services: Option<usize>,
    /// A JSON array of Services: namespace, name, port_name, vip, port, protocol,
    /// endpoints [{addr, port}].
    #[arg(long, required_unless_present = "scenario")]
    services_file: Option<PathBuf>,
    /// kube-proxy's --cluster-cidr: traffic to a VIP from outside it is masqueraded.
    #[arg(long, default_value_t = Ipv4Cidr::DEFAULT_CLUSTER)]
    cluster_cidr: Ipv4Cidr,
}

pub fn run(args: RenderArgs) -> anyhow::Result<ExitCode> {
    if !registry::names().contains(&args.backend.as_str()) {
        return Err(UsageError(format!(
            "unknown backend {:?}; known: {}",
            args.backend,
            registry::names().join(", ")
        ))
        .into());
    }
    let services = match (&args.services_file, &args.scenario, args.services) {
        (Some(file), _, _) => services_file::load(file)?,
        (None, Some(scenario), Some(count)) => {
            let (plan, _) = scenarios::load(scenario)?;
            synth::generate(plan.seed, count, plan.endpoints_per_service).services
        }
        _ => {
            return Err(UsageError(
                "say which Services: --services-file FILE, or --scenario NAME --services N".into(),
            )
            .into())
        }
    };
    let text = registry::render(&args.backend, &services, args.cluster_cidr)
        .with_context(|| format!("rendering a full sync for {}", args.backend))?;
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a message.
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("writing the rendered text to stdout")
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}
