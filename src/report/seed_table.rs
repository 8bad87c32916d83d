//! The source document's table, and the lab's values beside it under both readings of
//! "11 min / 5 h": (A) the latency of adding one Service at base N, and (B) the total time to
//! install N Services one at a time. A value the lab did not time is `Derived` and says how it
//! was obtained; it is never shown as measured.

use super::derived::{at_n, install_total, object_at};
use super::fit::PowerFit;
use super::model::{BackendData, Family};
use crate::analysis::Series;

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

    #[test]
    fn counts_have_separators() {
        assert_eq!(thousands(8), "8");
        assert_eq!(thousands(40_000), "40,000");
        assert_eq!(thousands(160_008), "160,008");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
