//! Finding a scenario: a path, or the name of one shipped in `scenarios/` (compiled in, so the
//! binary works from any folder).

use crate::registry;
use crate::scenario::{self, Plan, ScenarioError};
use std::path::Path;

pub const SHIPPED: [(&str, &str); 3] = [
    (
        "seed-table",
        include_str!("../../scenarios/seed-table.toml"),
    ),
    ("scale", include_str!("../../scenarios/scale.toml")),
    ("quick", include_str!("../../scenarios/quick.toml")),
];

/// The plan and where it came from.
pub fn load(spec: &str) -> Result<(Plan, String), ScenarioError> {
    let known = registry::names();
    let path = Path::new(spec);
    if path.exists() || spec.contains('/') || spec.ends_with(".toml") {
        let plan = scenario::load(path, &known)?;
        return Ok((plan, path.display().to_string()));
    }
    match SHIPPED.iter().find(|(name, _)| *name == spec) {
        Some((name, text)) => {
            let file = format!("scenarios/{name}.toml (built in)");
            Ok((scenario::parse(text, &file, &known)?, file))
        }
        None => scenario::load(path, &known).map(|plan| (plan, spec.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default run is the whole comparison: a data plane added to the registry must be added
    /// to the default scenario too, or this fails.
    #[test]
    fn the_default_scenario_selects_every_registered_backend() {
        let (plan, _) = load("seed-table").expect("the shipped seed-table parses");
        for name in registry::names() {
            assert!(
                plan.backends.iter().any(|b| b == name),
                "scenarios/seed-table.toml does not select {name}"
            );
        }
    }
}
