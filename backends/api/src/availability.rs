//! Whether a backend can run here, and if not, why and what would fix it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Availability {
    /// Usable; `detail` says with what (tool version, kernel facility).
    Available { detail: String },
    /// Not usable here; `reason` is what is missing, `fix` what a user can do about it.
    Unavailable { reason: String, fix: String },
}

impl Availability {
    pub fn is_available(&self) -> bool {
        matches!(self, Availability::Available { .. })
    }
}
