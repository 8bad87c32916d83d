//! `svclab list`: the backends and the scenarios.

use super::scenarios::SHIPPED;
use crate::registry;
use crate::scenario;
use std::process::ExitCode;

pub fn run() -> anyhow::Result<ExitCode> {
    println!("backends:");
    for name in registry::names() {
        println!("  {name:<18} {}", registry::describe(name).unwrap_or(""));
    }
    println!("\nscenarios (built in; also any .toml path):");
    for (name, text) in SHIPPED {
        let file = format!("scenarios/{name}.toml");
        match scenario::parse(text, &file, &registry::names()) {
            Ok(plan) => println!(
                "  {name:<18} scale {:?}, {} endpoints/service, {} reps: {}",
                plan.scale, plan.endpoints_per_service, plan.repetitions, plan.description
            ),
            Err(e) => println!("  {name:<18} INVALID: {e}"),
        }
    }
    Ok(ExitCode::SUCCESS)
}
