//! Counts of what the kernel holds for a backend (rules, chains, virtual services, map entries).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Named counts, e.g. `{"rules": 160008, "chains": 60004}`. Names are the backend's own; the lab
/// only compares a kernel read-back with the expected count of the same backend.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ObjectCount(pub BTreeMap<String, u64>);

impl ObjectCount {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, kind: &str, count: u64) -> Self {
        self.0.insert(kind.to_string(), count);
        self
    }

    pub fn get(&self, kind: &str) -> Option<u64> {
        self.0.get(kind).copied()
    }
}

impl fmt::Display for ObjectCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        write!(f, "{}", parts.join(" "))
    }
}
