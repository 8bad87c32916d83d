//! The measurement loop: for each backend and scale point, a fresh sandbox, a full sync, repeated
//! incremental operations, object checks, cleanup; then the one-at-a-time install. Every result is
//! written as soon as it is measured.

pub mod budget;
mod cumulative;
mod datapath;
mod first_packet;
mod meminfo;
mod point;
mod point_claims;
mod point_datapath;
mod timing;

use crate::progress::Progress;
use crate::registry;
use crate::results::{BackendStatus, Record, ResultsWriter};
use crate::sandbox::{self, SandboxError};
use crate::scenario::Plan;
use crate::synth::SyntheticSet;
use svclab_backend::{Availability, BackendConfig, CancelFlag, Capacity};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("writing {file}: {source}")]
    Write {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Completed,
    /// Some step failed (recorded); the rest ran.
    CompletedWithFailures,
    Interrupted,
}

/// How one scale point ended, which decides whether larger ones are worth trying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PointStatus {
    Ok,
    Failed,
    TimedOut,
    Cancelled,
}

pub(crate) struct Context<'a> {
    pub plan: &'a Plan,
    pub set: &'a SyntheticSet,
    pub config: BackendConfig,
    pub progress: &'a Progress,
}

impl Context<'_> {
    pub fn cancel(&self) -> &CancelFlag {
        &self.config.cancel
    }
}

pub(crate) fn write(out: &mut ResultsWriter, record: Record) -> Result<(), RunError> {
    out.write(record).map_err(|source| RunError::Write {
        file: out.path().display().to_string(),
        source,
    })
}

/// Run every selected backend through the plan, streaming records into `out`.
pub fn run(
    plan: &Plan,
    set: &SyntheticSet,
    cancel: &CancelFlag,
    progress: &Progress,
    out: &mut ResultsWriter,
) -> Result<RunStatus, RunError> {
    let ctx = Context {
        plan,
        set,
        config: BackendConfig {
            step_timeout: plan.step_timeout,
            cancel: cancel.clone(),
            capacity: Capacity {
                services: set.services.len(),
                endpoints_per_service: plan.endpoints_per_service,
            },
            // The synthetic endpoints' network (src/synth.rs), as a cluster's pod CIDR.
            cluster_cidr: svclab_backend::Ipv4Cidr::DEFAULT_CLUSTER,
        },
        progress,
    };
    let mut failures = false;
    for name in &plan.backends {
        let availability = probe(name, &ctx)?;
        write(
            out,
            Record::Backend(BackendStatus {
                backend: name.clone(),
                availability: availability.clone(),
            }),
        )?;
        if let Availability::Unavailable { reason, fix } = availability {
            progress.note(&format!("{name}: unavailable: {reason} (fix: {fix})"));
            failures = true;
            progress.skip_steps((plan.scale.len() + usize::from(plan.cumulative.enabled)) as u64);
            continue;
        }
        let mut stop_reason: Option<String> = None;
        for &n in &plan.scale {
            if cancel.is_cancelled() {
                return Ok(RunStatus::Interrupted);
            }
            if let Some(reason) = &stop_reason {
                point::record_skipped(&ctx, out, name, n, reason)?;
                progress.step_done();
                continue;
            }
            match sandbox::run_in_fresh_netns(|| point::measure(&ctx, out, name, n))?? {
                PointStatus::Ok => {}
                PointStatus::Failed => failures = true,
                PointStatus::TimedOut => {
                    failures = true;
                    stop_reason = Some(format!("a step timed out at {n} services"));
                }
                PointStatus::Cancelled => return Ok(RunStatus::Interrupted),
            }
            progress.step_done();
        }
        if plan.cumulative.enabled {
            match sandbox::run_in_fresh_netns(|| cumulative::measure(&ctx, out, name))?? {
                PointStatus::Ok => {}
                PointStatus::Cancelled => return Ok(RunStatus::Interrupted),
                PointStatus::Failed | PointStatus::TimedOut => failures = true,
            }
            progress.step_done();
        }
    }
    Ok(if failures {
        RunStatus::CompletedWithFailures
    } else {
        RunStatus::Completed
    })
}

/// Steps the progress bar will count for this plan.
pub fn total_steps(plan: &Plan) -> u64 {
    let per_backend = plan.scale.len() + usize::from(plan.cumulative.enabled);
    (plan.backends.len() * per_backend) as u64
}

/// Can `name` run here? Asked inside a sandbox, like every other backend call.
fn probe(name: &str, ctx: &Context<'_>) -> Result<Availability, RunError> {
    let config = ctx.config.clone();
    Ok(sandbox::run_in_fresh_netns(|| {
        registry::probe(name, config)
    })?)
}
