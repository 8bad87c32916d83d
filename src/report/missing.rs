//! What a run lacks, said plainly: a killed run (no end record), backends that could not run,
//! scale points never reached or not measured, and data kinds this lab does not record yet.

use super::model::BackendData;
use crate::analysis::commit_summary;
use crate::analysis::Cell;
use crate::results::{Op, Record};
use svclab_backend::Availability;

pub fn notices(records: &[Record], backends: &[BackendData]) -> Vec<String> {
    let mut out = Vec::new();
    let plan = records.iter().find_map(|r| match r {
        Record::Environment(e) => Some(&e.scenario),
        _ => None,
    });
    match records.iter().find_map(|r| match r {
        Record::RunEnd(e) => Some(e),
        _ => None,
    }) {
        None => out.push(
            "Partial run: the results have no end record (the run was killed, or is still going). Everything below is what it finished; the rest is listed as missing.".to_string(),
        ),
        Some(end) if end.status != "completed" => out.push(format!(
            "The run ended {}{}.",
            end.status,
            end.detail.as_ref().map_or(String::new(), |d| format!(": {d}"))
        )),
        Some(end) => {
            if let Some(d) = &end.detail {
                out.push(format!("The run completed with failures ({d}); they are listed here."));
            }
        }
    }
    for b in backends {
        if let Some(Availability::Unavailable { reason, fix }) = &b.availability {
            out.push(format!(
                "{}: not measured, unavailable here: {reason} (fix: {fix}).",
                b.name
            ));
            continue;
        }
        // Steps that were recorded but did not produce numbers (timed out, failed, skipped).
        for r in records {
            if let Record::Measurement(m) = r {
                if m.backend == b.name {
                    if let Cell::Missing(why) = commit_summary(m) {
                        out.push(format!(
                            "{}: {} at {} Services: {why}.",
                            b.name,
                            m.op.label(),
                            m.services
                        ));
                    }
                }
            }
        }
        // A disruption stream cut short still counts its connections; say how far it got.
        for r in records {
            if let Record::Disruption(d) = r {
                if let (true, Some(why)) = (d.backend == b.name, d.outcome.unfinished()) {
                    out.push(format!(
                        "{}: disruption at {} Services {why}; its counts cover the stream until \
                         then ({} full syncs and {} updates finished).",
                        b.name, d.services, d.syncs, d.updates
                    ));
                }
            }
        }
        if let Some(plan) = plan {
            let absent: Vec<String> = plan
                .scale
                .iter()
                .filter(|&&n| !has_record(records, &b.name, n))
                .map(|n| n.to_string())
                .collect();
            if !absent.is_empty() && b.availability.is_some() {
                out.push(format!(
                    "{}: no add-1 record at {} Services (never reached).",
                    b.name,
                    absent.join(", ")
                ));
            } else if b.availability.is_none() {
                out.push(format!("{}: never started (no records for it).", b.name));
            }
            if plan.cumulative.enabled && b.cumulative.is_none() && b.availability.is_some() {
                out.push(format!("{}: no one-at-a-time install record.", b.name));
            }
        }
    }
    if plan.is_some_and(|p| !p.cumulative.enabled) {
        out.push(
            "The one-at-a-time install was not measured (cumulative.enabled = false).".to_string(),
        );
    }
    if plan.is_some_and(|p| !p.datapath.enabled) {
        out.push("The data path was not measured (datapath.enabled = false): no probes, no connection latency.".to_string());
    }
    for b in backends.iter().filter(|b| b.availability.is_some()) {
        let failed: Vec<String> = records
            .iter()
            .filter_map(|r| match r {
                Record::Probe(p) if p.backend == b.name && !p.ok => Some(format!(
                    "{} Services after {}: {}",
                    p.services,
                    p.after,
                    p.failures.first().map_or("", String::as_str)
                )),
                _ => None,
            })
            .collect();
        if !failed.is_empty() {
            out.push(format!(
                "{}: the data path was WRONG ({}).",
                b.name,
                failed.join("; ")
            ));
        }
    }
    out
}

fn has_record(records: &[Record], backend: &str, n: usize) -> bool {
    records.iter().any(|r| {
        matches!(r, Record::Measurement(m) if m.backend == backend && m.services == n && m.op == Op::Add)
    })
}
