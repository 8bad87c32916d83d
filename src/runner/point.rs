//! One backend at one scale point N, inside its own sandbox: sync, incremental ops, checks.

use super::budget::{warmup_after, Repeat};
use super::datapath::{DataPath, Tally};
use super::timing::timed;
use super::{write, Context, PointStatus, RunError};
use crate::registry;
use crate::results::{Measurement, ObjectCheck, Op, Outcome, Record, ResultsWriter, Sample};
use crate::scenario::Plan;
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
            let m = measurement(ctx, name, n, Op::InitialSync, 0, vec![], outcome_of(&e));
            write(out, Record::Measurement(m))?;
            return Ok(PointStatus::Failed);
        }
    };
    let datapath = if ctx.plan.datapath.enabled {
        match DataPath::build(&ctx.plan.datapath, ctx.set, ctx.cancel()) {
            Ok(d) => Some(d),
            Err(e) => {
                let error = format!("building the data-path topology: {e}");
                ctx.progress.note(&format!("{name}: {error}"));
                let m = measurement(
                    ctx,
                    name,
                    n,
                    Op::InitialSync,
                    0,
                    vec![],
                    Outcome::Failed { error },
                );
                write(out, Record::Measurement(m))?;
                return Ok(PointStatus::Failed);
            }
        }
    } else {
        None
    };
    let mut point = Point {
        ctx,
        out,
        name,
        n,
        base: &ctx.set.services[..n],
        datapath,
        probe_failed: false,
        warmup: ctx.plan.warmup,
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
    let m = measurement(ctx, name, n, Op::InitialSync, 0, vec![], outcome);
    write(out, Record::Measurement(m))
}

pub(super) struct Point<'a, 'c> {
    pub(super) ctx: &'a Context<'c>,
    pub(super) out: &'a mut ResultsWriter,
    pub(super) name: &'a str,
    pub(super) n: usize,
    pub(super) base: &'a [Service],
    pub(super) datapath: Option<DataPath>,
    /// A probe found the data path wrong: the point fails, its timings stay recorded.
    pub(super) probe_failed: bool,
    /// Untimed calls before each operation's samples (see `budget::warmup_after`).
    pub(super) warmup: usize,
}

/// Ends the scale point early with the status an error implies.
pub(super) enum Stop {
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
            Ok(()) if self.probe_failed => Ok(PointStatus::Failed),
            Ok(()) => Ok(PointStatus::Ok),
            Err(Stop::Status(status)) => Ok(status),
            Err(Stop::Write(e)) => Err(e),
        }
    }

    fn steps(&mut self, backend: &mut dyn ServiceBackend) -> Result<(), Stop> {
        let base = self.base;
        let plan = self.ctx.plan;
        self.progress("initial sync");
        let initial = self.series(Op::InitialSync, 0, None, |_| backend.sync(base))?;
        self.warmup = warmup_after(initial, plan);
        self.check_objects(backend, "initial sync")?;
        if let Some(d) = self.datapath.as_mut() {
            d.follow(backend);
        }
        self.probe("initial sync", |d, t| d.probe_set(base, t))?;

        self.progress("full sync");
        self.series(Op::FullSync, self.warmup, Some(plan), |_| {
            backend.sync(base)
        })?;
        self.probe("full sync", |d, t| d.probe_set(base, t))?;
        self.connect_latency()?;
        self.first_packet()?;

        let extra = &self.ctx.set.services[self.n];
        self.progress("add-1 / remove-1");
        let mut adds = Vec::new();
        let mut removes = Vec::new();
        let (mut added, mut removed) = (Tally::default(), Tally::default());
        let repeat = Repeat::start(plan);
        for i in 0.. {
            let keep = i >= self.warmup;
            if keep && !repeat.more(adds.len()) {
                break;
            }
            let add = self.step(Op::Add, &adds, || backend.add(extra))?;
            self.check(|d| d.probe_service(extra, &mut added))?;
            let remove = self.step(Op::Remove, &removes, || backend.remove(extra.id))?;
            self.check(|d| d.probe_removed(extra, &mut removed))?;
            if keep {
                adds.push(add);
                removes.push(remove);
            }
        }
        self.record(Op::Add, adds, Outcome::Ok)?;
        self.record(Op::Remove, removes, Outcome::Ok)?;
        self.record_probe("add-1", added)?;
        self.record_probe("remove-1", removed)?;

        self.progress("update-endpoints");
        let spares = &self.ctx.set.spare_endpoints;
        let mut updates = Vec::new();
        let mut updated = Tally::default();
        let repeat = Repeat::start(plan);
        for i in 0.. {
            if i >= self.warmup && !repeat.more(updates.len()) {
                break;
            }
            let svc = &base[i % base.len()];
            let changed = with_spare(svc, spares[i % spares.len()]);
            let sample = self.step(Op::UpdateEndpoints, &updates, || {
                backend.update_endpoints(svc.id, &changed.endpoints)
            })?;
            self.check(|d| d.probe_service(&changed, &mut updated))?;
            // Put the original endpoints back (untimed) so the base stays the same Services.
            self.step(Op::UpdateEndpoints, &updates, || {
                backend.update_endpoints(svc.id, &svc.endpoints)
            })?;
            self.check(|d| d.probe_service(svc, &mut updated))?;
            if i >= self.warmup {
                updates.push(sample);
            }
        }
        self.record(Op::UpdateEndpoints, updates, Outcome::Ok)?;
        self.record_probe("update-endpoints", updated)?;
        self.check_objects(backend, "incremental operations")?;
        if plan.disruption.enabled && self.datapath.is_some() {
            self.progress("disruption");
            self.disruption(backend)?;
        }
        self.kernel_claims(backend)?;
        Ok(())
    }

    /// `warmup` untimed then timed calls of `op`, recorded as one measurement: as many as the
    /// plan's repetitions and operation budget allow (see `budget`), or one without a plan.
    /// Returns the longest timed call.
    fn series(
        &mut self,
        op: Op,
        warmup: usize,
        adaptive: Option<&Plan>,
        mut call: impl FnMut(usize) -> Result<svclab_backend::OpReport, BackendError>,
    ) -> Result<std::time::Duration, Stop> {
        let repeat = adaptive.map(Repeat::start);
        let mut samples = Vec::new();
        for i in 0.. {
            let due = match &repeat {
                Some(r) => r.more(samples.len()),
                None => samples.is_empty(),
            };
            if i >= warmup && !due {
                break;
            }
            let sample = self.step(op, &samples, || call(i))?;
            if i >= warmup {
                samples.push(sample);
            }
        }
        let longest = samples.iter().map(|s| s.total_ns).max().unwrap_or(0);
        self.record(op, samples, Outcome::Ok)?;
        Ok(std::time::Duration::from_nanos(longest))
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
        // The initial sync is one call into an empty table, never warmed up.
        let warmup = if matches!(op, Op::InitialSync) {
            0
        } else {
            self.warmup
        };
        let m = measurement(self.ctx, self.name, self.n, op, warmup, samples, outcome);
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

    pub(super) fn progress(&self, what: &str) {
        self.ctx
            .progress
            .set_message(&format!("{} · {} services · {what}", self.name, self.n));
    }
}

/// `svc` with its last endpoint replaced by `spare`.
pub(super) fn with_spare(svc: &Service, spare: svclab_backend::Endpoint) -> Service {
    let mut changed = svc.clone();
    if let Some(last) = changed.endpoints.last_mut() {
        *last = spare;
    }
    changed
}

fn measurement(
    ctx: &Context<'_>,
    name: &str,
    n: usize,
    op: Op,
    warmup: usize,
    samples: Vec<Sample>,
    outcome: Outcome,
) -> Measurement {
    Measurement {
        backend: name.to_string(),
        services: n,
        endpoints_per_service: ctx.plan.endpoints_per_service,
        op,
        warmup,
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
