//! Values at a scale point the lab may not have measured: the measured median where there is
//! one, else a value computed from what was measured, marked `Derived` with how it was computed.

use super::fit::PowerFit;
use super::model::BackendData;
use super::seed_table::Value;
use crate::analysis::Series;
use crate::results::Cumulative;

/// The kernel's count at `n`: read back if checked there, else from the measured per-Service
/// slope between the smallest and largest checked points (layouts are linear in N by design, and
/// the object check verified the formula at every measured point).
pub fn object_at(b: &BackendData, n: usize) -> Value {
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
}
