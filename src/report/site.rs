//! The published site: every run folder under `reports/` with its report, and an index page
//! listing the runs newest first. `svclab publish` (and scripts/publish.sh, and CI) build it.

use super::grade::Grade;
use super::model::ReportModel;
use super::{escape, ReportError};
use std::fmt::Write as _;

/// One run as the index lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteEntry {
    /// The run's folder name under the site root (the link target).
    pub folder: String,
    pub started_at: String,
    pub run_id: String,
    pub scenario: String,
    pub status: String,
    pub machine: String,
    pub backends: Vec<String>,
    pub reproduced: usize,
    pub judged: usize,
}

impl SiteEntry {
    pub fn of(folder: &str, m: &ReportModel) -> SiteEntry {
        let env = |key: &str| {
            m.environment
                .rows
                .iter()
                .find(|r| r.0 == key)
                .map_or_else(String::new, |r| r.1.clone())
        };
        let judged = m
            .verdicts
            .iter()
            .filter(|v| !matches!(v.grade, Grade::NotMeasured | Grade::NotComparable));
        SiteEntry {
            folder: folder.to_string(),
            started_at: env("started"),
            run_id: m.run_id.clone(),
            scenario: m.scenario.clone(),
            status: m.status.clone(),
            machine: format!(
                "{}; kernel {}",
                env("machine"),
                env("kernel").split(' ').next().unwrap_or("")
            ),
            backends: m
                .backends
                .iter()
                .filter(|b| b.measured_anything())
                .map(|b| b.name.clone())
                .collect(),
            reproduced: judged
                .clone()
                .filter(|v| v.grade == Grade::Reproduced)
                .count(),
            judged: judged.count(),
        }
    }
}

/// The index page, runs newest first (RFC 3339 start times sort as text; ties by folder).
pub fn index(entries: &[SiteEntry], benches: &[super::benches::BenchPage]) -> String {
    let mut sorted: Vec<&SiteEntry> = entries.iter().collect();
    sorted.sort_by(|a, b| (&b.started_at, &b.folder).cmp(&(&a.started_at, &a.folder)));
    let mut body = String::from("<h1>svclab runs</h1>\n<p class=\"note\">Every published run, newest first. Each report puts the run's measurements beside the source document's table (iptables 50 µs / 11 min / 5 h, IPVS 30 / 50 / 70 µs to add a rule at 1 / 5,000 / 20,000 Services).</p>\n");
    if sorted.is_empty() {
        body.push_str("<p>No runs published yet.</p>\n");
    } else {
        body.push_str("<table><tr><th>started</th><th>run</th><th>scenario</th><th>status</th><th>measured backends</th><th>claims reproduced</th><th>machine</th><th>files</th></tr>\n");
        for e in sorted {
            let f = escape(&e.folder);
            let _ = writeln!(
                body,
                "<tr><td class=\"num\">{}</td><td><a href=\"{f}/index.html\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{} of {}</td><td>{}</td><td><a href=\"{f}/summary.md\">md</a> <a href=\"{f}/results.csv\">csv</a> <a href=\"{f}/results.jsonl\">jsonl</a></td></tr>",
                escape(&e.started_at),
                escape(&e.run_id),
                escape(&e.scenario),
                escape(&e.status),
                escape(&e.backends.join(", ")),
                e.reproduced,
                e.judged,
                escape(&e.machine)
            );
        }
        body.push_str("</table>\n");
    }
    if !benches.is_empty() {
        body.push_str("<h2>cargo bench</h2>\n<ul>\n");
        for page in benches {
            let _ = writeln!(
                body,
                "<li><a href=\"{}\">{}</a> (criterion)</li>",
                escape(&page.href),
                escape(&page.label)
            );
        }
        body.push_str("</ul>\n");
    }
    include_str!("templates/report.html")
        .replace("{{title}}", "svclab runs")
        .replace("{{version}}", env!("CARGO_PKG_VERSION"))
        .replace("{{body}}", &body)
}

/// Build the site: for each folder of `reports` holding a results.jsonl, rebuild its report
/// into `site/<folder>/` (so every page matches the current renderer), copy its results and
/// any comparison pages, then write the index. Returns the entries published.
pub fn publish(
    reports: &std::path::Path,
    site: &std::path::Path,
) -> Result<Vec<SiteEntry>, ReportError> {
    let io = super::write_error;
    std::fs::create_dir_all(site).map_err(io(site))?;
    let mut folders: Vec<std::path::PathBuf> = std::fs::read_dir(reports)
        .map_err(io(reports))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("results.jsonl").is_file())
        .collect();
    folders.sort();
    let mut entries = Vec::new();
    for folder in folders {
        let name = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let model = super::load(&folder)?;
        let out = site.join(&name);
        std::fs::create_dir_all(&out).map_err(io(&out))?;
        super::write_all(&model, &out)?;
        for file in std::fs::read_dir(&folder)
            .map_err(io(&folder))?
            .filter_map(|e| e.ok())
        {
            let file_name = file.file_name().to_string_lossy().into_owned();
            if file_name == "results.jsonl"
                || (file_name.starts_with("compare-") && file_name.ends_with(".html"))
            {
                std::fs::copy(file.path(), out.join(&file_name)).map_err(io(&file.path()))?;
            }
        }
        entries.push(SiteEntry::of(&name, &model));
    }
    let benches = super::benches::copy_into_site(reports, site)?;
    super::write_file(&site.join("index.html"), &index(&entries, &benches))?;
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(folder: &str, started: &str) -> SiteEntry {
        SiteEntry {
            folder: folder.into(),
            started_at: started.into(),
            run_id: folder.into(),
            scenario: "s".into(),
            status: "completed".into(),
            machine: "host".into(),
            backends: vec!["ebpf".into()],
            reproduced: 1,
            judged: 2,
        }
    }

    #[test]
    fn index_lists_newest_first_and_escapes() {
        let page = index(
            &[
                entry("20261101-000000", "2026-11-01T00:00:00Z"),
                entry("reference-<x>", "2026-11-28T00:00:00Z"),
                entry("20261115-000000", "2026-11-15T00:00:00Z"),
            ],
            &[],
        );
        let pos = |s: &str| page.find(s).unwrap_or(usize::MAX);
        assert!(pos("reference-&lt;x&gt;") < pos("20261115-000000"));
        assert!(pos("20261115-000000") < pos("20261101-000000"));
        assert!(page.contains("1 of 2") && !page.contains("<script"));
        assert!(index(&[], &[]).contains("No runs published yet."));
        let bench = super::super::benches::BenchPage {
            href: "benches/host/report/index.html".into(),
            label: "cargo bench".into(),
        };
        assert!(index(&[], &[bench]).contains("<a href=\"benches/host/report/index.html\">"));
    }
}
