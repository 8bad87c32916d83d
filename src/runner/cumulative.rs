//! The one-at-a-time install: from an empty table, add Services one by one (the source document's
//! "install all rules one at a time" reading), until the target or the time budget.

use super::point::{outcome_of, status_of};
use super::timing::timed;
use super::{write, Context, PointStatus, RunError};
use crate::registry;
use crate::results::{Cumulative, Outcome, Record, ResultsWriter};
use std::time::{Duration, Instant};

pub(crate) fn measure(
    ctx: &Context<'_>,
    out: &mut ResultsWriter,
    name: &str,
) -> Result<PointStatus, RunError> {
    let plan = &ctx.plan.cumulative;
    let target = plan.max_services.min(ctx.set.services.len());
    let mut record = Cumulative {
        backend: name.to_string(),
        endpoints_per_service: ctx.plan.endpoints_per_service,
        target,
        reached: 0,
        budget_ns: plan.budget.as_nanos() as u64,
        commit_ns: 0,
        total_ns: 0,
        checkpoints: Vec::new(),
        outcome: Outcome::Ok,
    };
    let mut backend = match registry::create(name, ctx.config.clone()) {
        Ok(b) => b,
        Err(e) => {
            record.outcome = outcome_of(&e);
            write(out, Record::Cumulative(record))?;
            return Ok(PointStatus::Failed);
        }
    };
    // The fixed chains first, untimed: the document's "add a rule" starts from a working proxy.
    if let Err(e) = backend.sync(&[]) {
        record.outcome = outcome_of(&e);
        write(out, Record::Cumulative(record))?;
        return Ok(status_of(&outcome_of(&e)));
    }
    ctx.progress.set_message(&format!(
        "{name} · one-at-a-time install up to {target} services"
    ));
    let started = Instant::now();
    let mut total = Duration::ZERO;
    for svc in &ctx.set.services[..target] {
        if ctx.cancel().is_cancelled() {
            record.outcome = Outcome::Cancelled;
            break;
        }
        if total >= plan.budget {
            record.outcome = Outcome::Skipped {
                reason: format!(
                    "time budget of {} spent after {} services",
                    humantime::format_duration(plan.budget),
                    record.reached
                ),
            };
            break;
        }
        match timed(|| backend.add(svc)) {
            Ok(sample) => {
                record.reached += 1;
                record.commit_ns += sample.commit_ns;
                record.total_ns += sample.total_ns;
                total = started.elapsed();
                if ctx.plan.scale.contains(&record.reached) {
                    record.checkpoints.push((record.reached, record.commit_ns));
                }
            }
            Err(e) => {
                record.outcome = outcome_of(&e);
                break;
            }
        }
    }
    if record.checkpoints.last().map(|c| c.0) != Some(record.reached) {
        record.checkpoints.push((record.reached, record.commit_ns));
    }
    let status = match &record.outcome {
        Outcome::Ok | Outcome::Skipped { .. } => PointStatus::Ok,
        other => status_of(other),
    };
    write(out, Record::Cumulative(record))?;
    if status != PointStatus::Cancelled {
        if let Err(e) = backend.cleanup() {
            ctx.progress.note(&format!("{name}: cleanup failed: {e}"));
        }
    }
    Ok(status)
}
