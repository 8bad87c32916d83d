//! The plain table printed at the end of `svclab run`.

use crate::analysis::{cumulative_runs, format_ns, point_rows, Cell};
use crate::results::{Disruption, Op, Outcome, Record};
use std::fmt::Write as _;

const OPS: [Op; 5] = [
    Op::InitialSync,
    Op::FullSync,
    Op::Add,
    Op::Remove,
    Op::UpdateEndpoints,
];

const HEADER: [&str; 11] = [
    "backend",
    "services",
    "initial sync",
    "full sync",
    "add-1 median / p99",
    "remove-1 median / p99",
    "update median / p99",
    "rules",
    "objects",
    "data path",
    "conn (VIP)",
];

fn table_line(cells: &[String]) -> String {
    let widths = [16, 8, 12, 12, 22, 22, 22, 8, 8, 9, 10];
    let mut line = format!("{:<w$}", cells[0], w = widths[0]);
    for (cell, w) in cells.iter().zip(widths).skip(1) {
        line.push_str(&format!(" {cell:>w$}"));
    }
    line
}

fn verdict(ok: Option<bool>, bad: &str) -> String {
    match ok {
        Some(true) => "ok".into(),
        Some(false) => bad.into(),
        None => "-".into(),
    }
}

pub fn render(records: &[Record]) -> String {
    let mut out = String::new();
    let header: Vec<String> = HEADER.iter().map(|h| h.to_string()).collect();
    let _ = writeln!(out, "{}", table_line(&header));
    for row in point_rows(records) {
        let cell = |op: Op, with_p99: bool| match row.ops.get(&op) {
            Some(Cell::Measured(s)) if with_p99 => format!(
                "{} / {} n={}",
                format_ns(s.median),
                format_ns(s.p99),
                s.count
            ),
            Some(Cell::Measured(s)) => format_ns(s.median),
            Some(Cell::Missing(why)) => short(why),
            None => "-".into(),
        };
        let cells = [
            row.backend.clone(),
            row.services.to_string(),
            cell(OPS[0], false),
            cell(OPS[1], false),
            cell(OPS[2], true),
            cell(OPS[3], true),
            cell(OPS[4], true),
            row.rules.map_or("-".into(), |r| r.to_string()),
            verdict(row.objects_ok, "MISMATCH"),
            verdict(row.probes_ok, "WRONG"),
            row.vip_latency.map_or("-".into(), |s| format_ns(s.median)),
        ];
        let _ = writeln!(out, "{}", table_line(&cells));
    }
    let disruptions: Vec<&Disruption> = records
        .iter()
        .filter_map(|r| match r {
            Record::Disruption(d) => Some(d),
            _ => None,
        })
        .collect();
    if !disruptions.is_empty() {
        let _ = writeln!(out, "\ndisruption (connections to a stable Service during full syncs and endpoint updates):");
        for d in disruptions {
            let _ = writeln!(
                out,
                "{:<16} {:>8} services: {} syncs, {} updates; {} new connections, {} failed; {}/{} long-lived broken; worst {}",
                d.backend, d.services, d.syncs, d.updates, d.attempts, d.failed, d.broken, d.long_lived,
                format_ns(d.worst_ns as f64)
            );
            if let Some(retries) = d.lookup_retries {
                let _ = writeln!(
                    out,
                    "{:<16} {:>8}           {retries} lookups started over after meeting an update",
                    "", ""
                );
            }
        }
    }
    let cumulative = cumulative_runs(records);
    if !cumulative.is_empty() {
        let _ = writeln!(
            out,
            "\none-at-a-time install from empty (sum of add-1 commit times):"
        );
        for c in cumulative {
            let how = match &c.outcome {
                Outcome::Ok => "complete".to_string(),
                Outcome::Skipped { reason } => reason.clone(),
                Outcome::TimedOut { .. } => "a step timed out".into(),
                Outcome::Failed { error } => format!("failed: {error}"),
                Outcome::Cancelled => "interrupted".into(),
            };
            let _ = writeln!(
                out,
                "{:<16} {:>6}/{:<6} services in {} ({how})",
                c.backend,
                c.reached,
                c.target,
                format_ns(c.commit_ns as f64)
            );
        }
    }
    if let Some(note) = where_note(records) {
        let _ = writeln!(out, "\n{note}");
    }
    out
}

/// Where the numbers come from, when that changes how to read them: a lab VM location, and which
/// backends ran where when one run measured in several places.
fn where_note(records: &[Record]) -> Option<String> {
    let envs = crate::results::located::environments(records);
    let by_backend = crate::results::located::backend_environments(records);
    let mut lines = Vec::new();
    for env in &envs {
        let backends: Vec<&str> = by_backend
            .iter()
            .filter(|(_, e)| std::ptr::eq(*e, *env))
            .map(|(b, _)| b.as_str())
            .collect();
        let whose = if envs.len() > 1 && !backends.is_empty() {
            format!("{}: ", backends.join(", "))
        } else {
            String::new()
        };
        match (env.location.as_str(), env.acceleration.as_str()) {
            ("vm", "tcg") => lines.push(format!(
                "{whose}measured in the lab VM (kernel {}) under TCG emulation: times are \
                 inflated several fold; compare ratios and slopes, not absolute times",
                env.kernel_release
            )),
            ("vm", accel) => lines.push(format!(
                "{whose}measured in the lab VM (kernel {}, acceleration {accel})",
                env.kernel_release
            )),
            _ if envs.len() > 1 && !backends.is_empty() => lines.push(format!(
                "{whose}measured on this host (kernel {})",
                env.kernel_release
            )),
            _ => {}
        }
    }
    if envs.len() > 1 {
        lines
            .push("absolute times compare only between backends measured in the same place".into());
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

fn short(why: &str) -> String {
    why.split(':').next().unwrap_or(why).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{read_records, BackendStatus};

    #[test]
    fn a_run_in_two_places_says_which_backend_ran_where() {
        let reference = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("reports/reference-vm/results.jsonl");
        let records = read_records(&reference).expect("reference-vm reads");
        let Some(Record::Environment(vm)) = records.first().cloned() else {
            panic!("reference-vm starts with its environment");
        };
        let mut host = vm.clone();
        host.location = "host".into();
        host.acceleration = "none".into();
        host.kernel_release = "6.18.44".into();
        let status = |name: &str| {
            Record::Backend(BackendStatus {
                backend: name.into(),
                availability: svclab_backend::Availability::Available {
                    detail: String::new(),
                },
            })
        };
        let mixed = [
            Record::Environment(host),
            status("iptables-nft"),
            Record::Environment(vm),
            status("ipvs"),
        ];
        let note = where_note(&mixed).expect("a note");
        assert!(
            note.contains("iptables-nft: measured on this host (kernel 6.18.44)"),
            "{note}"
        );
        assert!(
            note.contains("ipvs: measured in the lab VM (kernel 6.1.0-56-cloud-amd64) under TCG"),
            "{note}"
        );
        assert!(note.contains("compare only between backends measured in the same place"));
        // One place on the host: nothing to say.
        assert_eq!(where_note(&mixed[..2]), None);
    }
}
