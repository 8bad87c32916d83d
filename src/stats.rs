//! Summary statistics over samples: pure, so reports can be rebuilt from raw samples alone.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub count: usize,
    pub min: f64,
    pub median: f64,
    pub p99: f64,
    pub max: f64,
}

/// Median, p99 (nearest-rank) and extremes; `None` for no samples.
pub fn summarize(samples: &[f64]) -> Option<Summary> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    Some(Summary {
        count: n,
        min: sorted[0],
        median,
        p99: nearest_rank(&sorted, 0.99),
        max: sorted[n - 1],
    })
}

/// Nearest-rank quantile `q` (0..=1) of sorted data; `None` when empty.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    (!sorted.is_empty()).then(|| nearest_rank(sorted, q))
}

/// Nearest-rank percentile of sorted data: the smallest value with at least `q` of data at or
/// below it.
fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_and_even_medians() {
        let s = summarize(&[3.0, 1.0, 2.0]).expect("summary");
        assert_eq!((s.min, s.median, s.max), (1.0, 2.0, 3.0));
        let s = summarize(&[4.0, 1.0, 2.0, 3.0]).expect("summary");
        assert_eq!(s.median, 2.5);
    }

    #[test]
    fn p99_is_nearest_rank() {
        let data: Vec<f64> = (1..=200).map(f64::from).collect();
        assert_eq!(summarize(&data).expect("summary").p99, 198.0);
        assert_eq!(summarize(&[5.0, 1.0]).expect("summary").p99, 5.0);
    }

    #[test]
    fn empty_is_none() {
        assert!(summarize(&[]).is_none());
    }
}
