//! From records to numbers: pure functions over `results.jsonl` content, shared by the end-of-run
//! summary and the reports.

pub mod first_packet;
pub mod series;

pub use series::{
    backends_in_order, latency_series, object_series, op_series, ObjectSeries, Per, Point, Series,
};

use crate::results::{Cumulative, Measurement, ObjectCheck, Op, Record};
use crate::stats::{summarize, Summary};
use std::collections::BTreeMap;

/// Summary of one measurement's commit times (ns), or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Measured(Summary),
    Missing(String),
}

/// One backend at one scale point, every operation.
#[derive(Debug, Clone, PartialEq)]
pub struct PointRow {
    pub backend: String,
    pub services: usize,
    pub ops: BTreeMap<Op, Cell>,
    /// `Some(true)` when every object check of this point matched.
    pub objects_ok: Option<bool>,
    pub rules: Option<u64>,
    /// `Some(true)` when every data-path probe of this point passed.
    pub probes_ok: Option<bool>,
    /// Connect + first byte through VIPs, ns.
    pub vip_latency: Option<Summary>,
}

pub fn commit_summary(m: &Measurement) -> Cell {
    let samples: Vec<f64> = m.samples.iter().map(|s| s.commit_ns as f64).collect();
    match (m.outcome.unfinished(), summarize(&samples)) {
        (Some(why), _) => Cell::Missing(why),
        (None, Some(s)) => Cell::Measured(s),
        (None, None) => Cell::Missing("no samples".into()),
    }
}

/// Rows per (backend, scale point) in the order they were measured.
pub fn point_rows(records: &[Record]) -> Vec<PointRow> {
    let mut rows: Vec<PointRow> = Vec::new();
    let mut row_for = |backend: &str, services: usize| -> usize {
        match rows
            .iter()
            .position(|r| r.backend == backend && r.services == services)
        {
            Some(i) => i,
            None => {
                rows.push(PointRow {
                    backend: backend.to_string(),
                    services,
                    ops: BTreeMap::new(),
                    objects_ok: None,
                    rules: None,
                    probes_ok: None,
                    vip_latency: None,
                });
                rows.len() - 1
            }
        }
    };
    let mut updates: Vec<(usize, Update)> = Vec::new();
    for record in records {
        match record {
            Record::Measurement(m) => updates.push((
                row_for(&m.backend, m.services),
                Update::Op(m.op, commit_summary(m)),
            )),
            Record::ObjectCheck(c) => {
                updates.push((row_for(&c.backend, c.services), Update::Check(c.clone())))
            }
            Record::Probe(p) => {
                updates.push((row_for(&p.backend, p.services), Update::Probe(p.ok)))
            }
            Record::ConnectLatency(l) if l.via == "vip" => {
                let samples: Vec<f64> = l.samples_ns.iter().map(|&n| n as f64).collect();
                updates.push((
                    row_for(&l.backend, l.services),
                    Update::Latency(summarize(&samples)),
                ))
            }
            _ => {}
        }
    }
    for (i, update) in updates {
        let row = &mut rows[i];
        match update {
            Update::Op(op, cell) => {
                row.ops.insert(op, cell);
            }
            Update::Check(c) => {
                row.objects_ok = Some(row.objects_ok.unwrap_or(true) && c.matches);
                row.rules = c.kernel.get("rules").or(row.rules);
            }
            Update::Probe(ok) => row.probes_ok = Some(row.probes_ok.unwrap_or(true) && ok),
            Update::Latency(summary) => row.vip_latency = summary,
        }
    }
    rows
}

enum Update {
    Op(Op, Cell),
    Check(ObjectCheck),
    Probe(bool),
    Latency(Option<Summary>),
}

pub fn cumulative_runs(records: &[Record]) -> Vec<&Cumulative> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Cumulative(c) => Some(c),
            _ => None,
        })
        .collect()
}

/// `850 µs`, `3.20 ms`, `1.24 s`, `11.0 min`, `5.0 h`.
pub fn format_ns(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.0} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns < 120e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns < 7200e9 {
        format!("{:.1} min", ns / 60e9)
    } else {
        format!("{:.1} h", ns / 3600e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Outcome, Sample};
    use svclab_backend::ObjectCount;

    fn sample(ns: u64) -> Sample {
        Sample {
            commit_ns: ns,
            prepare_ns: 0,
            total_ns: ns,
            kernel_calls: 1,
            objects_written: 8,
            write: None,
        }
    }

    fn measurement(op: Op, ns: &[u64], outcome: Outcome) -> Record {
        Record::Measurement(Measurement {
            backend: "b".into(),
            services: 10,
            endpoints_per_service: 2,
            op,
            warmup: 1,
            samples: ns.iter().map(|&n| sample(n)).collect(),
            outcome,
        })
    }

    #[test]
    fn rows_group_ops_and_checks() {
        let check = Record::ObjectCheck(ObjectCheck {
            backend: "b".into(),
            services: 10,
            after: "initial sync".into(),
            expected: ObjectCount::new().with("rules", 88),
            kernel: ObjectCount::new().with("rules", 88),
            matches: true,
        });
        let records = vec![
            measurement(Op::Add, &[3, 1, 2], Outcome::Ok),
            check,
            measurement(Op::Remove, &[], Outcome::TimedOut { error: "x".into() }),
        ];
        let rows = point_rows(&records);
        assert_eq!(rows.len(), 1);
        match &rows[0].ops[&Op::Add] {
            Cell::Measured(s) => assert_eq!(s.median, 2.0),
            other => panic!("{other:?}"),
        }
        assert_eq!(rows[0].ops[&Op::Remove], Cell::Missing("timed out".into()));
        assert_eq!((rows[0].objects_ok, rows[0].rules), (Some(true), Some(88)));
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_ns(50_000.0), "50 µs");
        assert_eq!(format_ns(3_200_000.0), "3.20 ms");
        assert_eq!(format_ns(660e9), "11.0 min");
        assert_eq!(format_ns(18_000e9), "5.0 h");
    }
}
