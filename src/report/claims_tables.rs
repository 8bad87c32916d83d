//! The tables behind the kernel claims (first-packet cost per lookup position, kernel memory,
//! the lock wait), as text cells every renderer shows alike. Runs made before these records
//! existed get the tables with no rows and a note saying so.

use super::model::BackendData;
use crate::analysis::first_packet::{FirstPacketData, Percentiles};
use crate::analysis::format_ns;
use crate::results::LookupPosition;
use crate::stats::summarize;

#[derive(Debug, Clone, PartialEq)]
pub struct TextTable {
    pub id: &'static str,
    pub title: &'static str,
    pub note: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Said under a table that has no rows.
pub const NOT_IN_RUN: &str =
    "No such records in this run (runs made before svclab measured this have none).";

/// `42.5 µs` style: the first-packet figures need a decimal that `format_ns` drops.
pub fn micros(ns: f64) -> String {
    format!("{:.1} µs", ns / 1e3)
}

/// `24.3 MiB`, `512 KiB`.
pub fn bytes(b: f64) -> String {
    let sign = if b < 0.0 { "-" } else { "" };
    let b = b.abs();
    if b >= 1024.0 * 1024.0 {
        format!("{sign}{:.1} MiB", b / (1024.0 * 1024.0))
    } else {
        format!("{sign}{:.0} KiB", b / 1024.0)
    }
}

fn percentiles(p: Option<&Percentiles>) -> String {
    p.map_or("—".into(), |p| {
        let failed = if p.failed > 0 {
            format!(" ({} failed)", p.failed)
        } else {
            String::new()
        };
        format!(
            "{:.1} / {:.1} / {:.1}{failed}",
            p.p50 / 1e3,
            p.p90 / 1e3,
            p.p99 / 1e3
        )
    })
}

fn position_rows(name: &str, data: &FirstPacketData, walk: bool) -> Vec<Vec<String>> {
    data.points
        .iter()
        .map(|point| {
            let mut row = vec![name.to_string(), point.services.to_string()];
            row.extend(
                LookupPosition::ALL
                    .iter()
                    .map(|pos| percentiles(point.positions.get(pos))),
            );
            if walk {
                let w = data.walks.iter().find(|w| w.services == point.services);
                row.push(w.map_or("—".into(), |w| micros(w.walk_ns)));
                row.push(
                    w.and_then(|w| w.ns_per_rule())
                        .map_or("—".into(), |ns| format!("{ns:.1} ns")),
                );
            }
            row
        })
        .collect()
}

pub fn build(backends: &[BackendData]) -> Vec<TextTable> {
    let positions = || -> Vec<String> {
        ["backend", "Services"]
            .iter()
            .map(|s| s.to_string())
            .chain(
                LookupPosition::ALL
                    .iter()
                    .map(|p| format!("{} p50 / p90 / p99 (µs)", p.label())),
            )
            .collect()
    };
    let mut first_header = positions();
    first_header.extend(["walk (last − first p50)".into(), "per rule walked".into()]);
    let first_rows: Vec<Vec<String>> = backends
        .iter()
        .flat_map(|b| position_rows(&b.name, &b.first_packet, true))
        .collect();
    let byte_rows: Vec<Vec<String>> = backends
        .iter()
        .flat_map(|b| position_rows(&b.name, &b.first_byte, false))
        .collect();
    let memory_rows: Vec<Vec<String>> = backends
        .iter()
        .flat_map(|b| {
            b.memory.iter().map(|k| {
                vec![
                    b.name.clone(),
                    k.services.to_string(),
                    k.reported.as_ref().map_or("—".into(), |r| {
                        format!("{} ({})", bytes(r.bytes as f64), r.source)
                    }),
                    k.meminfo_growth_bytes
                        .map_or("—".into(), |g| bytes(g as f64)),
                    k.replacement_peak_extra_bytes
                        .map_or("—".into(), |g| bytes(g as f64)),
                ]
            })
        })
        .collect();
    let lock_rows: Vec<Vec<String>> = backends
        .iter()
        .flat_map(|b| b.lock_waits.iter().map(move |l| lock_row(&b.name, l)))
        .collect();
    let with_note = |note: &str, rows: &[Vec<String>]| {
        if rows.is_empty() {
            format!("{note} {NOT_IN_RUN}")
        } else {
            note.to_string()
        }
    };
    vec![
        TextTable {
            id: "first-packet",
            title: "First-packet cost: connect(2) alone, by lookup position",
            note: with_note(FIRST_PACKET_NOTE, &first_rows),
            header: first_header,
            rows: first_rows,
        },
        TextTable {
            id: "first-byte",
            title: "Connect + first byte, by lookup position",
            note: with_note("The same targets, timed from connect to the listener's first byte (adds the listener's accept and write, and their scheduling).", &byte_rows),
            header: positions(),
            rows: byte_rows,
        },
        TextTable {
            id: "kernel-memory",
            title: "Kernel memory",
            note: with_note("Reported: what the kernel itself says it holds (iptables-legacy: the nat table blob, IPT_SO_GET_INFO; eBPF: the maps' memlock). Slab + VmallocUsed: the growth of those /proc/meminfo lines over a full sync into an emptied table, and their highest value above the full table's level, sampled every millisecond, during one more full sync of the same Services (a whole-table replacement briefly holds the old and the new table). Machine-wide figures: whatever else the machine did meanwhile is in them.", &memory_rows),
            header: [
                "backend",
                "Services",
                "reported by the kernel",
                "Slab + VmallocUsed growth",
                "peak extra during a full sync",
            ]
            .map(String::from)
            .to_vec(),
            rows: memory_rows,
        },
        TextTable {
            id: "lock-wait",
            title: "Lock wait: an add-1 issued during a full sync",
            note: with_note("Inside the sandbox: a second instance of the backend adds one Service a quarter of the way into a full sync of N; waited = that add-1's time minus the same add-1's time alone (medians over the rounds). iptables-legacy takes the xtables lock file (flock, held for the whole restore; per machine unless XTABLES_LOCKFILE points elsewhere, as svclab does for each sandbox); iptables-nft takes no such file, only the kernel's per-namespace nf_tables commit mutex for the commit itself.", &lock_rows),
            header: [
                "backend",
                "Services",
                "lock",
                "full sync",
                "add-1 alone",
                "add-1 during the sync",
                "waited",
                "issued after",
                "outcome",
            ]
            .map(String::from)
            .to_vec(),
            rows: lock_rows,
        },
    ]
}

const FIRST_PACKET_NOTE: &str = "`connect(2)` timed alone in the probe client, `datapath.first_packet` times per target (2,000 unless the scenario says otherwise), positions taking turns every 10 connections: the SYN crosses the data plane (nat OUTPUT hook, or the connect4 hook), the SYN-ACK comes from the listener's kernel backlog, the socket is closed with an RST. Positions: the first, middle and last Service in the order they were synced (svclab's iptables renderer writes KUBE-SERVICES in that order, so the last Service's connection walks every Service rule first), and an endpoint reached directly, which no Service rule matches (iptables walks the whole chain for it too). The walk cost is last minus first p50 at the same N; per rule = walk ÷ rules between the two.";

/// A duration that may be negative (a difference within noise).
pub fn signed_ns(ns: f64) -> String {
    if ns < 0.0 {
        format!("−{}", format_ns(-ns))
    } else {
        format_ns(ns)
    }
}

fn median(values: &[u64]) -> Option<f64> {
    summarize(&values.iter().map(|&v| v as f64).collect::<Vec<_>>()).map(|s| s.median)
}

fn lock_row(name: &str, l: &crate::results::LockWait) -> Vec<String> {
    let t = |v: Option<f64>| v.map_or("—".to_string(), signed_ns);
    let waits: Vec<f64> = l.waits_ns().iter().map(|&w| w as f64).collect();
    vec![
        name.to_string(),
        l.services.to_string(),
        l.lock.clone(),
        t(median(&l.sync_ns)),
        t(median(&l.add_alone_ns)),
        t(median(&l.add_during_ns)),
        t(summarize(&waits).map(|s| s.median)),
        t(median(&l.issued_after_ns)),
        match &l.outcome {
            crate::results::Outcome::Ok => "ok".into(),
            other => format!("{other:?}"),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_times_read_naturally() {
        assert_eq!(bytes(24_164_856.0), "23.0 MiB");
        assert_eq!(bytes(32_768.0), "32 KiB");
        assert_eq!(bytes(-2.0 * 1024.0 * 1024.0), "-2.0 MiB");
        assert_eq!(micros(42_480.0), "42.5 µs");
    }

    #[test]
    fn a_run_without_the_records_gets_empty_tables_that_say_so() {
        let tables = build(&[]);
        assert_eq!(tables.len(), 4);
        assert!(tables
            .iter()
            .all(|t| t.rows.is_empty() && t.note.contains(NOT_IN_RUN)));
    }
}
