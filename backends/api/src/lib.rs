//! The contract between the svclab lab and its data-plane backends.
//!
//! A backend programs [`Service`]s into the kernel of the network namespace it was created in and
//! returns only once the kernel holds the change. It knows nothing of scenarios, timing policy or
//! reports; the lab knows nothing of a backend's internals beyond this crate.

mod availability;
mod backend;
mod cidr;
mod config;
mod error;
mod model;
mod netns_guard;
mod objects;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tool;

pub use availability::Availability;
pub use backend::{KernelMemory, OpReport, ServiceBackend, WriteKind};
pub use cidr::{CidrError, Ipv4Cidr};
pub use config::{BackendConfig, CancelFlag, Capacity};
pub use error::BackendError;
pub use model::{Endpoint, Protocol, Service, ServiceId};
pub use netns_guard::ensure_not_host_netns;
pub use objects::ObjectCount;
