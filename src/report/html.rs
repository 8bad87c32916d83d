//! `index.html`: one self-contained page (inline CSS and SVG, no scripts, no fetches), from the
//! template compiled in with `include_str!`.

use super::html_tables as tables;
use super::model::ReportModel;
use super::{escape, svg, Report, ReportError};
use crate::results::Outcome;
use std::fmt::Write as _;

const TEMPLATE: &str = include_str!("templates/report.html");

pub const READINGS_NOTE: &str = "The document's \"11 min / 5 h\" can be read two ways, and both are shown: \
(A) the latency of adding one rule to a table that already holds N Services, and (B) the total time \
to install N Services one at a time from empty. The lab's add-1 adds one Service, i.e. 3E+2 rules \
(8 with 2 endpoints); the per-rule row divides each add's time by the rules it wrote, a derived figure. \
(B) is measured up to the scenario's time budget; beyond it the total is DERIVED from the measured \
add-1 curve and marked so.";

pub const GRADING_NOTE: &str = "Numbers: within 2× of the document's is reproduced, within 10× differs \
(by the factor shown), beyond 10× not reproduced. Growth: a fitted exponent within ±0.25 of the one \
the document's numbers imply is reproduced; the same growth class (super-linear, or sub-linear) \
differs; the other class is not reproduced. \"Update time grows with the table\" is reproduced by \
any growth of N^0.75 or steeper. DERIVED inputs are marked in the detail.";

/// Why a one-at-a-time install stopped, in words.
pub fn stop_reason(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Ok => "reached the target".into(),
        Outcome::Skipped { reason } => reason.clone(),
        Outcome::TimedOut { error } => format!("a step timed out: {error}"),
        Outcome::Failed { error } => format!("failed: {error}"),
        Outcome::Cancelled => "interrupted".into(),
    }
}

pub struct Html;

impl Report for Html {
    fn file_name(&self) -> &'static str {
        "index.html"
    }

    fn render(&self, m: &ReportModel) -> Result<String, ReportError> {
        let mut b = String::new();
        let status_class = match m.status.as_str() {
            "completed" => "completed",
            "interrupted" => "interrupted",
            "failed" => "failed",
            _ => "incomplete",
        };
        let _ = writeln!(
            b,
            "<h1>svclab report: run {}</h1>\n<p>{} · run status <span class=\"status {status_class}\">{}</span></p>",
            escape(&m.run_id),
            escape(&m.scenario),
            escape(&m.status)
        );
        b.push_str("<nav><a href=\"#verdicts\">Verdicts</a><a href=\"#seed-table\">The document's table</a><a href=\"#exponents\">Exponents</a><a href=\"#kernel-claims\">First packet, memory, lock</a><a href=\"#plots\">Plots</a><a href=\"#measurements\">Measurements</a><a href=\"#environment\">Environment</a></nav>\n");
        if !m.notices.is_empty() {
            b.push_str("<div class=\"notice\" id=\"missing\"><strong>What is missing from this run</strong><ul>\n");
            for n in &m.notices {
                let _ = writeln!(b, "<li>{}</li>", escape(n));
            }
            b.push_str("</ul></div>\n");
        }
        for w in &m.environment.warnings {
            let _ = writeln!(
                b,
                "<div class=\"warning\"><strong>Warning:</strong> {}</div>",
                escape(w)
            );
        }
        super::location::html_sections(&mut b, m);
        tables::verdicts(&mut b, m);
        tables::seed(&mut b, m);
        tables::exponents(&mut b, m);
        tables::claim_tables(&mut b, m);
        plots(&mut b, m)?;
        super::html_results::measurements(&mut b, m);
        super::html_results::environment(&mut b, m);
        Ok(TEMPLATE
            .replace(
                "{{title}}",
                &escape(&format!("svclab report: run {}", m.run_id)),
            )
            .replace("{{version}}", env!("CARGO_PKG_VERSION"))
            .replace("{{body}}", &b))
    }
}

fn plots(b: &mut String, m: &ReportModel) -> Result<(), ReportError> {
    b.push_str("<h2 id=\"plots\">Plots</h2>\n<p class=\"note\">Axes are logarithmic where the values span two decades or more. One colour per backend; grey triangles are the document's numbers; dashed lines are derived, not measured.</p>\n");
    for p in &m.plots {
        let _ = writeln!(
            b,
            "<figure id=\"plot-{}\">\n<h3>{}</h3>",
            p.id,
            escape(p.title)
        );
        match &p.placeholder {
            Some(why) => {
                let _ = writeln!(b, "<div class=\"placeholder\">{}</div>", escape(why));
            }
            None => {
                b.push_str(&svg::render(p)?);
                b.push_str("\n<div class=\"legend\">");
                for line in p.lines.iter().filter(|l| !l.points.is_empty()) {
                    let _ = write!(
                        b,
                        "<span class=\"key\"><span class=\"line\" style=\"{}\"></span>{}</span>",
                        svg::legend_style(line),
                        escape(&line.label)
                    );
                }
                b.push_str("</div>");
            }
        }
        let _ = writeln!(
            b,
            "\n<figcaption>{}</figcaption>\n</figure>",
            escape(&p.caption)
        );
    }
    Ok(())
}
