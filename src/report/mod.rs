//! Reports: rebuilt from `results.jsonl` alone. Records become a [`model::ReportModel`] (pure:
//! curves, fits, the document's table under both readings, verdicts, what is missing); renderers
//! behind [`Report`] only format it: `summary.md`, `results.csv`, `index.html`.

pub mod benches;
pub mod claims;
pub mod claims_tables;
pub mod compare;
mod csv;
pub mod decision;
pub mod derived;
mod environment;
pub mod fit;
pub mod grade;
mod html;
mod html_results;
mod html_tables;
pub mod location;
mod markdown;
mod missing;
pub mod model;
pub mod plots;
mod plots_claims;
pub mod seed_table;
pub mod simple_table;
pub mod site;
mod svg;
pub mod verdict;

pub use compare::{compare, Comparison};
pub use csv::Csv;
pub use html::Html;
pub use markdown::Markdown;
pub use model::{build, ReportModel};

use crate::results::{read_records, ReadError};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("{file} holds no svclab records; was the run started?")]
    Empty { file: String },
    #[error("drawing plot {plot}: {detail}")]
    Plot { plot: String, detail: String },
    #[error("cannot write {file}: {source}")]
    Write {
        file: String,
        #[source]
        source: std::io::Error,
    },
}

/// A renderer of the report model into one file of the run folder.
pub trait Report {
    /// The file it writes, relative to the run folder.
    fn file_name(&self) -> &'static str;
    fn render(&self, model: &ReportModel) -> Result<String, ReportError>;
}

/// Every renderer, in the order they are written (the HTML last: it is the slowest).
pub fn renderers() -> Vec<Box<dyn Report>> {
    vec![Box::new(Markdown), Box::new(Csv), Box::new(Html)]
}

/// The results file of a run folder (or the file itself, if given one).
pub fn results_path(run: &Path) -> PathBuf {
    if run.is_dir() {
        run.join("results.jsonl")
    } else {
        run.to_path_buf()
    }
}

/// Read a run's records and build its model.
pub fn load(run: &Path) -> Result<ReportModel, ReportError> {
    let path = results_path(run);
    let records = read_records(&path)?;
    if records.is_empty() {
        return Err(ReportError::Empty {
            file: path.display().to_string(),
        });
    }
    Ok(build(&records))
}

/// Write every report file into `out_dir`; returns the paths written.
pub fn write_all(model: &ReportModel, out_dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let mut written = Vec::new();
    for renderer in renderers() {
        let text = renderer.render(model)?;
        let path = out_dir.join(renderer.file_name());
        write_file(&path, &text)?;
        written.push(path);
    }
    Ok(written)
}

/// Write through a temporary file and rename, so a reader never sees half a report.
pub fn write_file(path: &Path, text: &str) -> Result<(), ReportError> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).map_err(write_error(path))?;
    std::fs::rename(&tmp, path).map_err(write_error(path))
}

/// The error for a failed filesystem operation on `path`, for `map_err`.
pub(crate) fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError {
    let file = path.display().to_string();
    move |source| ReportError::Write { file, source }
}

/// Minimal HTML escaping for text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
