//! `summary.md`: the whole report as Markdown text (also readable as plain text in a terminal).

use super::model::ReportModel;
use super::seed_table::{value_text, Value, COLUMNS};
use super::{Report, ReportError};
use crate::analysis::{format_ns, Cell};
use crate::results::Op;
use std::fmt::Write as _;

pub struct Markdown;

/// Table cells must not break the row: pipes escaped, newlines flattened.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

impl Report for Markdown {
    fn file_name(&self) -> &'static str {
        "summary.md"
    }

    fn render(&self, m: &ReportModel) -> Result<String, ReportError> {
        let mut o = String::new();
        let _ = writeln!(o, "# svclab report: run {}\n", m.run_id);
        let _ = writeln!(
            o,
            "Scenario: {}. Run status: **{}**.\n",
            m.scenario, m.status
        );
        if !m.notices.is_empty() {
            let _ = writeln!(o, "## What is missing\n");
            for n in &m.notices {
                let _ = writeln!(o, "- {n}");
            }
            o.push('\n');
        }
        super::location::markdown_sections(&mut o, m);
        let _ = writeln!(o, "## Environment\n");
        for w in &m.environment.warnings {
            let _ = writeln!(o, "> **Warning:** {w}\n");
        }
        let _ = writeln!(o, "| | |\n|---|---|");
        for (k, v) in &m.environment.rows {
            let _ = writeln!(o, "| {} | {} |", cell(k), cell(v));
        }
        let _ = writeln!(o, "\n## The source document's table, reproduced\n");
        let _ = writeln!(o, "{}\n", super::html::READINGS_NOTE);
        if m.backends
            .iter()
            .any(|b| b.family == super::model::Family::Nftables)
        {
            let _ = writeln!(o, "{}\n", super::claims::NFTABLES_DISPATCH);
        }
        let _ = writeln!(
            o,
            "| row | backend | {} |",
            COLUMNS.map(|n| n.to_string()).join(" | ")
        );
        let _ = writeln!(o, "|---|---|---|---|---|");
        let mut derived_notes = Vec::new();
        for row in &m.seed {
            let cells: Vec<String> = row.cells.iter().map(|v| value_text(v, row.unit)).collect();
            for v in &row.cells {
                if let Value::Derived { how, .. } = v {
                    if !derived_notes.contains(how) {
                        derived_notes.push(how.clone());
                    }
                }
            }
            let backend = row.backend.as_deref().unwrap_or("(document)");
            let _ = writeln!(
                o,
                "| {} | {} | {} |",
                cell(&row.label),
                backend,
                cells.join(" | ")
            );
        }
        if !derived_notes.is_empty() {
            let _ = writeln!(o, "\nDERIVED values were not timed; they were computed:\n");
            for how in derived_notes {
                let _ = writeln!(o, "- {how}");
            }
        }
        let _ = writeln!(o, "\n## Verdicts on the document's claims\n");
        let _ = writeln!(o, "{}\n", super::html::GRADING_NOTE);
        let _ = writeln!(
            o,
            "| claim | backend | verdict | measured |\n|---|---|---|---|"
        );
        for v in &m.verdicts {
            let _ = writeln!(
                o,
                "| {} | {} | **{}** | {} |",
                cell(v.claim),
                v.backend,
                v.grade.label(),
                cell(&v.detail)
            );
        }
        let _ = writeln!(
            o,
            "\n## Scaling exponents (least squares on log-log, y = a·N^b)\n"
        );
        let _ = writeln!(o, "Fitted over the top decade of N (small N is dominated by fixed per-call costs); the add-1 fit over all points is shown for comparison.\n");
        let _ = writeln!(o, "| backend | add-1 (top decade) | add-1 (all points) | full sync | update-endpoints | first-packet walk | first-packet p50, last position |\n|---|---|---|---|---|---|---|");
        for b in &m.backends {
            let f = |fit: &Option<super::fit::PowerFit>| {
                fit.map_or("—".to_string(), |f| {
                    format!(
                        "N^{} ({})",
                        super::fit::exponent_text(f.exponent),
                        f.quality()
                    )
                })
            };
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} |",
                b.name,
                f(&b.add_fit),
                f(&b.add_fit_all),
                f(&b.full_sync_fit),
                f(&b.update_fit),
                f(&b.first_packet.walk_fit),
                f(&b.first_packet.last_fit)
            );
        }
        for t in &m.claim_tables {
            let _ = writeln!(o, "\n## {}\n\n{}\n", t.title, cell(&t.note));
            if t.rows.is_empty() {
                continue;
            }
            let _ = writeln!(o, "| {} |", t.header.join(" | "));
            let _ = writeln!(o, "|{}", "---|".repeat(t.header.len()));
            for row in &t.rows {
                let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
                let _ = writeln!(o, "| {} |", cells.join(" | "));
            }
        }
        let _ = writeln!(
            o,
            "\n## Measurements (commit time, median / p99, n timed samples)\n"
        );
        let ops = [
            Op::InitialSync,
            Op::FullSync,
            Op::Add,
            Op::Remove,
            Op::UpdateEndpoints,
        ];
        let _ = writeln!(
            o,
            "| backend | Services | {} | kernel rules | objects |",
            ops.map(|op| op.label()).join(" | ")
        );
        let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|");
        for row in &m.rows {
            let cells: Vec<String> = ops
                .iter()
                .map(|op| match row.ops.get(op) {
                    Some(Cell::Measured(s)) if s.count == 1 => format_ns(s.median),
                    Some(Cell::Measured(s)) => format!(
                        "{} / {} (n={})",
                        format_ns(s.median),
                        format_ns(s.p99),
                        s.count
                    ),
                    Some(Cell::Missing(why)) => cell(why),
                    None => "—".into(),
                })
                .collect();
            let ok = match row.objects_ok {
                Some(true) => "ok",
                Some(false) => "MISMATCH",
                None => "—",
            };
            let rules = row.rules.map_or("—".into(), |r| r.to_string());
            let _ = writeln!(
                o,
                "| {} | {} | {} | {rules} | {ok} |",
                row.backend,
                row.services,
                cells.join(" | ")
            );
        }
        // Without any install record the table is left out; the notices at the top say why.
        if m.backends.iter().any(|b| b.cumulative.is_some()) {
            let _ = writeln!(o, "\n## One-at-a-time install from empty\n");
            let _ = writeln!(o, "| backend | reached / target | total commit time | stopped because |\n|---|---|---|---|");
        }
        for b in &m.backends {
            if let Some(c) = &b.cumulative {
                let _ = writeln!(
                    o,
                    "| {} | {} / {} | {} | {} |",
                    b.name,
                    c.reached,
                    c.target,
                    format_ns(c.commit_ns as f64),
                    cell(&super::html::stop_reason(&c.outcome))
                );
            }
        }
        let _ = writeln!(
            o,
            "\nPlots: {} (open index.html).",
            m.plots
                .iter()
                .map(|p| p.title)
                .collect::<Vec<_>>()
                .join("; ")
        );
        Ok(o)
    }
}
