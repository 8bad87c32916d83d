//! The judging tables of `index.html`: verdicts, the document's table and exponents. Derived
//! cells carry a DERIVED tag and say how in their tooltip.

use super::html::{GRADING_NOTE, READINGS_NOTE};
use super::model::ReportModel;
use super::seed_table::{value_text, Value, COLUMNS};
use super::{escape, svg};
use std::fmt::Write as _;

pub(super) fn swatch(index: usize) -> String {
    let c = svg::color(index);
    format!(
        "<span class=\"swatch\" style=\"background:rgb({},{},{})\"></span>",
        c.0, c.1, c.2
    )
}

pub(super) fn color_of(m: &ReportModel, backend: &str) -> String {
    m.backends
        .iter()
        .position(|b| b.name == backend)
        .map_or(String::new(), swatch)
}

pub fn verdicts(b: &mut String, m: &ReportModel) {
    b.push_str("<h2 id=\"verdicts\">Verdicts on the document's claims</h2>\n");
    let _ = writeln!(b, "<p class=\"note\">{}</p>", escape(GRADING_NOTE));
    if m.verdicts.is_empty() {
        b.push_str("<p>No backend measured anything, so no claim can be judged.</p>\n");
        return;
    }
    b.push_str("<table><tr><th>claim</th><th>backend</th><th>verdict</th><th>measured</th></tr>\n");
    for (i, v) in m.verdicts.iter().enumerate() {
        let class = v.grade.label().replace(' ', "-");
        // The claim once, spanning the rows of every backend that answers it.
        let claim = if i > 0 && m.verdicts[i - 1].claim == v.claim {
            String::new()
        } else {
            let span = m.verdicts[i..]
                .iter()
                .take_while(|w| w.claim == v.claim)
                .count();
            format!("<td rowspan=\"{span}\">{}</td>", escape(v.claim))
        };
        let group = if claim.is_empty() {
            ""
        } else {
            " class=\"group\""
        };
        let _ = writeln!(
            b,
            "<tr{group}>{claim}<td>{}{}</td><td class=\"grade {class}\">{}</td><td>{}</td></tr>",
            color_of(m, &v.backend),
            escape(&v.backend),
            v.grade.label(),
            escape(&v.detail)
        );
    }
    b.push_str("</table>\n");
}

pub fn seed(b: &mut String, m: &ReportModel) {
    b.push_str("<h2 id=\"seed-table\">The source document's table, reproduced</h2>\n");
    let _ = writeln!(b, "<p class=\"note\">{}</p>", escape(READINGS_NOTE));
    if m.backends
        .iter()
        .any(|be| be.family == super::model::Family::Nftables)
    {
        let _ = writeln!(
            b,
            "<p class=\"note\">{}</p>",
            escape(super::claims::NFTABLES_DISPATCH)
        );
    }
    let _ = write!(b, "<table><tr><th>row</th><th>backend</th>");
    for n in COLUMNS {
        let _ = write!(
            b,
            "<th>{} Services</th>",
            super::seed_table::thousands(n as u64)
        );
    }
    b.push_str("</tr>\n");
    let mut previous: Option<&str> = None;
    for row in &m.seed {
        let doc = row.backend.is_none();
        // A rule above each backend's group of rows: the table reads as one block per backend.
        let class = match (doc, row.backend.as_deref() != previous) {
            (true, _) => " class=\"document\"",
            (false, true) => " class=\"group\"",
            (false, false) => "",
        };
        previous = row.backend.as_deref();
        let _ = write!(
            b,
            "<tr{class}><td>{}</td><td>{}</td>",
            escape(&row.label),
            row.backend
                .as_deref()
                .map_or("document".to_string(), |n| format!(
                    "{}{}",
                    color_of(m, n),
                    escape(n)
                ))
        );
        for v in &row.cells {
            let text = value_text(v, row.unit);
            match v {
                Value::Measured(_) => {
                    let _ = write!(b, "<td class=\"num\">{}</td>", escape(&text));
                }
                Value::Derived { how, .. } => {
                    let number = text.trim_end_matches(" DERIVED");
                    let _ = write!(
                        b,
                        "<td class=\"num derived\" title=\"{}\">{} <span class=\"tag\">DERIVED</span></td>",
                        escape(how),
                        escape(number)
                    );
                }
                Value::Missing(why) => {
                    let _ = write!(
                        b,
                        "<td class=\"num missing\" title=\"{}\">—</td>",
                        escape(why)
                    );
                }
            }
        }
        b.push_str("</tr>\n");
    }
    b.push_str("</table>\n<p class=\"note\">DERIVED: not timed by the lab; hover a cell for how it was computed. The same explanations, in order:</p>\n<ul class=\"note\">\n");
    let mut seen: Vec<&str> = Vec::new();
    for how in m
        .seed
        .iter()
        .flat_map(|r| r.cells.iter())
        .filter_map(|v| match v {
            Value::Derived { how, .. } => Some(how.as_str()),
            _ => None,
        })
    {
        if !seen.contains(&how) {
            seen.push(how);
            let _ = writeln!(b, "<li>{}</li>", escape(how));
        }
    }
    b.push_str("</ul>\n");
}

pub fn exponents(b: &mut String, m: &ReportModel) {
    b.push_str("<h2 id=\"exponents\">Scaling exponents</h2>\n<p class=\"note\">Least squares on log-log, time ≈ a·N<sup>b</sup>, over the top decade of measured N: small N is dominated by fixed per-call costs (a process start, a netlink round trip) that hide the growth. The add-1 fit over all points is shown for comparison. b = 0 is flat, 1 linear, 2 quadratic. The document's iptables numbers imply b ≈ 1.97, its IPVS numbers b ≈ 0.08.</p>\n");
    b.push_str("<table><tr><th>backend</th><th>add-1 (top decade of N)</th><th>add-1 (all points)</th><th>full sync</th><th>update-endpoints</th><th>first-packet walk (last − first p50)</th><th>first-packet p50, last position</th></tr>\n");
    for be in &m.backends {
        let f = |fit: &Option<super::fit::PowerFit>| {
            fit.map_or("<td class=\"missing\">—</td>".to_string(), |f| {
                format!("<td class=\"num\" title=\"N {}–{}\">N<sup>{}</sup> <span class=\"note\">{}</span></td>", f.n_min, f.n_max, super::fit::exponent_text(f.exponent), f.quality())
            })
        };
        let _ = writeln!(
            b,
            "<tr><td>{}{}</td>{}{}{}{}{}{}</tr>",
            swatch(
                m.backends
                    .iter()
                    .position(|x| x.name == be.name)
                    .unwrap_or(0)
            ),
            escape(&be.name),
            f(&be.add_fit),
            f(&be.add_fit_all),
            f(&be.full_sync_fit),
            f(&be.update_fit),
            f(&be.first_packet.walk_fit),
            f(&be.first_packet.last_fit)
        );
    }
    b.push_str("</table>\n");
}

/// The first-packet, kernel-memory and lock-wait tables.
pub fn claim_tables(b: &mut String, m: &ReportModel) {
    b.push_str("<h2 id=\"kernel-claims\">First packet, kernel memory, lock wait</h2>\n");
    for t in &m.claim_tables {
        let _ = writeln!(
            b,
            "<h3 id=\"table-{}\">{}</h3>\n<p class=\"note\">{}</p>",
            t.id,
            escape(t.title),
            escape(&t.note)
        );
        if t.rows.is_empty() {
            continue;
        }
        b.push_str("<table><tr>");
        for h in &t.header {
            let _ = write!(b, "<th>{}</th>", escape(h));
        }
        b.push_str("</tr>\n");
        for row in &t.rows {
            let backend = row.first().map_or("", String::as_str);
            let _ = write!(
                b,
                "<tr><td>{}{}</td>",
                color_of(m, backend),
                escape(backend)
            );
            for c in row.iter().skip(1) {
                let _ = write!(b, "<td class=\"num\">{}</td>", escape(c));
            }
            b.push_str("</tr>\n");
        }
        b.push_str("</table>\n");
    }
}
