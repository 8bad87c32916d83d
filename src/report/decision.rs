//! The decision table at the top of the report: one row per data plane at the largest number of
//! Services it measured, with what a user picks a mode from (add-1, full sync, disruption, kernel
//! objects, where it was measured), the best value of each column marked among the data planes
//! that can be compared (same place for times and disruption, same N for all).

use super::location::Locations;
use super::model::BackendData;
use super::simple_table::{Cell, SimpleTable};
use crate::analysis::{format_ns, Series};
use crate::results::LookupPosition;
use svclab_backend::Availability;

/// A cell's text and the value it is ranked by (lower is better), if any.
type Ranked = (String, Option<f64>);

/// One column's values for the rows, `None` where the row has none; lower is better.
struct Column {
    header: String,
    cells: Vec<Ranked>,
    /// Compare only rows with the same place (absolute times and counts that depend on speed);
    /// object counts do not depend on the place.
    same_place: bool,
}

fn median_at(series: &Series, n: usize) -> Ranked {
    match series.points.iter().find(|p| p.services == n) {
        Some(p) => (
            format!("{} (n={})", format_ns(p.summary.median), p.summary.count),
            Some(p.summary.median),
        ),
        None => ("—".into(), None),
    }
}

/// connect(2) p50 through the last Service of the sync order (iptables walks every Service rule
/// first), at the row's N.
fn last_service_connect(b: &BackendData, n: usize) -> Ranked {
    let at_n = b.first_packet.points.iter().find(|p| p.services == n);
    match at_n.and_then(|p| p.positions.get(&LookupPosition::Last)) {
        Some(s) => (format_ns(s.p50), Some(s.p50)),
        None => ("—".into(), None),
    }
}

/// The largest N a backend has a measured add-1 or full sync at.
fn largest_n(b: &BackendData) -> Option<usize> {
    b.add
        .points
        .iter()
        .chain(&b.full_sync.points)
        .map(|p| p.services)
        .max()
}

pub fn table(backends: &[BackendData], locations: &Locations) -> SimpleTable {
    let shown: Vec<&BackendData> = backends
        .iter()
        .filter(|b| b.measured_anything() || b.availability.is_some())
        .collect();
    let ns: Vec<Option<usize>> = shown.iter().map(|b| largest_n(b)).collect();
    let places: Vec<String> = shown
        .iter()
        .map(|b| {
            locations
                .of(&b.name)
                .map_or_else(|| "not measured".into(), |l| l.badge())
        })
        .collect();
    let each = |f: &dyn Fn(&BackendData, usize) -> Ranked| {
        shown
            .iter()
            .zip(&ns)
            .map(|(b, n)| match n {
                Some(n) => f(b, *n),
                None => ("—".into(), None),
            })
            .collect::<Vec<_>>()
    };
    let columns = [
        Column {
            header: "add-1 (median, n samples)".into(),
            cells: each(&|b, n| median_at(&b.add, n)),
            same_place: true,
        },
        Column {
            header: "full sync (median, n samples)".into(),
            cells: each(&|b, n| median_at(&b.full_sync, n)),
            same_place: true,
        },
        Column {
            header: "first packet, last Service (connect p50)".into(),
            cells: each(&last_service_connect),
            same_place: true,
        },
        Column {
            header: "disruption during resyncs: failed new / broken long-lived".into(),
            cells: each(
                &|b, n| match b.disruptions.iter().find(|d| d.services == n) {
                    // A stream cut short is shown, unranked, with what stopped it.
                    Some(d) if d.outcome.unfinished().is_some() => (
                        format!(
                            "{}/{} failed, {}/{} broken (cut short: {} full syncs finished)",
                            d.failed, d.attempts, d.broken, d.long_lived, d.syncs
                        ),
                        None,
                    ),
                    Some(d) => (
                        format!(
                            "{}/{} failed, {}/{} broken",
                            d.failed, d.attempts, d.broken, d.long_lived
                        ),
                        Some((d.failed + d.broken) as f64),
                    ),
                    None => ("—".into(), None),
                },
            ),
            same_place: true,
        },
        Column {
            header: "kernel objects".into(),
            cells: each(&|b, n| match b.objects.iter().find(|o| o.0 == n) {
                // Spaces around '+' let a long list of kinds (the eBPF maps) wrap in its cell.
                Some((_, count)) => (
                    format!("{count} {}", b.object_kinds.replace('+', " + ")),
                    Some(*count as f64),
                ),
                None => ("—".into(), None),
            }),
            same_place: false,
        },
    ];
    let best = |col: &Column, row: usize| -> bool {
        let Some(value) = col.cells[row].1 else {
            return false;
        };
        let peers: Vec<f64> = (0..shown.len())
            .filter(|&j| ns[j] == ns[row] && (!col.same_place || places[j] == places[row]))
            .filter_map(|j| col.cells[j].1)
            .collect();
        peers.len() >= 2 && peers.iter().all(|&p| value <= p)
    };
    let rows = (0..shown.len())
        .map(|i| {
            let b = shown[i];
            let mut row = vec![
                Cell::plain(&b.name),
                Cell::plain(&places[i]),
                Cell::plain(ns[i].map_or_else(
                    || match &b.availability {
                        Some(Availability::Unavailable { reason, .. }) => {
                            format!("not measured: {reason}")
                        }
                        _ => "not measured".into(),
                    },
                    |n| n.to_string(),
                )),
            ];
            row.extend(columns.iter().map(|c| Cell {
                text: c.cells[i].0.clone(),
                best: best(c, i),
            }));
            row
        })
        .collect();
    let mut headers = vec![
        "data plane".to_string(),
        "measured in".to_string(),
        "Services (largest measured)".to_string(),
    ];
    headers.extend(columns.iter().map(|c| c.header.clone()));
    SimpleTable {
        id: "decision",
        title: "Which data plane? At the largest scale each one measured".into(),
        intro: format!(
            "One row per data plane at the largest number of Services it measured. Times are \
             the median commit time (n: timed samples). {} marks the best of a column among data \
             planes at the same number of Services{}.",
            super::simple_table::BEST_MARK,
            if locations.mixed() {
                " and, for times and disruption, measured in the same place: absolute times \
                 from different places are not compared"
            } else {
                ""
            }
        ),
        headers,
        rows,
    }
}
