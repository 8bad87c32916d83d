//! `svclab report <run-dir>`, `svclab compare A B` and `svclab publish`: reports rebuilt from
//! results alone.

use super::{CompareArgs, PublishArgs, ReportArgs, UsageError};
use crate::report;
use anyhow::Context as _;
use std::path::Path;
use std::process::ExitCode;

pub fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let out_dir = args.out.unwrap_or_else(|| folder_of(&args.run));
    let written = write(&args.run, &out_dir)?;
    for path in written {
        println!("{}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Build the report of `run` (a run folder or its results.jsonl) into `out_dir`.
pub fn write(run: &Path, out_dir: &Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let model =
        report::load(run).with_context(|| format!("reading the run at {}", run.display()))?;
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("creating the report folder {}", out_dir.display()))?;
    Ok(report::write_all(&model, out_dir)?)
}

fn folder_of(run: &Path) -> std::path::PathBuf {
    if run.is_dir() {
        run.to_path_buf()
    } else {
        run.parent().map_or_else(|| ".".into(), Path::to_path_buf)
    }
}

pub fn compare(args: CompareArgs) -> anyhow::Result<ExitCode> {
    if !(args.threshold > 1.0 && args.threshold.is_finite()) {
        return Err(UsageError(format!(
            "--threshold must be a ratio above 1 (e.g. 1.25), not {}",
            args.threshold
        ))
        .into());
    }
    let load =
        |p: &Path| report::load(p).with_context(|| format!("reading the run at {}", p.display()));
    let (a, b) = (load(&args.a)?, load(&args.b)?);
    let comparison = report::compare(&a, &b, args.threshold);
    print!("{}", report::compare::text(&comparison));
    for warning in report::location::moved(&a.locations, &b.locations) {
        println!("warning: {warning}");
    }
    let html_path = args
        .html
        .unwrap_or_else(|| folder_of(&args.b).join(format!("compare-{}.html", a.run_id)));
    report::write_file(&html_path, &report::compare::html(&comparison))?;
    println!("html: {}", html_path.display());
    Ok(if comparison.flagged() > 0 && args.fail_on_flag {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

pub fn publish(args: PublishArgs) -> anyhow::Result<ExitCode> {
    let entries = report::site::publish(&args.reports, &args.out).with_context(|| {
        format!(
            "publishing {} into {}",
            args.reports.display(),
            args.out.display()
        )
    })?;
    println!(
        "{} run(s) published: {}",
        entries.len(),
        args.out.join("index.html").display()
    );
    Ok(ExitCode::SUCCESS)
}
