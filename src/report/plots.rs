//! What each plot shows, as data (pure and testable); `svg.rs` draws it.

use super::derived::install_total;
use super::model::BackendData;
use super::seed_table::{COLUMNS, DOC_IPTABLES_ADD_NS, DOC_IPVS_ADD_NS};
use crate::analysis::Series;
use svclab_backend::WriteKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Measured medians, with min–p99 whiskers where there are samples.
    Measured,
    /// Computed, not timed: drawn dashed, labelled "derived".
    Derived,
    /// The source document's numbers, drawn grey.
    Document,
    /// A measured reference to read a line against (connections straight to endpoints), dotted
    /// in the backend's colour.
    Baseline,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinePoint {
    pub n: f64,
    pub y: f64,
    /// Whisker: the smallest sample and the p99.
    pub whisker: Option<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub label: String,
    /// Index into the backend palette (the backend's position in the run).
    pub color: usize,
    pub style: Style,
    pub points: Vec<LinePoint>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YUnit {
    Nanos,
    Count,
    Bytes,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlotData {
    /// Stable anchor, also checked by tests: every report has every plot.
    pub id: &'static str,
    pub title: &'static str,
    pub y_label: String,
    pub y_unit: YUnit,
    pub caption: String,
    pub lines: Vec<Line>,
    /// Why there is nothing to draw (no such records yet, or none measured).
    pub placeholder: Option<String>,
    /// Both axes logarithmic whatever the span (scaling plots read as slopes).
    pub log_log: bool,
}

impl PlotData {
    pub fn has_points(&self) -> bool {
        self.lines.iter().any(|l| !l.points.is_empty())
    }
}

pub const PLOT_IDS: [&str; 9] = [
    "add1",
    "full-sync",
    "cumulative",
    "objects",
    "connection-latency",
    "first-packet-p50",
    "first-packet-p99",
    "kernel-memory",
    "disruptions",
];

fn measured(color: usize, series: &Series) -> Line {
    Line {
        label: series.backend.clone(),
        color,
        style: Style::Measured,
        points: series
            .points
            .iter()
            .map(|p| LinePoint {
                n: p.services as f64,
                y: p.summary.median,
                whisker: Some((p.summary.min, p.summary.p99)),
            })
            .collect(),
    }
}

fn document(label: &str, values: [f64; 3]) -> Line {
    Line {
        label: format!("document: {label}"),
        color: 0,
        style: Style::Document,
        points: COLUMNS
            .iter()
            .zip(values)
            .map(|(&n, y)| LinePoint {
                n: n as f64,
                y,
                whisker: None,
            })
            .collect(),
    }
}

pub fn data(backends: &[BackendData]) -> Vec<PlotData> {
    let time = |id, title, caption: &str, lines: Vec<Line>| PlotData {
        id,
        title,
        y_label: "time (commit)".into(),
        y_unit: YUnit::Nanos,
        caption: caption.to_string(),
        lines,
        placeholder: None,
        log_log: false,
    };
    let mut add1: Vec<Line> = backends
        .iter()
        .enumerate()
        .map(|(i, b)| measured(i, &b.add))
        .collect();
    add1.push(document("add 1 iptables rule", DOC_IPTABLES_ADD_NS));
    add1.push(document("add 1 IPVS rule", DOC_IPVS_ADD_NS));
    let full = backends
        .iter()
        .enumerate()
        .map(|(i, b)| measured(i, &b.full_sync))
        .collect();
    let mut cumulative = Vec::new();
    for (i, b) in backends.iter().enumerate() {
        let Some(c) = &b.cumulative else { continue };
        let points: Vec<LinePoint> = c
            .checkpoints
            .iter()
            .map(|&(n, ns)| LinePoint {
                n: n as f64,
                y: ns as f64,
                whisker: None,
            })
            .collect();
        // Past what was measured, the derived totals at the document's columns, joined to the
        // last measured point so the dashed part visibly continues the solid one.
        let derived: Vec<LinePoint> = points
            .last()
            .into_iter()
            .copied()
            .chain(COLUMNS.iter().filter(|&&n| n > c.reached).filter_map(|&n| {
                install_total(Some(c), b.add_fit.as_ref(), n)
                    .number()
                    .map(|y| LinePoint {
                        n: n as f64,
                        y,
                        whisker: None,
                    })
            }))
            .collect();
        cumulative.push(Line {
            label: b.name.clone(),
            color: i,
            style: Style::Measured,
            points,
        });
        if derived.len() > 1 {
            cumulative.push(Line {
                label: format!("{} (derived)", b.name),
                color: i,
                style: Style::Derived,
                points: derived,
            });
        }
    }
    cumulative.push(document("iptables, read as totals", DOC_IPTABLES_ADD_NS));
    let objects: Vec<Line> = backends
        .iter()
        .enumerate()
        .map(|(i, b)| Line {
            // Long kind lists (eBPF's four maps) would push the legend over the data.
            label: if b.object_kinds.is_empty() {
                b.name.clone()
            } else if b.object_kinds.len() > 24 {
                format!(
                    "{} ({} kinds summed)",
                    b.name,
                    b.object_kinds.split('+').count()
                )
            } else {
                format!("{} ({})", b.name, b.object_kinds)
            },
            color: i,
            style: Style::Measured,
            points: b
                .objects
                .iter()
                .map(|&(n, c)| LinePoint {
                    n: n as f64,
                    y: c as f64,
                    whisker: None,
                })
                .collect(),
        })
        .collect();
    let mut plots = vec![
        time("add1", "Add one Service at base N", "Median commit time of adding one Service (3E+2 rules for iptables) to a table of N Services; whiskers from the fastest sample to the p99. Grey: the document's per-rule numbers.", add1),
        time("full-sync", "Full sync of N Services", &full_sync_caption(backends), full),
        time("cumulative", "Install N Services one at a time", "Total commit time of adding Services one by one from empty. Solid: measured, up to the time budget. Dashed: DERIVED from the add-1 curve, not measured. Grey: the document's iptables numbers read as totals (reading B).", cumulative),
        PlotData {
            id: "objects",
            title: "Kernel objects vs Services",
            y_label: "objects in the kernel".into(),
            y_unit: YUnit::Count,
            caption: "What the kernel holds after the sync, read back from the kernel (iptables: rules; IPVS: services+destinations; eBPF: map entries). Grey: the document's rule counts.".into(),
            lines: objects.into_iter().chain([document("iptables rules", super::seed_table::DOC_RULES)]).collect(),
            placeholder: None,
            log_log: false,
        },
        latency_plot(backends),
        super::plots_claims::first_packet(backends, super::plots_claims::Stat::P50),
        super::plots_claims::first_packet(backends, super::plots_claims::Stat::P99),
        super::plots_claims::kernel_memory(backends),
        disruption_plot(backends),
    ];
    for p in plots.iter_mut().filter(|p| p.placeholder.is_none()) {
        if !p
            .lines
            .iter()
            .any(|l| l.style != Style::Document && !l.points.is_empty())
        {
            p.placeholder = Some("Nothing measured for this plot in this run.".into());
        }
    }
    plots
}

fn latency_plot(backends: &[BackendData]) -> PlotData {
    let mut lines = Vec::new();
    for (i, b) in backends.iter().enumerate() {
        lines.push(Line {
            label: format!("{} via VIP", b.name),
            ..measured(i, &b.vip_latency)
        });
        let mut direct = measured(i, &b.direct_latency);
        direct.label = format!("{} direct to endpoint", b.name);
        direct.style = Style::Baseline;
        lines.push(direct);
    }
    PlotData {
        id: "connection-latency",
        title: "Connection latency vs Services",
        y_label: "connect + first byte".into(),
        y_unit: YUnit::Nanos,
        caption: "Median time to connect and read the first byte through a Service VIP (solid) and straight to an endpoint (dotted), from a client in the backend's namespace (and cgroup) to a listener in the pods namespace; whiskers min–p99. With iptables every new connection's first packet walks KUBE-SERVICES, so the direct line is not free of rules either.".into(),
        lines,
        placeholder: None,
        log_log: false,
    }
}

/// Which data planes rewrite everything on a full sync and which write only a difference, from
/// what their samples say (`write`); runs made before samples said so fall back to the list.
fn full_sync_caption(backends: &[BackendData]) -> String {
    let mut by_kind: Vec<(&str, Vec<&str>)> = Vec::new();
    for b in backends {
        let Some(kind) = b.full_sync_write else {
            continue;
        };
        let label = match kind {
            WriteKind::Full => "rewrite the whole table (an iptables restore, a flush and re-add)",
            WriteKind::Diff => "write only the difference against the kernel's state (an IPVS netlink dump, eBPF map entries), so a resync of an unchanged set writes nothing",
            WriteKind::Partial => "write only the changed Services' objects (kube-proxy's partial syncs)",
            WriteKind::PerRule => "write one rule at a time",
        };
        match by_kind.iter_mut().find(|(l, _)| *l == label) {
            Some((_, names)) => names.push(&b.name),
            None => by_kind.push((label, vec![&b.name])),
        }
    }
    let base = "Median time of a full sync of the same N Services again (kube-proxy's periodic resync), done each data plane's own way; whiskers min–p99.";
    if by_kind.is_empty() {
        return format!("{base} This run's samples do not say how each wrote (svclab list does: a whole restore, a kernel dump and only the difference, every map entry).");
    }
    let said: Vec<String> = by_kind
        .iter()
        .map(|(label, names)| format!("{} {label}", names.join(", ")))
        .collect();
    format!("{base} As the samples say: {}.", said.join("; "))
}

fn disruption_plot(backends: &[BackendData]) -> PlotData {
    let mut counts = Vec::new();
    let lines = backends
        .iter()
        .enumerate()
        .map(|(i, b)| {
            for d in &b.disruptions {
                counts.push(format!(
                    "{} at {}: {}/{} new connections failed, {}/{} long-lived broken",
                    b.name, d.services, d.failed, d.attempts, d.broken, d.long_lived
                ));
            }
            Line {
                label: b.name.clone(),
                color: i,
                style: Style::Measured,
                points: b
                    .disruptions
                    .iter()
                    .map(|d| LinePoint {
                        n: d.services as f64,
                        y: d.worst_ns.max(1) as f64,
                        whisker: None,
                    })
                    .collect(),
            }
        })
        .collect();
    PlotData {
        id: "disruptions",
        title: "Connections during resyncs and updates",
        y_label: "worst new connection".into(),
        y_unit: YUnit::Nanos,
        caption: format!(
            "While the backend repeats full syncs and endpoint updates at base N, a steady stream of new connections and a set of long-lived ones go to a stable Service. Plotted: the slowest new connection. Counts: {}.",
            if counts.is_empty() { "none measured".to_string() } else { counts.join("; ") }
        ),
        lines,
        placeholder: None,
        log_log: false,
    }
}
