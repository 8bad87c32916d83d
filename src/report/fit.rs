//! Power-law fits: `y = a · N^b` by least squares on `ln y = ln a + b ln N`. The exponent `b` is
//! how a cost scales (0 flat, 1 linear, 2 quadratic), which is what survives a change of machine,
//! whereas absolute times do not.

/// A fitted `y = coefficient · N^exponent`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerFit {
    pub coefficient: f64,
    pub exponent: f64,
    /// Coefficient of determination on the log-log data (1 = a perfect line).
    pub r2: f64,
    /// Points used, and the range of N they span.
    pub points: usize,
    pub n_min: f64,
    pub n_max: f64,
}

/// An exponent as text with two decimals, never `-0.00`.
pub fn exponent_text(b: f64) -> String {
    if b.abs() < 0.005 {
        "0.00".to_string()
    } else {
        format!("{b:.2}")
    }
}

impl PowerFit {
    /// `R² 0.84, 4 points`; with two points a line always fits, so only the count is said.
    pub fn quality(&self) -> String {
        if self.points <= 2 {
            format!("{} points", self.points)
        } else {
            format!("R² {:.2}, {} points", self.r2, self.points)
        }
    }

    pub fn predict(&self, n: f64) -> f64 {
        self.coefficient * n.powf(self.exponent)
    }

    /// Sum of `predict(k)` for k in `from..to` (whole Services), by the integral of the curve
    /// over `[from, to)`, exact enough for the thousands of terms it replaces.
    pub fn sum_between(&self, from: f64, to: f64) -> f64 {
        if to <= from {
            return 0.0;
        }
        let b1 = self.exponent + 1.0;
        if b1.abs() < 1e-9 {
            self.coefficient * (to / from).ln()
        } else {
            self.coefficient / b1 * (to.powf(b1) - from.powf(b1))
        }
    }

    /// True when `n` lies outside the measured range (the prediction is an extrapolation).
    pub fn extrapolates(&self, n: f64) -> bool {
        n < self.n_min || n > self.n_max
    }
}

/// Least-squares fit over points with positive N and y; `None` with fewer than two distinct N.
pub fn power_law(points: &[(f64, f64)]) -> Option<PowerFit> {
    let logs: Vec<(f64, f64)> = points
        .iter()
        .filter(|(n, y)| *n > 0.0 && *y > 0.0 && n.is_finite() && y.is_finite())
        .map(|(n, y)| (n.ln(), y.ln()))
        .collect();
    let k = logs.len() as f64;
    if logs.len() < 2 {
        return None;
    }
    let mean_x = logs.iter().map(|p| p.0).sum::<f64>() / k;
    let mean_y = logs.iter().map(|p| p.1).sum::<f64>() / k;
    let sxx: f64 = logs.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    if sxx < 1e-12 {
        return None;
    }
    let sxy: f64 = logs.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let exponent = sxy / sxx;
    let intercept = mean_y - exponent * mean_x;
    let ss_tot: f64 = logs.iter().map(|p| (p.1 - mean_y).powi(2)).sum();
    let ss_res: f64 = logs
        .iter()
        .map(|p| (p.1 - intercept - exponent * p.0).powi(2))
        .sum();
    let r2 = if ss_tot < 1e-12 {
        1.0
    } else {
        1.0 - ss_res / ss_tot
    };
    let ns = points.iter().map(|p| p.0).filter(|n| *n > 0.0);
    Some(PowerFit {
        coefficient: intercept.exp(),
        exponent,
        r2,
        points: logs.len(),
        n_min: ns.clone().fold(f64::INFINITY, f64::min),
        n_max: ns.fold(0.0, f64::max),
    })
}

/// The fit over the top `decades` of N only (at least two points; else over all points). Small N
/// is dominated by fixed per-call costs (a process start, a netlink round trip), which flatten an
/// all-points fit; the top of the range shows how a cost grows, and is what extrapolation needs.
pub fn tail_power_law(points: &[(f64, f64)], decades: f64) -> Option<PowerFit> {
    let n_max = points.iter().map(|p| p.0).fold(0.0, f64::max);
    let floor = n_max / 10f64.powf(decades);
    let tail: Vec<(f64, f64)> = points.iter().copied().filter(|p| p.0 >= floor).collect();
    power_law(&tail).or_else(|| power_law(points))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-12)
    }

    #[test]
    fn exact_power_laws_are_recovered() {
        for (a, b) in [(3.0, 2.0), (50e3, 0.0), (7.5, 1.0), (2.0, -0.5)] {
            let pts: Vec<(f64, f64)> = [1.0, 10.0, 100.0, 5000.0]
                .iter()
                .map(|&n: &f64| (n, a * n.powf(b)))
                .collect();
            let fit = power_law(&pts).expect("fit");
            assert!(close(fit.exponent + 1.0, b + 1.0, 1e-9), "{fit:?}");
            assert!(close(fit.coefficient, a, 1e-9), "{fit:?}");
            assert!(close(fit.r2, 1.0, 1e-9), "{fit:?}");
            assert!(close(fit.predict(20000.0), a * 20000f64.powf(b), 1e-9));
        }
    }

    #[test]
    fn the_documents_numbers_imply_these_exponents() {
        // iptables: 50 µs, 11 min, 5 h at 1 / 5,000 / 20,000 Services; IPVS: 30 / 50 / 70 µs.
        let ipt = power_law(&[(1.0, 50e3), (5000.0, 660e9), (20000.0, 18000e9)]).expect("fit");
        assert!(ipt.exponent > 1.9 && ipt.exponent < 2.1, "{ipt:?}");
        let ipvs = power_law(&[(1.0, 30e3), (5000.0, 50e3), (20000.0, 70e3)]).expect("fit");
        assert!(ipvs.exponent > 0.05 && ipvs.exponent < 0.1, "{ipvs:?}");
    }

    #[test]
    fn tail_fit_ignores_a_fixed_cost_at_small_n() {
        // 2 ms fixed + 50 µs per Service: all points look sub-linear, the top decade is linear.
        let pts: Vec<(f64, f64)> = [1.0, 30.0, 300.0, 3000.0]
            .iter()
            .map(|&n: &f64| (n, 2e6 + 5e4 * n))
            .collect();
        let all = power_law(&pts).expect("fit");
        let tail = tail_power_law(&pts, 1.0).expect("fit");
        assert!(all.exponent < 0.7, "{all:?}");
        assert!(tail.exponent > 0.9 && tail.points == 2, "{tail:?}");
        let single = tail_power_law(&[(1.0, 1.0), (1000.0, 10.0)], 1.0).expect("fallback");
        assert_eq!(single.points, 2);
    }

    #[test]
    fn degenerate_inputs_give_none() {
        assert!(power_law(&[]).is_none());
        assert!(power_law(&[(10.0, 1.0)]).is_none());
        assert!(power_law(&[(10.0, 1.0), (10.0, 2.0)]).is_none());
        assert!(power_law(&[(0.0, 1.0), (10.0, 0.0)]).is_none());
    }

    #[test]
    fn sum_between_matches_a_brute_force_sum() {
        let fit = power_law(&[(1.0, 2.0), (1000.0, 2.0e6)]).expect("fit"); // y = 2 N^2
        let brute: f64 = (1000..3000).map(|k| fit.predict(k as f64)).sum();
        assert!(close(fit.sum_between(1000.0, 3000.0), brute, 1e-3));
        let flat = power_law(&[(1.0, 5.0), (100.0, 5.0)]).expect("fit");
        assert!(close(flat.sum_between(10.0, 110.0), 500.0, 1e-9));
        assert!(fit.extrapolates(5000.0) && !fit.extrapolates(10.0));
    }
}
