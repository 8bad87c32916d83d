//! The plots of the kernel claims, as data: first-packet p50 and p99 against N per backend and
//! lookup position (log-log, with the Kubernetes blog's figures as reference marks), and kernel
//! memory against N.

use super::model::BackendData;
use super::plots::{Line, LinePoint, PlotData, Style, YUnit};
use crate::analysis::first_packet::{FirstPacketData, Percentiles};
use crate::results::LookupPosition;

/// The Kubernetes blog post "NFTables mode for kube-proxy" (2025-02-28,
/// kubernetes.io/blog/2025/02/28/nftables-kube-proxy): first-packet latency as read from its
/// chart (by the lab's issue 14) at 5,000 / 10,000 / 30,000 Services.
pub const BLOG_SERVICES: [f64; 3] = [5_000.0, 10_000.0, 30_000.0];
pub const BLOG_IPTABLES_P50_NS: [f64; 3] = [47e3, 59e3, 272e3];
pub const BLOG_IPTABLES_P99_NS: [f64; 3] = [150e3, 260e3, 720e3];
pub const BLOG_NFTABLES_P50_NS: [f64; 3] = [14e3, 14e3, 14e3];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stat {
    P50,
    P99,
}

impl Stat {
    fn of(self, p: &Percentiles) -> f64 {
        match self {
            Stat::P50 => p.p50,
            Stat::P99 => p.p99,
        }
    }
}

fn reference(label: &str, values: [f64; 3]) -> Line {
    Line {
        label: format!("Kubernetes blog: {label}"),
        color: 0,
        style: Style::Document,
        points: BLOG_SERVICES
            .iter()
            .zip(values)
            .map(|(&n, y)| LinePoint {
                n,
                y,
                whisker: None,
            })
            .collect(),
    }
}

fn position_line(
    name: &str,
    color: usize,
    data: &FirstPacketData,
    position: LookupPosition,
    stat: Stat,
) -> Line {
    Line {
        label: format!("{name} {}", position.label()),
        color,
        // The last position (every Service rule walked) solid, the first dotted.
        style: if position == LookupPosition::First {
            Style::Baseline
        } else {
            Style::Measured
        },
        points: data
            .points
            .iter()
            .filter_map(|p| {
                p.positions.get(&position).map(|s| LinePoint {
                    n: p.services as f64,
                    y: stat.of(s),
                    whisker: None,
                })
            })
            .collect(),
    }
}

pub fn first_packet(backends: &[BackendData], stat: Stat) -> PlotData {
    let mut lines = Vec::new();
    for (i, b) in backends.iter().enumerate() {
        for position in [LookupPosition::First, LookupPosition::Last] {
            lines.push(position_line(&b.name, i, &b.first_packet, position, stat));
        }
    }
    let (id, title, y_label) = match stat {
        Stat::P50 => {
            lines.push(reference("iptables p50", BLOG_IPTABLES_P50_NS));
            lines.push(reference("nftables p50", BLOG_NFTABLES_P50_NS));
            (
                "first-packet-p50",
                "First-packet cost (p50) vs Services",
                "connect(2), p50",
            )
        }
        Stat::P99 => {
            lines.push(reference("iptables p99", BLOG_IPTABLES_P99_NS));
            (
                "first-packet-p99",
                "First-packet cost (p99) vs Services",
                "connect(2), p99",
            )
        }
    };
    let placeholder = backends
        .iter()
        .all(|b| b.first_packet.is_empty())
        .then(|| super::claims_tables::NOT_IN_RUN.to_string());
    PlotData {
        id,
        title,
        y_label: y_label.into(),
        y_unit: YUnit::Nanos,
        caption: "connect(2) alone, timed in the probe client, to the first Service synced (dotted) and the last (solid: with iptables its connection walks every Service rule first); the middle position and an address no Service matches are in the first-packet table. Grey triangles: the Kubernetes blog's figures for kube-proxy's iptables and nftables modes (read from its chart, another machine: compare slopes, not heights).".into(),
        lines,
        placeholder,
        log_log: true,
    }
}

pub fn kernel_memory(backends: &[BackendData]) -> PlotData {
    let mut lines = Vec::new();
    for (i, b) in backends.iter().enumerate() {
        let mut points: Vec<(f64, f64, &str)> = b
            .memory
            .iter()
            .filter_map(|k| {
                let (bytes, how) = k.held_bytes()?;
                (bytes > 0).then_some((k.services as f64, bytes as f64, how))
            })
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let how = points.first().map_or("", |p| p.2);
        lines.push(Line {
            label: format!("{} ({how})", b.name),
            color: i,
            style: Style::Measured,
            points: points
                .iter()
                .map(|&(n, y, _)| LinePoint {
                    n,
                    y,
                    whisker: None,
                })
                .collect(),
        });
    }
    lines.push(Line {
        label: "document: 128 MB for one replacement".into(),
        color: 0,
        style: Style::Document,
        points: vec![LinePoint {
            n: super::claims::MEMORY_AT as f64,
            y: super::claims::REPLACEMENT_BYTES,
            whisker: None,
        }],
    });
    let placeholder = backends
        .iter()
        .all(|b| b.memory.is_empty())
        .then(|| super::claims_tables::NOT_IN_RUN.to_string());
    PlotData {
        id: "kernel-memory",
        title: "Kernel memory vs Services",
        y_label: "bytes held".into(),
        y_unit: YUnit::Bytes,
        caption: "What the kernel holds for N Services: its own report where it gives one (iptables-legacy's nat table blob, eBPF maps' memlock), else the growth of Slab + VmallocUsed over a full sync (machine-wide, so noisy at small N; zero or less is not drawn). A whole-table replacement allocates a new table of that size while the old one still exists; the peak seen is in the kernel-memory table.".into(),
        lines,
        placeholder,
        log_log: true,
    }
}
