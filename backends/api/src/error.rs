//! The errors every backend reports, so the lab can tell a timeout from a missing tool.

use crate::ServiceId;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    #[error("{tool} not found: {fix}")]
    ToolMissing { tool: String, fix: String },

    #[error("the kernel lacks {feature}: {fix}")]
    KernelFeatureMissing { feature: String, fix: String },

    #[error("{tool} failed ({status}) while {doing}: {stderr}")]
    ToolFailed {
        tool: String,
        doing: String,
        status: String,
        stderr: String,
    },

    #[error("{doing} did not finish within {after:?}")]
    Timeout { doing: String, after: Duration },

    #[error("cancelled while {doing}")]
    Cancelled { doing: String },

    #[error("service {id} is already programmed")]
    DuplicateService { id: ServiceId },

    #[error("service {id} is not programmed")]
    UnknownService { id: ServiceId },

    #[error("kernel refused {doing}: {source}")]
    Kernel {
        doing: String,
        #[source]
        source: std::io::Error,
    },

    #[error("could not parse {what}: {detail}")]
    Parse { what: String, detail: String },

    #[error("{doing}: {source}")]
    Io {
        doing: String,
        #[source]
        source: std::io::Error,
    },

    #[error("{0}")]
    Other(String),
}

impl BackendError {
    /// True when the operation was abandoned because it ran past its time limit.
    pub fn is_timeout(&self) -> bool {
        matches!(self, BackendError::Timeout { .. })
    }
}
