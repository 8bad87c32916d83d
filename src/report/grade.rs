//! Grading a measurement against a claim. A number within 2× of the claim is *reproduced*,
//! within 10× *differs* (by how much), beyond that *not reproduced*. A scaling exponent within
//! ±0.25 of the one the document's numbers imply is *reproduced*; otherwise the growth class
//! decides.

use super::seed_table::Value;
use crate::analysis::format_ns;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grade {
    Reproduced,
    Differs,
    NotReproduced,
    NotMeasured,
    /// Measured, but the claim is about absolute time and the run was emulated.
    NotComparable,
}

impl Grade {
    pub fn label(self) -> &'static str {
        match self {
            Grade::Reproduced => "reproduced",
            Grade::Differs => "differs",
            Grade::NotReproduced => "not reproduced",
            Grade::NotMeasured => "not measured",
            Grade::NotComparable => "not comparable",
        }
    }
}

/// Grade a measured (or derived) number against the claimed one.
pub fn grade_ratio(measured: f64, claimed: f64) -> (Grade, String) {
    let ratio = measured / claimed;
    let how = if (0.95..=1.05).contains(&ratio) {
        "about the same".to_string()
    } else if ratio >= 1.0 {
        format!("{} higher", times(ratio))
    } else {
        format!("{} lower", times(1.0 / ratio))
    };
    let grade = match ratio {
        r if (0.5..=2.0).contains(&r) => Grade::Reproduced,
        r if (0.1..=10.0).contains(&r) => Grade::Differs,
        _ => Grade::NotReproduced,
    };
    (grade, how)
}

fn times(x: f64) -> String {
    if x >= 100.0 {
        format!("{:.0}×", x)
    } else {
        format!("{x:.1}×")
    }
}

/// Grade against claimed values at the document's columns; the worst grade wins.
pub fn grade_values(values: &[(usize, Value, f64)]) -> (Grade, String) {
    let mut worst = Grade::Reproduced;
    let mut parts = Vec::new();
    for (n, value, claimed) in values {
        match value.number() {
            Some(v) => {
                let (g, how) = grade_ratio(v, *claimed);
                worst = worst.max(g);
                let derived = if matches!(value, Value::Derived { .. }) {
                    " DERIVED"
                } else {
                    ""
                };
                parts.push(format!(
                    "at {n}: {}{derived} vs {} ({how})",
                    format_ns(v),
                    format_ns(*claimed)
                ));
            }
            None => {
                worst = Grade::NotMeasured;
                parts.push(format!("at {n}: missing"));
            }
        }
    }
    (worst, parts.join("; "))
}

pub fn grade_exponent(b: Option<f64>, claimed: f64, steep: bool) -> (Grade, String) {
    let Some(b) = b else {
        return (
            Grade::NotMeasured,
            "fewer than two measured scale points".into(),
        );
    };
    let grade = if (b - claimed).abs() <= 0.25 {
        Grade::Reproduced
    } else if steep == (b >= 1.0) || (!steep && b <= 0.5) {
        Grade::Differs
    } else {
        Grade::NotReproduced
    };
    let b = super::fit::exponent_text(b);
    (grade, format!("fitted N^{b} vs N^{claimed:.2}"))
}

/// "Update time grows with the table": any clear growth (N^0.75 or steeper) reproduces it;
/// a rewrite of the whole table is at least linear, a partial one can be flatter.
pub fn grade_growth(b: Option<f64>) -> (Grade, String) {
    let Some(b) = b else {
        return (
            Grade::NotMeasured,
            "fewer than two measured scale points".into(),
        );
    };
    let grade = match b {
        b if b >= 0.75 => Grade::Reproduced,
        b if b >= 0.25 => Grade::Differs,
        _ => Grade::NotReproduced,
    };
    let b = super::fit::exponent_text(b);
    (
        grade,
        format!("update-endpoints fitted N^{b} (N^1 = proportional to the table)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_grade_by_factor() {
        assert_eq!(
            grade_ratio(990e9, 660e9),
            (Grade::Reproduced, "1.5× higher".into())
        );
        assert_eq!(grade_ratio(660e9, 660e9).1, "about the same");
        assert_eq!(
            grade_ratio(100e9, 660e9),
            (Grade::Differs, "6.6× lower".into())
        );
        assert_eq!(
            grade_ratio(1e9, 660e9),
            (Grade::NotReproduced, "660× lower".into())
        );
    }

    #[test]
    fn exponents_grade_by_distance_and_growth_class() {
        let g = |b, claimed, steep| grade_exponent(b, claimed, steep).0;
        assert_eq!(g(Some(2.0), 1.97, true), Grade::Reproduced);
        assert_eq!(g(Some(1.06), 1.97, true), Grade::Differs);
        assert_eq!(g(Some(0.75), 1.97, true), Grade::NotReproduced);
        assert_eq!(g(Some(0.0), 0.09, false), Grade::Reproduced);
        assert_eq!(g(Some(0.6), 0.09, false), Grade::Differs);
        assert_eq!(g(Some(1.2), 0.09, false), Grade::NotReproduced);
        assert_eq!(g(None, 0.09, false), Grade::NotMeasured);
        assert_eq!(grade_growth(Some(1.26)).0, Grade::Reproduced);
        assert_eq!(grade_growth(Some(0.5)).0, Grade::Differs);
        assert_eq!(grade_growth(Some(0.03)).0, Grade::NotReproduced);
    }

    #[test]
    fn worst_grade_wins_and_derived_inputs_are_named() {
        let values = [
            (5000, Value::Measured(600e9), 660e9),
            (
                20000,
                Value::Derived {
                    value: 1e9,
                    how: "fit".into(),
                },
                18_000e9,
            ),
        ];
        let (grade, detail) = grade_values(&values);
        assert_eq!(grade, Grade::NotReproduced);
        assert!(
            detail.contains("at 20000: 1.00 s DERIVED vs 5.0 h"),
            "{detail}"
        );
        assert!(!detail.contains("10.0 min DERIVED"), "{detail}");
        let missing = [(5000, Value::Missing("x".into()), 660e9)];
        assert_eq!(grade_values(&missing).0, Grade::NotMeasured);
    }
}
