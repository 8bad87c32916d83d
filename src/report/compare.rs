//! `svclab compare A B`: per metric, backend and scale point, the ratio B/A of the medians, flagged
//! past a threshold in either direction. Pure over two report models.

use super::escape;
use super::model::ReportModel;
use crate::analysis::{format_ns, Cell};
use std::fmt::Write as _;

#[derive(Debug, Clone, PartialEq)]
pub struct CompareRow {
    pub backend: String,
    pub services: usize,
    pub metric: String,
    pub a_ns: f64,
    pub b_ns: f64,
    pub ratio: f64,
    /// `SLOWER` when B/A ≥ threshold, `FASTER` when ≤ 1/threshold.
    pub flag: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub a_run: String,
    pub b_run: String,
    pub threshold: f64,
    pub rows: Vec<CompareRow>,
    /// Metrics present in one run only, and differences of environment worth knowing.
    pub notes: Vec<String>,
}

impl Comparison {
    pub fn flagged(&self) -> usize {
        self.rows.iter().filter(|r| r.flag.is_some()).count()
    }
}

/// Every (backend, Services, metric) measured in both runs: commit medians of each operation and
/// the one-at-a-time install totals at each checkpoint.
fn values(m: &ReportModel) -> Vec<(String, usize, String, f64)> {
    let mut out = Vec::new();
    for r in &m.rows {
        for (op, c) in &r.ops {
            if let Cell::Measured(s) = c {
                out.push((
                    r.backend.clone(),
                    r.services,
                    op.label().to_string(),
                    s.median,
                ));
            }
        }
    }
    for b in &m.backends {
        if let Some(c) = &b.cumulative {
            for &(n, ns) in &c.checkpoints {
                out.push((b.name.clone(), n, "one-at-a-time install".into(), ns as f64));
            }
        }
    }
    out
}

pub fn compare(a: &ReportModel, b: &ReportModel, threshold: f64) -> Comparison {
    let (va, vb) = (values(a), values(b));
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for (backend, n, metric, x) in &va {
        match vb
            .iter()
            .find(|v| &v.0 == backend && v.1 == *n && &v.2 == metric)
        {
            Some((_, _, _, y)) if *x > 0.0 => {
                let ratio = y / x;
                let flag = if ratio >= threshold {
                    Some("SLOWER")
                } else if ratio <= 1.0 / threshold {
                    Some("FASTER")
                } else {
                    None
                };
                rows.push(CompareRow {
                    backend: backend.clone(),
                    services: *n,
                    metric: metric.clone(),
                    a_ns: *x,
                    b_ns: *y,
                    ratio,
                    flag,
                });
            }
            Some(_) => {}
            None => notes.push(format!("only in A: {backend} {metric} at {n} Services")),
        }
    }
    for (backend, n, metric, _) in &vb {
        if !va
            .iter()
            .any(|v| &v.0 == backend && v.1 == *n && &v.2 == metric)
        {
            notes.push(format!("only in B: {backend} {metric} at {n} Services"));
        }
    }
    let env = |m: &ReportModel, key: &str| {
        m.environment
            .rows
            .iter()
            .find(|r| r.0 == key)
            .map(|r| r.1.clone())
    };
    for key in ["kernel", "CPU", "machine"] {
        if env(a, key) != env(b, key) {
            notes.push(format!(
                "{key} differs: A {} / B {}; ratios mix machine and code changes",
                env(a, key).unwrap_or_default(),
                env(b, key).unwrap_or_default()
            ));
        }
    }
    Comparison {
        a_run: a.run_id.clone(),
        b_run: b.run_id.clone(),
        threshold,
        rows,
        notes,
    }
}

/// Two decimals, or three significant digits below 0.1 (so 700× faster is not "0.00").
pub fn ratio_text(r: f64) -> String {
    if r < 0.1 {
        format!("{r:.2e}")
    } else {
        format!("{r:.2}")
    }
}

pub fn text(c: &Comparison) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "B/A of median commit times: A = run {}, B = run {}; flagged past {}× either way",
        c.a_run, c.b_run, c.threshold
    );
    let _ = writeln!(
        o,
        "{:<16} {:>8} {:<22} {:>12} {:>12} {:>8}  flag",
        "backend", "services", "metric", "A", "B", "B/A"
    );
    for r in &c.rows {
        let _ = writeln!(
            o,
            "{:<16} {:>8} {:<22} {:>12} {:>12} {:>8}  {}",
            r.backend,
            r.services,
            r.metric,
            format_ns(r.a_ns),
            format_ns(r.b_ns),
            ratio_text(r.ratio),
            r.flag.unwrap_or("")
        );
    }
    let _ = writeln!(
        o,
        "\n{} of {} compared values flagged",
        c.flagged(),
        c.rows.len()
    );
    for n in &c.notes {
        let _ = writeln!(o, "note: {n}");
    }
    o
}

pub fn html(c: &Comparison) -> String {
    let mut b = String::new();
    let _ = writeln!(b, "<h1>svclab compare: {} → {}</h1>\n<p class=\"note\">B/A of median commit times; flagged past {}× either way.</p>", escape(&c.a_run), escape(&c.b_run), c.threshold);
    b.push_str("<table><tr><th>backend</th><th>Services</th><th>metric</th><th>A</th><th>B</th><th>B/A</th><th>flag</th></tr>\n");
    for r in &c.rows {
        let class = match r.flag {
            Some("SLOWER") => "grade not-reproduced",
            Some(_) => "grade reproduced",
            None => "",
        };
        let _ = writeln!(b, "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"{class}\">{}</td></tr>", escape(&r.backend), r.services, escape(&r.metric), format_ns(r.a_ns), format_ns(r.b_ns), ratio_text(r.ratio), r.flag.unwrap_or(""));
    }
    let _ = writeln!(
        b,
        "</table>\n<p>{} of {} compared values flagged.</p>",
        c.flagged(),
        c.rows.len()
    );
    if !c.notes.is_empty() {
        b.push_str("<div class=\"notice\"><ul>\n");
        for n in &c.notes {
            let _ = writeln!(b, "<li>{}</li>", escape(n));
        }
        b.push_str("</ul></div>\n");
    }
    include_str!("templates/report.html")
        .replace(
            "{{title}}",
            &escape(&format!("svclab compare {} → {}", c.a_run, c.b_run)),
        )
        .replace("{{version}}", env!("CARGO_PKG_VERSION"))
        .replace("{{body}}", &b)
}
