//! Scenario files: TOML parsed into a raw form, then validated into a [`Plan`] with every error
//! located (file, line, key) and a hint.

mod error;
mod plan;
mod raw;

pub use error::ScenarioError;
pub use plan::{CumulativePlan, DatapathPlan, DisruptionPlan, Plan};

use std::path::Path;

/// Largest scale point a scenario may ask for.
pub const MAX_SERVICES: usize = 100_000;

/// Read and validate a scenario file; `known_backends` are the names a scenario may use.
pub fn load(path: &Path, known_backends: &[&str]) -> Result<Plan, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        file: path.display().to_string(),
        source,
    })?;
    parse(&text, &path.display().to_string(), known_backends)
}

/// Validate scenario text; `file` names it in errors.
pub fn parse(text: &str, file: &str, known_backends: &[&str]) -> Result<Plan, ScenarioError> {
    let raw = raw::parse(text, file)?;
    plan::validate(raw, text, file, known_backends)
}
