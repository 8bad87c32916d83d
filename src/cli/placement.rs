//! Where each selected backend of `svclab run` is measured: on this host's kernel, or in the lab
//! VM. `--where auto` splits the backends: each runs here when it can, and only the others go to
//! the lab VM, in the same run (host part first, then one VM boot for the rest).

use super::Where;
use crate::scenario::Plan;
use crate::{privilege, registry};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Placement {
    /// Measured on this host's kernel, in the scenario's order.
    pub host: Vec<String>,
    /// Measured in the lab VM, in the scenario's order.
    pub vm: Vec<String>,
    /// Why the lab VM is used at all, one sentence per reason.
    pub reasons: Vec<String>,
}

/// `--in-vm` names only backends of this run, and only with `--where auto` (with `host` or `vm`
/// every backend already has its one place).
pub fn check_in_vm(place: Where, plan: &Plan, in_vm: &[String]) -> Result<(), String> {
    if in_vm.is_empty() {
        return Ok(());
    }
    if place != Where::Auto {
        return Err("--in-vm goes with --where auto (the default)".into());
    }
    match in_vm.iter().find(|name| !plan.backends.contains(name)) {
        Some(bad) => Err(format!(
            "--in-vm names {bad:?}, which this run does not measure; its backends: {}",
            plan.backends.join(", ")
        )),
        None => Ok(()),
    }
}

/// Decide where each backend runs: `in_vm` go to the lab VM whatever this host can do. Inside
/// the lab VM everything is here.
pub fn place(place: Where, plan: &Plan, in_vm: &[String]) -> Placement {
    if std::env::var_os("SVCLAB_IN_VM").is_some() {
        return all_here(plan);
    }
    match place {
        Where::Host => all_here(plan),
        Where::Vm => Placement {
            host: Vec::new(),
            vm: plan.backends.clone(),
            reasons: vec!["--where vm".into()],
        },
        // Without privileges nothing can be probed; the run says what is missing.
        Where::Auto if privilege::check().is_err() => all_here(plan),
        Where::Auto => split(plan, |name| {
            if in_vm.iter().any(|n| n == name) {
                return Some(format!("{name}: --in-vm"));
            }
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
        }),
    }
}

fn all_here(plan: &Plan) -> Placement {
    Placement {
        host: plan.backends.clone(),
        ..Placement::default()
    }
}

/// `cannot_run_here` gives the reason a backend cannot run on this host, or `None`.
fn split(plan: &Plan, cannot_run_here: impl Fn(&str) -> Option<String>) -> Placement {
    let mut placement = Placement::default();
    for name in &plan.backends {
        match cannot_run_here(name) {
            None => placement.host.push(name.clone()),
            Some(reason) => {
                placement.vm.push(name.clone());
                placement.reasons.push(reason);
            }
        }
    }
    placement
}

/// The host command line for the lab VM part: the same run, with `--backends` replaced by the
/// backends that go there and `--in-vm` dropped (inside, everything is here; `--where` and
/// `--out` are rewritten by [`crate::vm::for_guest`]).
pub fn vm_part_args(raw: &[String], vm_backends: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = raw.iter();
    while let Some(arg) = it.next() {
        if arg == "--backends" || arg == "--in-vm" {
            it.next();
            continue;
        }
        if arg.starts_with("--backends=") || arg.starts_with("--in-vm=") {
            continue;
        }
        out.push(arg.clone());
    }
    out.push("--backends".into());
    out.push(vm_backends.join(","));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(backends: &[&str]) -> Plan {
        let text = format!(
            "name = \"t\"\nseed = 1\nbackends = {backends:?}\nscale = [1]\n\
             endpoints_per_service = 2\nrepetitions = 3\nwarmup = 0\nstep_timeout = \"1m\"\n"
        );
        crate::scenario::parse(&text, "t.toml", &registry::names()).expect("valid scenario")
    }

    #[test]
    fn only_the_backends_that_cannot_run_here_go_to_the_vm() {
        let p = split(
            &plan(&["iptables-legacy", "ipvs", "ebpf", "ipvsadm"]),
            |name| name.starts_with("ipvs").then(|| format!("{name}: no IPVS")),
        );
        assert_eq!(p.host, ["iptables-legacy", "ebpf"]);
        assert_eq!(p.vm, ["ipvs", "ipvsadm"]);
        assert_eq!(p.reasons, ["ipvs: no IPVS", "ipvsadm: no IPVS"]);
    }

    #[test]
    fn in_vm_names_backends_of_the_run_with_where_auto() {
        let p = plan(&["iptables-legacy", "ipvs"]);
        assert!(check_in_vm(Where::Auto, &p, &["ipvs".into()]).is_ok());
        assert!(check_in_vm(Where::Host, &p, &[]).is_ok());
        let e = check_in_vm(Where::Auto, &p, &["ebpf".into()]).expect_err("not in the run");
        assert!(
            e.contains("\"ebpf\"") && e.contains("iptables-legacy, ipvs"),
            "{e}"
        );
        let e = check_in_vm(Where::Host, &p, &["ipvs".into()]).expect_err("host");
        assert!(e.contains("--where auto"), "{e}");
    }

    #[test]
    fn the_vm_part_gets_its_own_backends() {
        let raw: Vec<String> = [
            "run",
            "--backends",
            "a,b",
            "--scenario",
            "quick",
            "--backends=c",
            "--in-vm",
            "ipvs",
            "--in-vm=ipvsadm",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            vm_part_args(&raw, &["ipvs".into(), "ipvsadm".into()]),
            ["run", "--scenario", "quick", "--backends", "ipvs,ipvsadm"]
        );
    }
}
