//! First-packet figures from `first_packet` records: p50 / p90 / p99 per lookup position, and
//! what the positions imply for a rule-walking data plane: the walk cost (last-position p50
//! minus first-position p50 at the same N), the cost per rule walked, and how the walk cost
//! scales (a fitted exponent; 1 is a linear walk). Pure.

use crate::report::fit::{power_law, PowerFit};
use crate::results::{FirstPacketMeasure, LookupPosition, Record};
use crate::stats::quantile;
use std::collections::BTreeMap;

/// Percentiles of one target's times, in ns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Percentiles {
    pub count: usize,
    pub failed: usize,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    /// The Service's index in the sync order (rules before it in KUBE-SERVICES), if a Service.
    pub index: Option<usize>,
}

/// One backend at one N: each position measured.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionPoint {
    pub services: usize,
    pub positions: BTreeMap<LookupPosition, Percentiles>,
}

/// The walk from the first to the last Service rule at one N.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WalkCost {
    pub services: usize,
    /// Last-position p50 minus first-position p50, ns (may be negative within noise).
    pub walk_ns: f64,
    /// Rules between the first and the last Service's rule.
    pub rules_walked: usize,
}

impl WalkCost {
    pub fn ns_per_rule(&self) -> Option<f64> {
        (self.rules_walked > 0).then(|| self.walk_ns / self.rules_walked as f64)
    }
}

/// Everything first-packet for one backend and one measure.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FirstPacketData {
    pub points: Vec<PositionPoint>,
    pub walks: Vec<WalkCost>,
    /// Walk cost against N, over the points where it is measurable (positive).
    pub walk_fit: Option<PowerFit>,
    /// p50 against N at the first and the last position.
    pub first_fit: Option<PowerFit>,
    pub last_fit: Option<PowerFit>,
}

impl FirstPacketData {
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The largest N measured at `position`, with its percentiles.
    pub fn at_largest(&self, position: LookupPosition) -> Option<(usize, Percentiles)> {
        self.points
            .iter()
            .rev()
            .find_map(|p| p.positions.get(&position).map(|s| (p.services, *s)))
    }

    /// The walk at the largest N where it is measurable.
    pub fn largest_walk(&self) -> Option<WalkCost> {
        self.walks.iter().rev().find(|w| w.walk_ns > 0.0).copied()
    }
}

/// The first-packet data of `backend` for `measure`.
pub fn first_packet(
    records: &[Record],
    backend: &str,
    measure: FirstPacketMeasure,
) -> FirstPacketData {
    let mut by_n: BTreeMap<usize, BTreeMap<LookupPosition, Percentiles>> = BTreeMap::new();
    for record in records {
        let Record::FirstPacket(f) = record else {
            continue;
        };
        if f.backend != backend || f.measure != measure {
            continue;
        }
        let mut sorted: Vec<f64> = f.samples_ns.iter().map(|&n| n as f64).collect();
        sorted.sort_by(f64::total_cmp);
        let (Some(p50), Some(p90), Some(p99)) = (
            quantile(&sorted, 0.5),
            quantile(&sorted, 0.9),
            quantile(&sorted, 0.99),
        ) else {
            continue;
        };
        by_n.entry(f.services).or_default().insert(
            f.position,
            Percentiles {
                count: sorted.len(),
                failed: f.failed,
                p50,
                p90,
                p99,
                index: f.index,
            },
        );
    }
    let points: Vec<PositionPoint> = by_n
        .into_iter()
        .map(|(services, positions)| PositionPoint {
            services,
            positions,
        })
        .collect();
    let walks: Vec<WalkCost> = points.iter().filter_map(walk_of).collect();
    let fit_at = |position| {
        let pts: Vec<(f64, f64)> = points
            .iter()
            .filter_map(|p| {
                p.positions
                    .get(&position)
                    .map(|s| (p.services as f64, s.p50))
            })
            .collect();
        power_law(&pts)
    };
    FirstPacketData {
        walk_fit: power_law(
            &walks
                .iter()
                .filter(|w| w.walk_ns > 0.0)
                .map(|w| (w.services as f64, w.walk_ns))
                .collect::<Vec<_>>(),
        ),
        first_fit: fit_at(LookupPosition::First),
        last_fit: fit_at(LookupPosition::Last),
        points,
        walks,
    }
}

fn walk_of(point: &PositionPoint) -> Option<WalkCost> {
    let first = point.positions.get(&LookupPosition::First)?;
    let last = point.positions.get(&LookupPosition::Last)?;
    Some(WalkCost {
        services: point.services,
        walk_ns: last.p50 - first.p50,
        rules_walked: last.index?.saturating_sub(first.index?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::FirstPacket;

    fn record(n: usize, position: LookupPosition, index: Option<usize>, ns: u64) -> Record {
        Record::FirstPacket(FirstPacket {
            backend: "ipt".into(),
            services: n,
            measure: FirstPacketMeasure::Connect,
            position,
            index,
            target: "10.96.0.1:80".into(),
            // 100 samples: ns, with a tail of ten at 3 × ns.
            samples_ns: (0..100).map(|i| if i < 90 { ns } else { 3 * ns }).collect(),
            failed: 0,
            errors: Vec::new(),
        })
    }

    /// A linear walk: 40 µs base, 10 ns per rule before the target.
    fn linear_walk() -> Vec<Record> {
        let mut records = Vec::new();
        for n in [1_000usize, 3_000, 10_000] {
            for (position, index) in [
                (LookupPosition::First, 0),
                (LookupPosition::Middle, n / 2),
                (LookupPosition::Last, n - 1),
            ] {
                records.push(record(n, position, Some(index), 40_000 + 10 * index as u64));
            }
        }
        records
    }

    #[test]
    fn a_linear_walk_gives_exponent_one_and_ten_ns_per_rule() {
        let data = first_packet(&linear_walk(), "ipt", FirstPacketMeasure::Connect);
        assert_eq!(data.points.len(), 3);
        let walk = data.largest_walk().expect("a walk");
        assert_eq!((walk.services, walk.rules_walked), (10_000, 9_999));
        assert!((walk.ns_per_rule().expect("per rule") - 10.0).abs() < 1e-9);
        let fit = data.walk_fit.expect("fit");
        assert!((fit.exponent - 1.0).abs() < 0.01, "{fit:?}");
        let first = data.first_fit.expect("first fit");
        assert!(
            first.exponent.abs() < 1e-9,
            "the first position stays flat: {first:?}"
        );
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let data = first_packet(&linear_walk(), "ipt", FirstPacketMeasure::Connect);
        let (n, first) = data.at_largest(LookupPosition::First).expect("first");
        assert_eq!(n, 10_000);
        assert_eq!(
            (first.p50, first.p90, first.p99),
            (40_000.0, 40_000.0, 120_000.0)
        );
    }

    #[test]
    fn other_backends_measures_and_a_noisy_walk_are_left_out() {
        let mut records = linear_walk();
        // At 1,000 the last position reads faster than the first: not measurable, not fitted.
        records.push(record(1_000, LookupPosition::Last, Some(999), 30_000));
        let data = first_packet(&records, "ipt", FirstPacketMeasure::Connect);
        assert!(data.walks[0].walk_ns < 0.0);
        assert_eq!(data.walk_fit.expect("fit").points, 2);
        assert!(first_packet(&records, "other", FirstPacketMeasure::Connect).is_empty());
        assert!(first_packet(&records, "ipt", FirstPacketMeasure::ConnectFirstByte).is_empty());
    }
}
