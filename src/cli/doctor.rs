//! `svclab doctor`: can each backend run here, and if not, exactly why and what fixes it.

use crate::privilege;
use crate::registry;
use crate::sandbox;
use std::process::ExitCode;
use svclab_backend::{Availability, BackendConfig};

pub fn run() -> anyhow::Result<ExitCode> {
    if let Err(e) = privilege::check() {
        println!("privileges   MISSING: {e}");
        return Ok(ExitCode::from(1));
    }
    println!("privileges   ok (CAP_NET_ADMIN, CAP_SYS_ADMIN)");
    for line in registry::remove_leftovers() {
        println!("leftovers    {line}");
    }
    let mut all_ok = true;
    for name in registry::names() {
        let availability =
            sandbox::run_in_fresh_netns(|| registry::probe(name, BackendConfig::default()));
        match availability {
            Ok(Availability::Available { detail }) => println!("{name:<18} available: {detail}"),
            Ok(Availability::Unavailable { reason, fix }) => {
                all_ok = false;
                println!("{name:<18} UNAVAILABLE: {reason}\n{:<18} fix: {fix}", "");
            }
            Err(e) => {
                all_ok = false;
                println!("{name:<18} UNAVAILABLE: {e}");
            }
        }
    }
    // The lab VM is how backends this kernel lacks get measured; its needs are listed, not
    // counted: the exit code says whether every backend runs *here*.
    if std::env::var_os("SVCLAB_IN_VM").is_none() {
        for (tool, found) in crate::vm::readiness() {
            match found {
                Ok(path) => println!("lab VM: {tool:<18} ok ({path})"),
                Err(fix) => println!("lab VM: {tool:<18} MISSING: {fix}"),
            }
        }
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
