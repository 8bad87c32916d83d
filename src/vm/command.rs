//! Turning the host's `svclab <args>` into the guest's: the output folder is the guest's
//! `/svclab-out` (brought back to where the host would have written it), a scenario file on the
//! host travels in the initramfs, and `--where` is dropped (inside the VM it is always here).

use super::init::GUEST_OUT;
use std::path::{Path, PathBuf};

/// Where a program run with `--exec --out` writes what should come back to the host.
pub const OUT_ENV: &str = "SVCLAB_OUT";

/// Set in the guest so its run id (and so its report folder name) is the host's.
pub const RUN_ID_ENV: &str = "SVCLAB_RUN_ID";

/// Set in the guest when its run is the lab VM part of a host run: the host writes the one
/// report of the whole run, so the guest renders none.
pub const PART_ENV: &str = "SVCLAB_VM_PART";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestCommand {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Where the guest's output folder lands on the host (`run` only).
    pub host_out: Option<PathBuf>,
    /// Host files to carry into the guest, with their guest paths.
    pub files: Vec<(PathBuf, String)>,
    /// A host program to run instead of svclab (e.g. a test binary), with `args` as its arguments.
    pub program: Option<PathBuf>,
    /// The lab VM part of a run whose host part already wrote `host_out/results.jsonl`: the
    /// guest's records are appended to that file (live, as they are measured), and the guest's
    /// other files are not placed over the host's.
    pub append_results: bool,
}

impl GuestCommand {
    /// Run host `program` in the guest with `args`, unchanged. With `host_out`, whatever it
    /// writes under `$SVCLAB_OUT` comes back there; criterion benches write their reports
    /// there too (criterion reads `CRITERION_HOME`), so `cargo bench`'s HTML survives the VM.
    pub fn program(program: PathBuf, args: Vec<String>, host_out: Option<PathBuf>) -> Self {
        let mut env = Vec::new();
        if host_out.is_some() {
            env.push((OUT_ENV.to_string(), GUEST_OUT.to_string()));
            env.push((
                "CRITERION_HOME".to_string(),
                format!("{GUEST_OUT}/criterion"),
            ));
        }
        Self {
            args,
            env,
            host_out,
            files: Vec::new(),
            program: Some(program),
            append_results: false,
        }
    }
}

/// Rewrite `args` (after `svclab`) for the guest. `run_id` names the default output folder,
/// `reports/<run_id>`, as `svclab run` would on the host; `is_file` tells host files apart from
/// shipped scenario names.
pub fn for_guest(args: &[String], run_id: &str, is_file: impl Fn(&Path) -> bool) -> GuestCommand {
    let mut cmd = GuestCommand {
        args: Vec::new(),
        env: Vec::new(),
        host_out: None,
        files: Vec::new(),
        program: None,
        append_results: false,
    };
    if args.first().map(String::as_str) != Some("run") {
        cmd.args = args.to_vec();
        return cmd;
    }
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .unwrap_or_default()
        };
        match flag {
            "--out" => cmd.host_out = Some(PathBuf::from(value())),
            "--where" => {
                value();
            }
            "--scenario" => {
                let spec = value();
                let host = PathBuf::from(&spec);
                if is_file(&host) {
                    let name = host
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "scenario.toml".into());
                    let guest = format!("/svclab/scenarios/{name}");
                    cmd.files.push((host, guest.clone()));
                    cmd.args.extend(["--scenario".to_string(), guest]);
                } else {
                    cmd.args.extend(["--scenario".to_string(), spec]);
                }
            }
            _ => cmd.args.push(arg.clone()),
        }
    }
    cmd.args
        .extend(["--out".to_string(), GUEST_OUT.to_string()]);
    cmd.env.push((RUN_ID_ENV.to_string(), run_id.to_string()));
    cmd.host_out
        .get_or_insert_with(|| PathBuf::from("reports").join(run_id));
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn run_gets_the_guest_folder_and_the_scenario_file() {
        let cmd = for_guest(
            &strings(&[
                "run",
                "--scenario",
                "my/s.toml",
                "--out=x/y",
                "--where",
                "vm",
                "--backends",
                "ipvs",
            ]),
            "20261128-010203",
            |p| p == Path::new("my/s.toml"),
        );
        assert_eq!(
            cmd.args,
            strings(&[
                "run",
                "--scenario",
                "/svclab/scenarios/s.toml",
                "--backends",
                "ipvs",
                "--out",
                "/svclab-out"
            ])
        );
        assert_eq!(cmd.host_out, Some(PathBuf::from("x/y")));
        assert_eq!(
            cmd.files,
            vec![(
                PathBuf::from("my/s.toml"),
                "/svclab/scenarios/s.toml".to_string()
            )]
        );
    }

    #[test]
    fn default_folder_is_named_after_the_run_id_and_names_pass_through() {
        let cmd = for_guest(
            &strings(&["run", "--scenario=quick"]),
            "20261128-010203",
            |_| false,
        );
        assert_eq!(
            cmd.args,
            strings(&["run", "--scenario", "quick", "--out", "/svclab-out"])
        );
        assert_eq!(cmd.host_out, Some(PathBuf::from("reports/20261128-010203")));
        assert_eq!(
            cmd.env,
            vec![(RUN_ID_ENV.to_string(), "20261128-010203".to_string())]
        );
    }

    #[test]
    fn other_commands_are_unchanged() {
        let cmd = for_guest(&strings(&["doctor"]), "x", |_| true);
        assert_eq!(cmd.args, strings(&["doctor"]));
        assert_eq!(cmd.host_out, None);
    }
}
