//! The backends the lab knows, by name. The only place the lab names a backend crate.

use svclab_backend::{BackendConfig, BackendError, ServiceBackend};
use svclab_iptables::{IptablesBackend, Variant};

/// Every registered backend name, in the order runs use them.
pub fn names() -> Vec<&'static str> {
    Variant::ALL.iter().map(|v| v.name()).collect()
}

/// One line on what a backend is.
pub fn describe(name: &str) -> Option<&'static str> {
    Variant::from_name(name).map(Variant::describe)
}

/// Create a backend in the calling thread's network namespace (a sandbox's).
pub fn create(name: &str, config: BackendConfig) -> Result<Box<dyn ServiceBackend>, BackendError> {
    if let Some(variant) = Variant::from_name(name) {
        return Ok(Box::new(IptablesBackend::new(variant, config)?));
    }
    Err(BackendError::Other(format!(
        "unknown backend {name:?}; known: {}",
        names().join(", ")
    )))
}
