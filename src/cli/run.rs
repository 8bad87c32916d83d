//! `svclab run`: validate the scenario, check privileges, measure (each backend on this host
//! where it can run, the others in one lab VM boot, into the same results file), summarize,
//! report.

use super::{placement, scenarios, RunArgs, UsageError};
use crate::environment;
use crate::progress::Progress;
use crate::registry;
use crate::results::{read_records, Record, ResultsWriter, RunEnd};
use crate::runner::{self, RunStatus};
use crate::scenario::Plan;
use crate::{privilege, summary, synth};
use anyhow::Context as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Instant, SystemTime};
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
    let in_vm = args.in_vm.unwrap_or_default();
    placement::check_in_vm(args.place, &plan, &in_vm).map_err(UsageError)?;
    let placement = placement::place(args.place, &plan, &in_vm);
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if placement.host.is_empty() && !placement.vm.is_empty() {
        eprintln!(
            "svclab: running the whole scenario in the lab VM (one kernel for every backend): {}",
            placement.reasons.join("; ")
        );
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
    // The environment names the whole plan: the report lists every selected backend, measured
    // here or in the lab VM part (which writes its own environment record for its backends).
    let env = environment::collect(&run_id, &plan, Some(scenario_file));
    out.write(Record::Environment(Box::new(env)))
        .with_context(|| format!("writing {}", results_path.display()))?;

    let cancel = CancelFlag::new();
    install_interrupt_handler(&cancel)?;
    let host_plan = Plan {
        backends: placement.host.clone(),
        ..plan.clone()
    };
    let set = synth::generate(plan.seed, plan.max_scale() + 1, plan.endpoints_per_service);
    let progress = Progress::new(runner::total_steps(&host_plan));
    progress.note(&format!(
        "scenario {} on {}: scale {:?}; results stream to {}",
        plan.name,
        host_plan.backends.join(", "),
        plan.scale,
        results_path.display()
    ));
    if !placement.vm.is_empty() {
        progress.note(&format!(
            "then in the lab VM, in the same run and results file: {} ({})",
            placement.vm.join(", "),
            placement.reasons.join("; ")
        ));
    }
    let host_started = Instant::now();
    let host_outcome = runner::run(&host_plan, &set, &cancel, &progress, &mut out);
    progress.finish();
    // Inside the lab VM this process is the lab VM part (or a whole `--where vm` run).
    let here = if std::env::var_os("SVCLAB_IN_VM").is_some() {
        "lab VM run"
    } else {
        "host part"
    };
    let mut parts = vec![format!(
        "{here} ({}) took {:.0} s",
        host_plan.backends.join(", "),
        host_started.elapsed().as_secs_f64()
    )];

    let mut outcome = match host_outcome {
        Ok(status) => Outcome::from(status),
        Err(e) => Outcome::Failed(format!("{e:#}")),
    };
    if !placement.vm.is_empty() && matches!(outcome, Outcome::Completed { .. }) {
        let vm_started = Instant::now();
        let vm_outcome = vm_part(&raw, &placement.vm, &run_id, &out_dir, &cancel);
        parts.push(format!(
            "lab VM part ({}) took {:.0} s",
            placement.vm.join(", "),
            vm_started.elapsed().as_secs_f64()
        ));
        outcome = outcome.then(vm_outcome);
    }
    eprintln!("svclab: {}", parts.join("; "));

    let (status, detail) = outcome.status();
    let end = Record::RunEnd(RunEnd {
        finished_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        status: status.to_string(),
        detail,
    });
    out.write(end)
        .with_context(|| format!("writing {}", results_path.display()))?;
    // With a lab VM part the file holds more than this process wrote: summarise all of it.
    let records = read_records(&results_path).unwrap_or_else(|_| out.records().to_vec());
    print!("{}", summary::render(&records));
    println!("\nresults: {}", results_path.display());
    // The lab VM part of a host run renders no report: the host writes the one of the whole run.
    if std::env::var_os(crate::vm::command::PART_ENV).is_none() {
        // The results are complete on disk by now; a report that fails to render is said and
        // the run's own outcome stands (`svclab report` can rebuild it later).
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
    }
    match outcome {
        Outcome::Completed { failures: false } => Ok(ExitCode::SUCCESS),
        Outcome::Completed { failures: true } => Ok(ExitCode::from(1)),
        Outcome::Failed(why) => {
            eprintln!("svclab: the run failed: {why}");
            Ok(ExitCode::from(1))
        }
        Outcome::Interrupted => {
            eprintln!(
                "svclab: interrupted; every finished measurement is in {}",
                results_path.display()
            );
            Ok(ExitCode::from(130))
        }
    }
}

/// How the whole run (host part, then lab VM part) ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Completed { failures: bool },
    Interrupted,
    Failed(String),
}

impl From<RunStatus> for Outcome {
    fn from(status: RunStatus) -> Self {
        match status {
            RunStatus::Completed => Outcome::Completed { failures: false },
            RunStatus::CompletedWithFailures => Outcome::Completed { failures: true },
            RunStatus::Interrupted => Outcome::Interrupted,
        }
    }
}

impl Outcome {
    /// The host part ended as `self` (completed); the lab VM part as `next`.
    fn then(self, next: Outcome) -> Outcome {
        match (self, next) {
            (Outcome::Completed { failures: a }, Outcome::Completed { failures: b }) => {
                Outcome::Completed { failures: a || b }
            }
            (_, other) => other,
        }
    }

    /// The end record's status and detail.
    fn status(&self) -> (&'static str, Option<String>) {
        match self {
            Outcome::Completed { failures: false } => ("completed", None),
            Outcome::Completed { failures: true } => (
                "completed",
                Some("some steps failed; see their records".to_string()),
            ),
            Outcome::Interrupted => ("interrupted", Some("interrupted by the user".to_string())),
            Outcome::Failed(why) => ("failed", Some(why.clone())),
        }
    }
}

/// The lab VM part: one boot for the backends this host cannot run, its records appended live to
/// this run's results file (a killed run keeps what the guest finished).
fn vm_part(
    raw: &[String],
    backends: &[String],
    run_id: &str,
    out_dir: &std::path::Path,
    cancel: &CancelFlag,
) -> Outcome {
    let args = placement::vm_part_args(raw, backends);
    let mut cmd = crate::vm::for_guest(&args, run_id, |p| p.is_file());
    cmd.host_out = Some(out_dir.to_path_buf());
    cmd.append_results = true;
    cmd.env
        .push((crate::vm::command::PART_ENV.to_string(), "1".to_string()));
    eprintln!(
        "svclab: lab VM part: {} (one boot; its records join {})",
        backends.join(", "),
        out_dir.join("results.jsonl").display()
    );
    match crate::vm::run_in_vm(&super::vm::default_options(), &cmd, cancel) {
        Ok(done) => match done.exit_code {
            0 => Outcome::Completed { failures: false },
            1 => Outcome::Completed { failures: true },
            130 => Outcome::Interrupted,
            code => Outcome::Failed(format!("the lab VM part exited {code}")),
        },
        Err(crate::vm::VmError::Interrupted { .. }) => Outcome::Interrupted,
        Err(e) => Outcome::Failed(format!("the lab VM part failed: {e}")),
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
