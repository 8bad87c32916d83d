//! `results.csv`: one value a row (tidy), for spreadsheets and notebooks. `source` says whether a
//! value was measured or derived, so a derived number can never pass as a measured one.

use super::model::ReportModel;
use super::seed_table::{Unit, Value, COLUMNS};
use super::{Report, ReportError};
use crate::analysis::Cell;
use std::fmt::Write as _;

pub struct Csv;

pub const HEADER: &str = "backend,services,metric,statistic,value,unit,source";

/// RFC 4180 quoting where a field needs it.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn snake(label: &str) -> String {
    label.replace(['-', ' '], "_")
}

impl Report for Csv {
    fn file_name(&self) -> &'static str {
        "results.csv"
    }

    fn render(&self, m: &ReportModel) -> Result<String, ReportError> {
        let mut o = String::new();
        let mut row = |b: &str,
                       n: String,
                       metric: &str,
                       stat: &str,
                       value: String,
                       unit: &str,
                       source: &str| {
            let _ = writeln!(
                o,
                "{},{n},{},{stat},{value},{unit},{}",
                field(b),
                field(metric),
                field(source)
            );
        };
        for r in &m.rows {
            for (op, c) in &r.ops {
                let metric = format!("{}_commit", snake(op.label()));
                match c {
                    Cell::Measured(s) => {
                        for (stat, v) in [
                            ("samples", s.count as f64),
                            ("min", s.min),
                            ("median", s.median),
                            ("p99", s.p99),
                            ("max", s.max),
                        ] {
                            let unit = if stat == "samples" { "count" } else { "ns" };
                            row(
                                &r.backend,
                                r.services.to_string(),
                                &metric,
                                stat,
                                format!("{v:.0}"),
                                unit,
                                "measured",
                            );
                        }
                    }
                    Cell::Missing(why) => row(
                        &r.backend,
                        r.services.to_string(),
                        &metric,
                        "median",
                        String::new(),
                        "ns",
                        &format!("missing: {why}"),
                    ),
                }
            }
        }
        for b in &m.backends {
            for (n, count) in &b.objects {
                row(
                    &b.name,
                    n.to_string(),
                    &format!("kernel_{}", snake(&b.object_kinds)),
                    "count",
                    count.to_string(),
                    "count",
                    "measured",
                );
            }
            for (metric, series) in [
                ("connect_via_vip", &b.vip_latency),
                ("connect_direct_to_endpoint", &b.direct_latency),
            ] {
                for p in &series.points {
                    for (stat, v) in [("median", p.summary.median), ("p99", p.summary.p99)] {
                        row(
                            &b.name,
                            p.services.to_string(),
                            metric,
                            stat,
                            format!("{v:.0}"),
                            "ns",
                            "measured",
                        );
                    }
                }
            }
            for d in &b.disruptions {
                for (stat, v, unit) in [
                    ("new_connections", d.attempts, "count"),
                    ("new_connections_failed", d.failed, "count"),
                    ("long_lived", d.long_lived as u64, "count"),
                    ("long_lived_broken", d.broken, "count"),
                    ("worst_new_connection", d.worst_ns, "ns"),
                ]
                .into_iter()
                .chain(d.lookup_retries.map(|r| ("lookup_retries", r, "count")))
                {
                    row(
                        &b.name,
                        d.services.to_string(),
                        "disruption",
                        stat,
                        v.to_string(),
                        unit,
                        "measured",
                    );
                }
            }
            for (measure, data) in [
                ("first_packet_connect", &b.first_packet),
                ("first_packet_connect_first_byte", &b.first_byte),
            ] {
                for p in &data.points {
                    for (position, q) in &p.positions {
                        let metric = format!("{measure}_{}", snake(position.label()));
                        for (stat, v, unit) in [
                            ("samples", q.count as f64, "count"),
                            ("failed", q.failed as f64, "count"),
                            ("p50", q.p50, "ns"),
                            ("p90", q.p90, "ns"),
                            ("p99", q.p99, "ns"),
                        ] {
                            row(
                                &b.name,
                                p.services.to_string(),
                                &metric,
                                stat,
                                format!("{v:.0}"),
                                unit,
                                "measured",
                            );
                        }
                    }
                }
            }
            for w in &b.first_packet.walks {
                let derived = "derived: last-position p50 minus first-position p50";
                row(
                    &b.name,
                    w.services.to_string(),
                    "first_packet_walk",
                    "p50_difference",
                    format!("{:.0}", w.walk_ns),
                    "ns",
                    derived,
                );
                if let Some(per) = w.ns_per_rule() {
                    row(
                        &b.name,
                        w.services.to_string(),
                        "first_packet_walk_per_rule",
                        "p50_difference_per_rule",
                        format!("{per:.2}"),
                        "ns",
                        "derived: walk ÷ Service rules between first and last",
                    );
                }
            }
            for k in &b.memory {
                let n = k.services.to_string();
                if let Some(r) = &k.reported {
                    row(
                        &b.name,
                        n.clone(),
                        "kernel_memory_reported",
                        "bytes",
                        r.bytes.to_string(),
                        "bytes",
                        &format!("measured: {}", r.source),
                    );
                }
                for (metric, v) in [
                    ("kernel_memory_slab_vmalloc_growth", k.meminfo_growth_bytes),
                    (
                        "kernel_memory_full_sync_peak_extra",
                        k.replacement_peak_extra_bytes,
                    ),
                ] {
                    if let Some(v) = v {
                        row(
                            &b.name,
                            n.clone(),
                            metric,
                            "bytes",
                            v.to_string(),
                            "bytes",
                            "measured: /proc/meminfo Slab + VmallocUsed, machine-wide",
                        );
                    }
                }
            }
            for l in &b.lock_waits {
                let n = l.services.to_string();
                for (stat, values) in [
                    (
                        "full_sync",
                        l.sync_ns.iter().map(|&v| v as i64).collect::<Vec<_>>(),
                    ),
                    (
                        "add_1_alone",
                        l.add_alone_ns.iter().map(|&v| v as i64).collect(),
                    ),
                    (
                        "add_1_during_full_sync",
                        l.add_during_ns.iter().map(|&v| v as i64).collect(),
                    ),
                    ("waited", l.waits_ns()),
                ] {
                    let samples: Vec<f64> = values.iter().map(|&v| v as f64).collect();
                    if let Some(s) = crate::stats::summarize(&samples) {
                        let source = if stat == "waited" {
                            format!("derived: during minus alone; {}", l.lock)
                        } else {
                            format!("measured; {}", l.lock)
                        };
                        row(
                            &b.name,
                            n.clone(),
                            "lock_wait",
                            &format!("{stat}_median"),
                            format!("{:.0}", s.median),
                            "ns",
                            &source,
                        );
                    }
                }
            }
            if let Some(c) = &b.cumulative {
                for (n, ns) in &c.checkpoints {
                    row(
                        &b.name,
                        n.to_string(),
                        "one_at_a_time_install_commit",
                        "total",
                        ns.to_string(),
                        "ns",
                        "measured",
                    );
                }
            }
            for (metric, fit) in [
                ("add_1", b.add_fit),
                ("full_sync", b.full_sync_fit),
                ("update_endpoints", b.update_fit),
                ("first_packet_walk", b.first_packet.walk_fit),
                ("first_packet_last_p50", b.first_packet.last_fit),
                ("first_packet_first_p50", b.first_packet.first_fit),
            ] {
                if let Some(f) = fit {
                    row(
                        &b.name,
                        String::new(),
                        &format!("{metric}_fit"),
                        "exponent",
                        format!("{:.4}", f.exponent),
                        "1",
                        "derived: least squares on log-log",
                    );
                    row(
                        &b.name,
                        String::new(),
                        &format!("{metric}_fit"),
                        "r2",
                        format!("{:.4}", f.r2),
                        "1",
                        "derived: least squares on log-log",
                    );
                }
            }
        }
        for s in &m.seed {
            let backend = s.backend.as_deref().unwrap_or("document");
            let unit = match s.unit {
                Unit::Nanos => "ns",
                Unit::Count => "count",
            };
            for (n, v) in COLUMNS.iter().zip(&s.cells) {
                let (value, source) = match v {
                    Value::Measured(x) if s.backend.is_none() => {
                        (format!("{x:.0}"), "document".to_string())
                    }
                    Value::Measured(x) => (format!("{x:.0}"), "measured".to_string()),
                    Value::Derived { value, how } => {
                        (format!("{value:.0}"), format!("DERIVED: {how}"))
                    }
                    Value::Missing(why) => (String::new(), format!("missing: {why}")),
                };
                row(
                    backend,
                    n.to_string(),
                    &format!("seed_table: {}", s.label),
                    "value",
                    value,
                    unit,
                    &source,
                );
            }
        }
        Ok(format!("{HEADER}\n{o}"))
    }
}
