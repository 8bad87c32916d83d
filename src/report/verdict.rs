//! One verdict per claim of the source document and backend that answers it.
//!
//! Grading of a number: within 2× of the claim is *reproduced*, within 10× *differs* (by how
//! much), beyond that *not reproduced*. Grading of a scaling exponent: within ±0.25 of the
//! exponent the document's numbers imply is *reproduced*; otherwise the growth class decides.

use super::fit::power_law;
use super::model::{BackendData, Family};
use super::seed_table::{
    at_n, install_total, Value, COLUMNS, DOC_IPTABLES_ADD_NS, DOC_IPVS_ADD_NS,
};
use crate::analysis::format_ns;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grade {
    Reproduced,
    Differs,
    NotReproduced,
    NotMeasured,
}

impl Grade {
    pub fn label(self) -> &'static str {
        match self {
            Grade::Reproduced => "reproduced",
            Grade::Differs => "differs",
            Grade::NotReproduced => "not reproduced",
            Grade::NotMeasured => "not measured",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub claim: &'static str,
    pub backend: String,
    pub grade: Grade,
    pub detail: String,
}

const C_RULES: &str = "8 iptables rules per Service (8 / 40,000 / 160,000)";
const C_ADD_A: &str = "(A) adding 1 iptables rule takes 11 min at 5,000 and 5 h at 20,000 Services";
const C_ADD_B: &str = "(B) installing 5,000 / 20,000 Services rule by rule takes 11 min / 5 h";
const C_IPT_GROWTH: &str =
    "iptables add latency rises steeply with the table (its numbers imply about N^2)";
const C_UPDATE: &str = "iptables updates rewrite the whole table: update time grows with it";
const C_IPVS: &str = "adding 1 IPVS rule takes 30 / 50 / 70 µs at 1 / 5,000 / 20,000 Services";
const C_FLAT: &str =
    "IPVS and eBPF use hash tables: their cost stays flat (its IPVS numbers imply N^0.08)";
const C_DISRUPT: &str = "refreshing iptables rules breaks connections while Services scale";

/// The claims in the order reports list them (backends compared within each claim).
const CLAIMS: [&str; 8] = [
    C_RULES,
    C_ADD_A,
    C_ADD_B,
    C_IPT_GROWTH,
    C_UPDATE,
    C_IPVS,
    C_FLAT,
    C_DISRUPT,
];

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
fn grade_values(values: &[(usize, Value, f64)]) -> (Grade, String) {
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

fn grade_exponent(b: Option<f64>, claimed: f64, steep: bool) -> (Grade, String) {
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
fn grade_growth(b: Option<f64>) -> (Grade, String) {
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

pub fn judge(backends: &[BackendData]) -> Vec<Verdict> {
    let doc_ipt =
        power_law(&[(1.0, 50e3), (5000.0, 660e9), (20000.0, 18000e9)]).map(|f| f.exponent);
    let doc_ipvs = power_law(&[(1.0, 30e3), (5000.0, 50e3), (20000.0, 70e3)]).map(|f| f.exponent);
    let mut out = Vec::new();
    for b in backends.iter().filter(|b| b.measured_anything()) {
        let mut say = |claim, (grade, detail): (Grade, String)| {
            out.push(Verdict {
                claim,
                backend: b.name.clone(),
                grade,
                detail,
            });
        };
        match b.family {
            Family::Iptables => {
                say(C_RULES, rules_verdict(b));
                let big = |f: &dyn Fn(usize) -> Value| -> Vec<(usize, Value, f64)> {
                    COLUMNS
                        .iter()
                        .zip(DOC_IPTABLES_ADD_NS)
                        .skip(1)
                        .map(|(&n, c)| (n, f(n), c))
                        .collect()
                };
                say(
                    C_ADD_A,
                    grade_values(&big(&|n| at_n(&b.add, b.add_fit.as_ref(), n))),
                );
                say(
                    C_ADD_B,
                    grade_values(&big(&|n| {
                        install_total(b.cumulative.as_ref(), b.add_fit.as_ref(), n)
                    })),
                );
                say(
                    C_IPT_GROWTH,
                    grade_exponent(b.add_fit.map(|f| f.exponent), doc_ipt.unwrap_or(1.9), true),
                );
                say(C_UPDATE, grade_growth(b.update_fit.map(|f| f.exponent)));
                say(
                    C_DISRUPT,
                    (
                        Grade::NotMeasured,
                        "needs the data path's disruption records (later issue)".into(),
                    ),
                );
            }
            Family::Ipvs | Family::Ebpf => {
                if b.family == Family::Ipvs {
                    let values = COLUMNS
                        .iter()
                        .zip(DOC_IPVS_ADD_NS)
                        .map(|(&n, c)| (n, at_n(&b.add, b.add_fit.as_ref(), n), c))
                        .collect::<Vec<_>>();
                    say(C_IPVS, grade_values(&values));
                }
                say(
                    C_FLAT,
                    grade_exponent(
                        b.add_fit.map(|f| f.exponent),
                        doc_ipvs.unwrap_or(0.09),
                        false,
                    ),
                );
            }
            Family::Other => {}
        }
    }
    out.sort_by_key(|v| CLAIMS.iter().position(|c| *c == v.claim));
    out
}

/// Rules per Service from the slope of the kernel's rule count between the smallest and largest
/// measured points (the fixed chains cancel out).
fn rules_verdict(b: &BackendData) -> (Grade, String) {
    let (Some(lo), Some(hi)) = (b.objects.first(), b.objects.last()) else {
        return (Grade::NotMeasured, "no kernel object checks".into());
    };
    if hi.0 == lo.0 {
        return (Grade::NotMeasured, "one scale point only".into());
    }
    let per = (hi.1 as f64 - lo.1 as f64) / (hi.0 - lo.0) as f64;
    let fixed = lo.1 as f64 - per * lo.0 as f64;
    let grade = if (per - 8.0).abs() < 0.01 {
        Grade::Reproduced
    } else {
        Grade::Differs
    };
    (
        grade,
        format!(
            "kernel holds {per:.2} rules per Service + {fixed:.0} fixed ({} at {} Services)",
            hi.1, hi.0
        ),
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
