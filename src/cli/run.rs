//! `svclab run`: validate the scenario, check privileges, measure, stream results, summarize,
//! report.

use super::{scenarios, RunArgs, UsageError, Where};
use crate::environment;
use crate::progress::Progress;
use crate::registry;
use crate::results::{Record, ResultsWriter, RunEnd};
use crate::runner::{self, RunStatus};
use crate::{privilege, summary, synth};
use anyhow::Context as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;
use svclab_backend::CancelFlag;

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let (mut plan, scenario_file) = scenarios::load(&args.scenario)?;
    if let Some(backends) = args.backends {
        let known = registry::names();
        if let Some(bad) = backends.iter().find(|b| !known.contains(&b.as_str())) {
            return Err(UsageError(format!(
                "unknown backend {bad:?} in --backends; known: {}",
                known.join(", ")
            ))
            .into());
        }
        plan.backends = backends;
    }
    if let Some(reason) = vm_reason(args.place, &plan) {
        eprintln!("svclab: running the whole scenario in the lab VM (one kernel for every backend): {reason}");
        let raw: Vec<String> = std::env::args().skip(1).collect();
        let cmd = crate::vm::for_guest(&raw, &run_id(SystemTime::now()), |p| p.is_file());
        return super::vm::run_guest(&super::vm::default_options(), &cmd);
    }
    privilege::check()?;
    for line in registry::remove_leftovers() {
        eprintln!("svclab: {line}");
    }

    // In the lab VM the host chose the run id, so the folder it lands in carries the same name.
    let run_id = std::env::var(crate::vm::command::RUN_ID_ENV)
        .ok()
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| run_id(SystemTime::now()));
    let out_dir = args
        .out
        .unwrap_or_else(|| PathBuf::from("reports").join(&run_id));
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("creating the output folder {}", out_dir.display()))?;
    let results_path = out_dir.join("results.jsonl");
    let mut out = ResultsWriter::create(&results_path)
        .with_context(|| format!("creating {}", results_path.display()))?;
    let env = environment::collect(&run_id, &plan, Some(scenario_file));
    out.write(Record::Environment(Box::new(env)))
        .with_context(|| format!("writing {}", results_path.display()))?;

    let cancel = CancelFlag::new();
    install_interrupt_handler(&cancel)?;
    let set = synth::generate(plan.seed, plan.max_scale() + 1, plan.endpoints_per_service);
    let progress = Progress::new(runner::total_steps(&plan));
    progress.note(&format!(
        "scenario {} on {}: scale {:?}; results stream to {}",
        plan.name,
        plan.backends.join(", "),
        plan.scale,
        results_path.display()
    ));
    let outcome = runner::run(&plan, &set, &cancel, &progress, &mut out);
    progress.finish();

    let (status, detail) = match &outcome {
        Ok(RunStatus::Completed) => ("completed", None),
        Ok(RunStatus::CompletedWithFailures) => (
            "completed",
            Some("some steps failed; see their records".to_string()),
        ),
        Ok(RunStatus::Interrupted) => ("interrupted", Some("interrupted by the user".to_string())),
        Err(e) => ("failed", Some(format!("{e:#}"))),
    };
    let end = Record::RunEnd(RunEnd {
        finished_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        status: status.to_string(),
        detail,
    });
    out.write(end)
        .with_context(|| format!("writing {}", results_path.display()))?;
    print!("{}", summary::render(out.records()));
    println!("\nresults: {}", results_path.display());
    // The results are complete on disk by now; a report that fails to render is said and the
    // run's own outcome stands (`svclab report` can rebuild it later).
    match super::report::write(&results_path, &out_dir) {
        Ok(written) => {
            if let Some(html) = written.iter().find(|p| p.ends_with("index.html")) {
                println!("report:  {}", html.display());
            }
        }
        Err(e) => eprintln!(
            "svclab: the report could not be written ({e:#}); the results are intact, retry with: svclab report {}",
            out_dir.display()
        ),
    }
    match outcome? {
        RunStatus::Completed => Ok(ExitCode::SUCCESS),
        RunStatus::CompletedWithFailures => Ok(ExitCode::from(1)),
        RunStatus::Interrupted => {
            eprintln!(
                "svclab: interrupted; every finished measurement is in {}",
                results_path.display()
            );
            Ok(ExitCode::from(130))
        }
    }
}

/// Why this run should go to the lab VM, or `None` to run here. Inside the lab VM it is always
/// here; `auto` goes to the VM only when a selected backend cannot run on this host.
fn vm_reason(place: Where, plan: &crate::scenario::Plan) -> Option<String> {
    if std::env::var_os("SVCLAB_IN_VM").is_some() {
        return None;
    }
    match place {
        Where::Host => None,
        Where::Vm => Some("--where vm".into()),
        // Without privileges nothing can be probed; the run below says what is missing.
        Where::Auto if privilege::check().is_err() => None,
        Where::Auto => {
            let unavailable: Vec<String> = plan
                .backends
                .iter()
                .filter_map(|name| {
                    let availability = crate::sandbox::run_in_fresh_netns(|| {
                        registry::probe(name, svclab_backend::BackendConfig::default())
                    });
                    match availability {
                        Ok(svclab_backend::Availability::Available { .. }) => None,
                        Ok(svclab_backend::Availability::Unavailable { reason, .. }) => {
                            Some(format!("{name} cannot run on this host ({reason})"))
                        }
                        Err(e) => Some(format!("{name}: {e}")),
                    }
                })
                .collect();
            (!unavailable.is_empty()).then(|| unavailable.join("; "))
        }
    }
}

/// First Ctrl-C: stop after killing the running tool, keep what was measured. Second: exit now
/// (the sandbox namespaces die with the process).
fn install_interrupt_handler(cancel: &CancelFlag) -> anyhow::Result<()> {
    let cancel = cancel.clone();
    ctrlc::set_handler(move || {
        if cancel.is_cancelled() {
            std::process::exit(130);
        }
        eprintln!("\nsvclab: interrupted, stopping (Ctrl-C again to quit at once)");
        cancel.cancel();
    })
    .context("installing the Ctrl-C handler")
}

/// `20261128-014502`: sortable, file-name safe, from UTC time.
pub(super) fn run_id(now: SystemTime) -> String {
    let digits: String = humantime::format_rfc3339_seconds(now)
        .to_string()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    format!("{}-{}", &digits[..8], &digits[8..14])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn run_id_is_compact_utc() {
        let t = UNIX_EPOCH + Duration::from_secs(1_795_830_302);
        assert_eq!(run_id(t), "20261128-014502");
    }
}
