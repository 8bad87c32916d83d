//! One backend at one scale point N, inside its own sandbox: sync, incremental ops, checks.

use super::timing::timed;
use super::{write, Context, PointStatus, RunError};
use crate::registry;
use crate::results::{Measurement, ObjectCheck, Op, Outcome, Record, ResultsWriter, Sample};
use svclab_backend::{BackendError, Service, ServiceBackend};

/// Measure `name` at `n` Services. Runs on the sandbox thread; the backend never leaves it.
pub(crate) fn measure(
    ctx: &Context<'_>,
    out: &mut ResultsWriter,
    name: &str,
    n: usize,
) -> Result<PointStatus, RunError> {
    let mut backend = match registry::create(name, ctx.config.clone()) {
        Ok(b) => b,
        Err(e) => {
            let m = measurement(ctx, name, n, Op::InitialSync, vec![], outcome_of(&e));
            write(out, Record::Measurement(m))?;
            return Ok(PointStatus::Failed);
        }
    };
    let mut point = Point {
        ctx,
        out,
        name,
        n,
        base: &ctx.set.services[..n],
    };
    let status = point.run(backend.as_mut())?;
    if status != PointStatus::Cancelled {
        if let Err(e) = backend.cleanup() {
            ctx.progress.note(&format!("{name}: cleanup failed: {e}"));
        }
    }
    Ok(status)
}

/// Record that a scale point was not attempted.
pub(crate) fn record_skipped(
    ctx: &Context<'_>,
    out: &mut ResultsWriter,
    name: &str,
    n: usize,
    reason: &str,
) -> Result<(), RunError> {
    let outcome = Outcome::Skipped {
        reason: reason.to_string(),
    };
    let m = measurement(ctx, name, n, Op::InitialSync, vec![], outcome);
    write(out, Record::Measurement(m))
}

struct Point<'a, 'c> {
    ctx: &'a Context<'c>,
    out: &'a mut ResultsWriter,
    name: &'a str,
    n: usize,
    base: &'a [Service],
}

/// Ends the scale point early with the status an error implies.
enum Stop {
    Status(PointStatus),
    Write(RunError),
}

impl From<RunError> for Stop {
    fn from(e: RunError) -> Self {
        Stop::Write(e)
    }
}

impl Point<'_, '_> {
    fn run(&mut self, backend: &mut dyn ServiceBackend) -> Result<PointStatus, RunError> {
        match self.steps(backend) {
            Ok(()) => Ok(PointStatus::Ok),
            Err(Stop::Status(status)) => Ok(status),
            Err(Stop::Write(e)) => Err(e),
        }
    }

    fn steps(&mut self, backend: &mut dyn ServiceBackend) -> Result<(), Stop> {
        let base = self.base;
        let plan = self.ctx.plan;
        self.progress("initial sync");
        self.series(Op::InitialSync, 0, 1, |_| backend.sync(base))?;
        self.check_objects(backend, "initial sync")?;

        self.progress("full sync");
        self.series(Op::FullSync, plan.warmup, plan.repetitions, |_| {
            backend.sync(base)
        })?;

        let extra = &self.ctx.set.services[self.n];
        self.progress("add-1 / remove-1");
        let mut adds = Vec::new();
        let mut removes = Vec::new();
        for i in 0..plan.warmup + plan.repetitions {
            let keep = i >= plan.warmup;
            let add = self.step(Op::Add, &adds, || backend.add(extra))?;
            let remove = self.step(Op::Remove, &removes, || backend.remove(extra.id))?;
            if keep {
                adds.push(add);
                removes.push(remove);
            }
        }
        self.record(Op::Add, adds, Outcome::Ok)?;
        self.record(Op::Remove, removes, Outcome::Ok)?;

        self.progress("update-endpoints");
        let spares = &self.ctx.set.spare_endpoints;
        let mut updates = Vec::new();
        for i in 0..plan.warmup + plan.repetitions {
            let svc = &base[i % base.len()];
            let mut changed = svc.endpoints.clone();
            if let Some(last) = changed.last_mut() {
                *last = spares[i % spares.len()];
            }
            let sample = self.step(Op::UpdateEndpoints, &updates, || {
                backend.update_endpoints(svc.id, &changed)
            })?;
            // Put the original endpoints back (untimed) so the base stays the same Services.
            self.step(Op::UpdateEndpoints, &updates, || {
                backend.update_endpoints(svc.id, &svc.endpoints)
            })?;
            if i >= plan.warmup {
                updates.push(sample);
            }
        }
        self.record(Op::UpdateEndpoints, updates, Outcome::Ok)?;
        self.check_objects(backend, "incremental operations")
    }

    /// `warmup` untimed then `reps` timed calls of `op`, recorded as one measurement.
    fn series(
        &mut self,
        op: Op,
        warmup: usize,
        reps: usize,
        mut call: impl FnMut(usize) -> Result<svclab_backend::OpReport, BackendError>,
    ) -> Result<(), Stop> {
        let mut samples = Vec::new();
        for i in 0..warmup + reps {
            let sample = self.step(op, &samples, || call(i))?;
            if i >= warmup {
                samples.push(sample);
            }
        }
        self.record(op, samples, Outcome::Ok)?;
        Ok(())
    }

    /// One timed call; on error, the measurement so far is recorded with the error's outcome.
    fn step(
        &mut self,
        op: Op,
        so_far: &[Sample],
        call: impl FnOnce() -> Result<svclab_backend::OpReport, BackendError>,
    ) -> Result<Sample, Stop> {
        if self.ctx.cancel().is_cancelled() {
            self.record(op, so_far.to_vec(), Outcome::Cancelled)?;
            return Err(Stop::Status(PointStatus::Cancelled));
        }
        timed(call).or_else(|e| {
            let outcome = outcome_of(&e);
            let status = status_of(&outcome);
            self.ctx.progress.note(&format!(
                "{} at {} services: {} failed: {e}",
                self.name,
                self.n,
                op.label()
            ));
            self.record(op, so_far.to_vec(), outcome)?;
            Err(Stop::Status(status))
        })
    }

    fn record(&mut self, op: Op, samples: Vec<Sample>, outcome: Outcome) -> Result<(), RunError> {
        let m = measurement(self.ctx, self.name, self.n, op, samples, outcome);
        write(self.out, Record::Measurement(m))
    }

    fn check_objects(&mut self, backend: &mut dyn ServiceBackend, after: &str) -> Result<(), Stop> {
        let expected = backend.expected_objects(self.base);
        let kernel = match backend.kernel_objects() {
            Ok(k) => k,
            Err(e) => {
                self.ctx.progress.note(&format!(
                    "{}: reading kernel objects failed: {e}",
                    self.name
                ));
                return Err(Stop::Status(status_of(&outcome_of(&e))));
            }
        };
        let matches = kernel == expected;
        if !matches {
            self.ctx.progress.note(&format!(
                "{} at {} services after {after}: kernel holds {kernel}, expected {expected}",
                self.name, self.n
            ));
        }
        write(
            self.out,
            Record::ObjectCheck(ObjectCheck {
                backend: self.name.to_string(),
                services: self.n,
                after: after.to_string(),
                expected,
                kernel,
                matches,
            }),
        )?;
        if matches {
            Ok(())
        } else {
            Err(Stop::Status(PointStatus::Failed))
        }
    }

    fn progress(&self, what: &str) {
        self.ctx
            .progress
            .set_message(&format!("{} · {} services · {what}", self.name, self.n));
    }
}

fn measurement(
    ctx: &Context<'_>,
    name: &str,
    n: usize,
    op: Op,
    samples: Vec<Sample>,
    outcome: Outcome,
) -> Measurement {
    Measurement {
        backend: name.to_string(),
        services: n,
        endpoints_per_service: ctx.plan.endpoints_per_service,
        op,
        warmup: if matches!(op, Op::InitialSync) {
            0
        } else {
            ctx.plan.warmup
        },
        samples,
        outcome,
    }
}

pub(crate) fn outcome_of(e: &BackendError) -> Outcome {
    match e {
        BackendError::Timeout { .. } => Outcome::TimedOut {
            error: e.to_string(),
        },
        BackendError::Cancelled { .. } => Outcome::Cancelled,
        _ => Outcome::Failed {
            error: e.to_string(),
        },
    }
}

pub(crate) fn status_of(outcome: &Outcome) -> PointStatus {
    match outcome {
        Outcome::TimedOut { .. } => PointStatus::TimedOut,
        Outcome::Cancelled => PointStatus::Cancelled,
        _ => PointStatus::Failed,
    }
}
