//! The data tables of `index.html`: every measurement, the one-at-a-time installs, and the
//! environment with each backend's availability.

use super::escape;
use super::html::stop_reason;
use super::html_tables::{color_of, swatch};
use super::model::ReportModel;
use crate::analysis::{format_ns, Cell};
use crate::results::Op;
use std::fmt::Write as _;

pub fn measurements(b: &mut String, m: &ReportModel) {
    let ops = [
        Op::InitialSync,
        Op::FullSync,
        Op::Add,
        Op::Remove,
        Op::UpdateEndpoints,
    ];
    b.push_str("<h2 id=\"measurements\">Measurements</h2>\n<p class=\"note\">Commit time, median / p99 (n: timed samples), per backend and scale point. Raw samples are in results.jsonl and results.csv.</p>\n<table><tr><th>backend</th><th>Services</th>");
    for op in ops {
        let _ = write!(b, "<th>{}</th>", op.label());
    }
    b.push_str("<th>kernel rules</th><th>objects check</th></tr>\n");
    for r in &m.rows {
        let _ = write!(
            b,
            "<tr><td>{}{}</td><td class=\"num\">{}</td>",
            color_of(m, &r.backend),
            escape(&r.backend),
            r.services
        );
        for op in ops {
            match r.ops.get(&op) {
                // One sample (the initial sync) has no spread worth a second number.
                Some(Cell::Measured(s)) if s.count == 1 => {
                    let _ = write!(b, "<td class=\"num\">{}</td>", format_ns(s.median));
                }
                Some(Cell::Measured(s)) => {
                    let _ = write!(
                        b,
                        "<td class=\"num\">{} / {} (n={})</td>",
                        format_ns(s.median),
                        format_ns(s.p99),
                        s.count
                    );
                }
                Some(Cell::Missing(why)) => {
                    let _ = write!(b, "<td class=\"missing\">{}</td>", escape(why));
                }
                None => b.push_str("<td class=\"missing\">—</td>"),
            }
        }
        let ok = match r.objects_ok {
            Some(true) => "ok",
            Some(false) => "MISMATCH",
            None => "—",
        };
        let _ = writeln!(
            b,
            "<td class=\"num\">{}</td><td>{ok}</td></tr>",
            r.rules.map_or("—".into(), |x| x.to_string())
        );
    }
    b.push_str("</table>\n");
    if m.backends.iter().all(|be| be.cumulative.is_none()) {
        return; // the notices at the top say why
    }
    b.push_str("<h3>One-at-a-time install from empty</h3>\n<table><tr><th>backend</th><th>reached / target</th><th>total commit time</th><th>stopped because</th></tr>\n");
    for be in &m.backends {
        if let Some(c) = &be.cumulative {
            let _ = writeln!(b, "<tr><td>{}{}</td><td class=\"num\">{} / {}</td><td class=\"num\">{}</td><td>{}</td></tr>", color_of(m, &be.name), escape(&be.name), c.reached, c.target, format_ns(c.commit_ns as f64), escape(&stop_reason(&c.outcome)));
        }
    }
    b.push_str("</table>\n");
}

pub fn environment(b: &mut String, m: &ReportModel) {
    b.push_str("<h2 id=\"environment\">Environment</h2>\n<table>\n");
    for (k, v) in &m.environment.rows {
        let _ = writeln!(b, "<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(v));
    }
    b.push_str("</table>\n");
    for be in &m.backends {
        if let Some(a) = &be.availability {
            let text = match a {
                svclab_backend::Availability::Available { detail } => {
                    format!("available: {detail}")
                }
                svclab_backend::Availability::Unavailable { reason, fix } => {
                    format!("UNAVAILABLE: {reason} (fix: {fix})")
                }
            };
            let _ = writeln!(
                b,
                "<p class=\"note\">{}{}: {}</p>",
                swatch(
                    m.backends
                        .iter()
                        .position(|x| x.name == be.name)
                        .unwrap_or(0)
                ),
                escape(&be.name),
                escape(&text)
            );
        }
    }
}
