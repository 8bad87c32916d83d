//! The data-path steps of a scale point: probes after each step, connection latency and the
//! disruption stream, recorded beside the timings (none of this is inside a timed call).

use super::datapath::{latencies, DataPath, Tally};
use super::point::{outcome_of, status_of, with_spare, Point, Stop};
use super::{write, PointStatus, RunError};
use crate::datapath::DatapathError;
use crate::datapath::StreamSummary;
use crate::results::{
    ConnectLatency, Disruption, FirstPacket, FirstPacketMeasure, Outcome, Probe, Record,
};
use svclab_backend::ServiceBackend;

impl Point<'_, '_> {
    /// Run a probe step after `after` and record it.
    pub(super) fn probe(
        &mut self,
        after: &str,
        run: impl FnOnce(&DataPath, &mut Tally) -> Result<(), DatapathError>,
    ) -> Result<(), Stop> {
        let mut tally = Tally::default();
        self.check(|d| run(d, &mut tally))?;
        self.record_probe(after, tally)?;
        Ok(())
    }

    /// A probe that could not run at all (the client failed) stops the point.
    pub(super) fn check(
        &mut self,
        run: impl FnOnce(&DataPath) -> Result<(), DatapathError>,
    ) -> Result<(), Stop> {
        let Some(d) = self.datapath.as_ref() else {
            return Ok(());
        };
        run(d).map_err(|e| {
            self.ctx.progress.note(&format!(
                "{} at {} services: data path: {e}",
                self.name, self.n
            ));
            self.probe_failed = true;
            Stop::Status(PointStatus::Failed)
        })
    }

    pub(super) fn record_probe(&mut self, after: &str, tally: Tally) -> Result<(), RunError> {
        if self.datapath.is_none() {
            return Ok(());
        }
        if !tally.ok() {
            self.probe_failed = true;
            self.ctx.progress.note(&format!(
                "{} at {} services: data path WRONG after {after}: {}",
                self.name,
                self.n,
                tally.failures.first().map_or("", String::as_str)
            ));
        }
        write(
            self.out,
            Record::Probe(Probe {
                backend: self.name.to_string(),
                services: self.n,
                after: after.to_string(),
                services_checked: tally.services_checked,
                connections: tally.connections,
                ok: tally.ok(),
                failures: tally.failures,
            }),
        )
    }

    pub(super) fn connect_latency(&mut self) -> Result<(), Stop> {
        let Some(d) = self.datapath.as_ref() else {
            return Ok(());
        };
        self.progress("connection latency");
        let (vip, direct) = match d.latency(self.base) {
            Ok(r) => r,
            Err(e) => return self.check(|_| Err(e)),
        };
        for (via, results) in [("vip", vip), ("endpoint", direct)] {
            let (samples_ns, failed) = latencies(&results);
            write(
                self.out,
                Record::ConnectLatency(ConnectLatency {
                    backend: self.name.to_string(),
                    services: self.n,
                    via: via.to_string(),
                    samples_ns,
                    failed,
                }),
            )?;
        }
        Ok(())
    }

    /// First-packet cost per lookup position: `connect(2)` alone, then connect + first byte.
    pub(super) fn first_packet(&mut self) -> Result<(), Stop> {
        let connections = self.ctx.plan.datapath.first_packet;
        let Some(d) = self.datapath.as_ref() else {
            return Ok(());
        };
        if connections == 0 {
            return Ok(());
        }
        self.progress("first-packet cost");
        let times = match d.first_packet(self.base, connections) {
            Ok(t) => t,
            Err(e) => return self.check(|_| Err(e)),
        };
        for (i, target) in times.targets.iter().enumerate() {
            let record = |measure, samples_ns, failed, errors| {
                Record::FirstPacket(FirstPacket {
                    backend: self.name.to_string(),
                    services: self.n,
                    measure,
                    position: target.position,
                    index: target.index,
                    target: target.addr.to_string(),
                    samples_ns,
                    failed,
                    errors,
                })
            };
            if let Some(c) = times.connect.get(i) {
                let r = record(
                    FirstPacketMeasure::Connect,
                    c.samples_ns.clone(),
                    c.failed,
                    c.errors.clone(),
                );
                write(self.out, r)?;
            }
            if let Some(results) = times.first_byte.get(i) {
                let (samples_ns, failed) = latencies(results);
                let errors = results
                    .iter()
                    .filter_map(|r| r.error.clone())
                    .take(5)
                    .collect();
                let r = record(
                    FirstPacketMeasure::ConnectFirstByte,
                    samples_ns,
                    failed,
                    errors,
                );
                write(self.out, r)?;
            }
        }
        Ok(())
    }

    /// Full syncs and endpoint updates while a stream of connections runs to a stable Service.
    /// A backend whose full sync outlasts the operation budget full-syncs once (see `budget`).
    pub(super) fn disruption(&mut self, backend: &mut dyn ServiceBackend) -> Result<(), Stop> {
        let plan = &self.ctx.plan.disruption;
        let base = self.base;
        let Some(d) = self.datapath.as_ref() else {
            return Ok(());
        };
        let stream = match d.stream(&base[0], plan.interval, plan.long_lived) {
            Ok(s) => s,
            Err(e) => return self.check(|_| Err(e)),
        };
        let mut record = Disruption {
            backend: self.name.to_string(),
            services: self.n,
            syncs: 0,
            updates: 0,
            attempts: 0,
            failed: 0,
            long_lived: 0,
            broken: 0,
            worst_ns: 0,
            errors: Vec::new(),
            outcome: Outcome::Ok,
            lookup_retries: None,
        };
        // Read before and after the stream; a count that cannot be read is left out, not zero.
        let retries_before = backend.lookup_retries().ok().flatten();
        let spares = &self.ctx.set.spare_endpoints;
        let started = std::time::Instant::now();
        let mut round = 0;
        while super::budget::more_disruption_rounds(round, started.elapsed(), self.ctx.plan) {
            if self.ctx.cancel().is_cancelled() {
                record.outcome = Outcome::Cancelled;
                break;
            }
            if super::budget::disruption_round_syncs(round, started.elapsed(), self.ctx.plan) {
                if let Err(e) = backend.sync(base) {
                    record.outcome = outcome_of(&e);
                    break;
                }
                record.syncs += 1;
            }
            // Update another Service than the stable one (none when there is only one).
            if let Some(other) = base.get(1 + round % (base.len().max(2) - 1)) {
                let changed = with_spare(other, spares[round % spares.len()]);
                let updated = backend
                    .update_endpoints(other.id, &changed.endpoints)
                    .and_then(|_| backend.update_endpoints(other.id, &other.endpoints));
                if let Err(e) = updated {
                    record.outcome = outcome_of(&e);
                    break;
                }
                record.updates += 2;
            }
            round += 1;
        }
        // A stream client that failed measured nothing: the record says so, not "0 attempts, ok".
        let summary = match stream.finish() {
            Ok(summary) => summary,
            Err(e) => {
                if record.outcome == Outcome::Ok {
                    record.outcome = Outcome::Failed {
                        error: format!("stream client: {e}"),
                    };
                }
                StreamSummary::default()
            }
        };
        record.attempts = summary.attempts;
        record.failed = summary.failed;
        record.long_lived = summary.long_lived;
        record.broken = summary.broken;
        record.worst_ns = summary.worst_ns;
        record.errors = summary.errors;
        if let (Some(before), Ok(Some(after))) = (retries_before, backend.lookup_retries()) {
            record.lookup_retries = Some(after.saturating_sub(before));
        }
        let outcome = record.outcome.clone();
        write(self.out, Record::Disruption(record))?;
        match outcome {
            Outcome::Ok => Ok(()),
            other => Err(Stop::Status(status_of(&other))),
        }
    }
}
