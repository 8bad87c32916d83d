//! The source document's table, and the lab's values beside it under both readings of
//! "11 min / 5 h": (A) the latency of adding one Service at base N, and (B) the total time to
//! install N Services one at a time. A value the lab did not time is `Derived` and says how it
//! was obtained; it is never shown as measured.

use super::fit::PowerFit;
use super::model::{BackendData, Family};
use crate::analysis::Series;
use crate::results::Cumulative;

/// The document's columns (Services) and rows.
pub const COLUMNS: [usize; 3] = [1, 5_000, 20_000];
pub const DOC_RULES: [f64; 3] = [8.0, 40_000.0, 160_000.0];
/// 50 µs, 11 min, 5 h.
pub const DOC_IPTABLES_ADD_NS: [f64; 3] = [50e3, 660e9, 18_000e9];
/// 30 µs, 50 µs, 70 µs.
pub const DOC_IPVS_ADD_NS: [f64; 3] = [30e3, 50e3, 70e3];

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Measured(f64),
    /// Not timed by the lab: computed from what was, `how` says from what.
    Derived {
        value: f64,
        how: String,
    },
    Missing(String),
}

impl Value {
    pub fn number(&self) -> Option<f64> {
        match self {
            Value::Measured(v) | Value::Derived { value: v, .. } => Some(*v),
            Value::Missing(_) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Nanos,
    Count,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SeedRow {
    pub label: String,
    /// `None` for the document's own rows.
    pub backend: Option<String>,
    pub unit: Unit,
    pub cells: Vec<Value>,
}

/// The document's rows followed by each backend's rows.
pub fn build(backends: &[BackendData]) -> Vec<SeedRow> {
    let doc = |label: &str, unit, values: [f64; 3]| SeedRow {
        label: format!("document: {label}"),
        backend: None,
        unit,
        cells: values.iter().map(|&v| Value::Measured(v)).collect(),
    };
    let mut rows = vec![
        doc("iptables rules", Unit::Count, DOC_RULES),
        doc("add 1 iptables rule", Unit::Nanos, DOC_IPTABLES_ADD_NS),
        doc("add 1 IPVS rule", Unit::Nanos, DOC_IPVS_ADD_NS),
    ];
    for b in backends {
        let row = |label: &str, unit, cells: Vec<Value>| SeedRow {
            label: label.to_string(),
            backend: Some(b.name.clone()),
            unit,
            cells,
        };
        if !b.measured_anything() {
            let why = match &b.availability {
                Some(svclab_backend::Availability::Unavailable { reason, .. }) => {
                    format!("unavailable here: {reason}")
                }
                _ => "no measurements in this run".to_string(),
            };
            let cells = COLUMNS
                .iter()
                .map(|_| Value::Missing(why.clone()))
                .collect();
            rows.push(row(
                "not measured here (see what is missing)",
                Unit::Nanos,
                cells,
            ));
            continue;
        }
        let objects = COLUMNS.iter().map(|&n| object_at(b, n)).collect();
        let kinds = match b.object_kinds.as_str() {
            "" => "kernel objects".to_string(),
            k if k.len() > 24 => format!("kernel objects ({} kinds summed)", k.split('+').count()),
            k => format!("kernel {k}"),
        };
        rows.push(row(&kinds, Unit::Count, objects));
        let each = |series: &Series, fit: Option<&PowerFit>| {
            COLUMNS.iter().map(|&n| at_n(series, fit, n)).collect()
        };
        rows.push(row(
            "(A) add 1 Service at base N (measured call)",
            Unit::Nanos,
            each(&b.add, b.add_fit.as_ref()),
        ));
        let unit_name = if b.family == Family::Iptables {
            "rule"
        } else {
            "object"
        };
        rows.push(row(
            &format!("(A) per {unit_name}: add-1 time ÷ {unit_name}s written (derived)"),
            Unit::Nanos,
            each(&b.add_per_object, b.add_per_object_fit.as_ref())
                .into_iter()
                .map(derive_all)
                .collect(),
        ));
        rows.push(row(
            "(B) install N Services one at a time, total",
            Unit::Nanos,
            COLUMNS
                .iter()
                .map(|&n| install_total(b.cumulative.as_ref(), b.add_fit.as_ref(), n))
                .collect(),
        ));
    }
    rows
}

/// A per-object figure is a division of a timed call, so even its "measured" cells are derived.
fn derive_all(v: Value) -> Value {
    match v {
        Value::Measured(value) => Value::Derived {
            value,
            how: "median of each add's commit time ÷ objects it wrote".into(),
        },
        other => other,
    }
}

/// The kernel's count at `n`: read back if checked there, else from the measured per-Service
/// slope between the smallest and largest checked points (layouts are linear in N by design, and
/// the object check verified the formula at every measured point).
fn object_at(b: &BackendData, n: usize) -> Value {
    if let Some(p) = b.objects.iter().find(|p| p.0 == n) {
        return Value::Measured(p.1 as f64);
    }
    match (b.objects.first(), b.objects.last()) {
        (Some(lo), Some(hi)) if hi.0 > lo.0 => {
            let per = (hi.1 as f64 - lo.1 as f64) / (hi.0 - lo.0) as f64;
            let fixed = lo.1 as f64 - per * lo.0 as f64;
            Value::Derived {
                value: fixed + per * n as f64,
                how: format!("{per:.2} per Service + {fixed:.0} fixed, from the kernel's counts at {} and {} Services", lo.0, hi.0),
            }
        }
        _ => Value::Missing(format!("no object check at {n} Services")),
    }
}

/// The median at exactly `n` if measured, else the fitted curve's value, marked derived.
pub fn at_n(series: &Series, fit: Option<&PowerFit>, n: usize) -> Value {
    if let Some(p) = series.points.iter().find(|p| p.services == n) {
        return Value::Measured(p.summary.median);
    }
    match fit {
        Some(f) => Value::Derived {
            value: f.predict(n as f64),
            how: format!(
                "{} from the power-law fit of {} measured points (N {}–{})",
                if f.extrapolates(n as f64) {
                    "extrapolated"
                } else {
                    "interpolated"
                },
                f.points,
                f.n_min,
                f.n_max
            ),
        },
        None => Value::Missing(format!("not measured at {n} Services")),
    }
}

/// Total time to install `n` Services one at a time: a cumulative checkpoint at `n` is measured;
/// below the last checkpoint it is interpolated (log-log) between checkpoints; past what the
/// budget allowed, the fitted add-1 curve is summed on top of the last measured total.
pub fn install_total(c: Option<&Cumulative>, add_fit: Option<&PowerFit>, n: usize) -> Value {
    let Some(c) = c else {
        return Value::Missing("no one-at-a-time install in this run".into());
    };
    let points: Vec<(usize, f64)> = std::iter::once((0, 0.0))
        .chain(c.checkpoints.iter().map(|&(k, ns)| (k, ns as f64)))
        .collect();
    if let Some(p) = points.iter().find(|p| p.0 == n) {
        return Value::Measured(p.1);
    }
    if let Some(w) = points.windows(2).find(|w| w[0].0 < n && n < w[1].0) {
        let (lo, hi) = (w[0], w[1]);
        let value = if lo.0 == 0 || lo.1 <= 0.0 {
            hi.1 * n as f64 / hi.0 as f64
        } else {
            let t = (n as f64 / lo.0 as f64).ln() / (hi.0 as f64 / lo.0 as f64).ln();
            (lo.1.ln() + t * (hi.1.ln() - lo.1.ln())).exp()
        };
        return Value::Derived {
            value,
            how: format!(
                "interpolated between measured totals at {} and {}",
                lo.0, hi.0
            ),
        };
    }
    let (reached, total) = points.last().copied().unwrap_or((0, 0.0));
    let stop = match &c.outcome {
        crate::results::Outcome::Skipped { .. } => "when the time budget ran out",
        crate::results::Outcome::Ok => "the run's target",
        _ => "when the install stopped",
    };
    match add_fit {
        Some(f) => Value::Derived {
            value: total + f.sum_between(reached.max(1) as f64, n as f64),
            how: format!(
                "measured up to {reached} Services ({stop}); the other {} summed from the add-1 fit (N^{:.2})",
                n - reached,
                f.exponent
            ),
        },
        None => Value::Missing(format!(
            "stopped at {reached} Services and no add-1 curve to extend it"
        )),
    }
}

/// A cell as text: derived values say so in capitals, missing ones are a dash (their reason is
/// in `missing_reason`).
pub fn value_text(v: &Value, unit: Unit) -> String {
    let number = |x: f64| match unit {
        Unit::Nanos => crate::analysis::format_ns(x),
        Unit::Count => thousands(x.round() as u64),
    };
    match v {
        Value::Measured(x) => number(*x),
        Value::Derived { value, .. } => format!("{} DERIVED", number(*value)),
        Value::Missing(_) => "—".to_string(),
    }
}

/// `160008` → `160,008`, as the document writes its counts.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Point;
    use crate::results::Outcome;
    use crate::stats::summarize;

    fn cumulative(checkpoints: Vec<(usize, u64)>, outcome: Outcome) -> Cumulative {
        Cumulative {
            backend: "b".into(),
            endpoints_per_service: 2,
            target: 20_000,
            reached: checkpoints.last().map_or(0, |c| c.0),
            budget_ns: 5_000_000_000,
            commit_ns: checkpoints.last().map_or(0, |c| c.1),
            total_ns: 0,
            checkpoints,
            outcome,
        }
    }

    #[test]
    fn install_totals_are_measured_interpolated_or_derived() {
        let budget = Outcome::Skipped {
            reason: "budget".into(),
        };
        let c = cumulative(vec![(30, 3_000), (300, 300_000)], budget);
        assert_eq!(install_total(Some(&c), None, 30), Value::Measured(3_000.0));
        match install_total(Some(&c), None, 1) {
            Value::Derived { value, how } => {
                assert_eq!(value, 100.0);
                assert!(how.contains("interpolated between measured totals at 0 and 30"));
            }
            other => panic!("{other:?}"),
        }
        // Between checkpoints on the log-log line: 3,000 at 30 and 300,000 at 300 is N^2.
        let mid = install_total(Some(&c), None, 100).number().expect("value");
        assert!((mid - 33_333.3).abs() < 1.0, "{mid}");
        // Past the budget: the last total plus the fitted add-1 curve summed (flat 10 ns here).
        let flat = crate::report::fit::power_law(&[(1.0, 10.0), (100.0, 10.0)]);
        match install_total(Some(&c), flat.as_ref(), 5_000) {
            Value::Derived { value, how } => {
                assert!(
                    (value - (300_000.0 + 10.0 * 4_700.0)).abs() < 1e-6,
                    "{value}"
                );
                assert!(how.contains("when the time budget ran out"), "{how}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            install_total(Some(&c), None, 5_000),
            Value::Missing(_)
        ));
        assert!(matches!(
            install_total(None, flat.as_ref(), 1),
            Value::Missing(_)
        ));
    }

    #[test]
    fn values_at_n_are_measured_only_where_measured() {
        let point = |n: usize, ns: f64| Point {
            services: n,
            summary: summarize(&[ns]).expect("summary"),
        };
        let series = Series {
            backend: "b".into(),
            points: vec![point(1, 1e6), point(100, 1e8)],
        };
        let fit = crate::report::fit::power_law(&[(1.0, 1e6), (100.0, 1e8)]);
        assert_eq!(at_n(&series, fit.as_ref(), 100), Value::Measured(1e8));
        match at_n(&series, fit.as_ref(), 1000) {
            Value::Derived { value, how } => {
                assert!((value / 1e9 - 1.0).abs() < 1e-9);
                assert!(how.starts_with("extrapolated"), "{how}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(at_n(&series, None, 1000), Value::Missing(_)));
    }

    #[test]
    fn counts_have_separators() {
        assert_eq!(thousands(8), "8");
        assert_eq!(thousands(40_000), "40,000");
        assert_eq!(thousands(160_008), "160,008");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
