//! svclab's IPVS backends: each Service as one IPVS virtual service, the way kube-proxy's IPVS
//! mode lays it out.
//!
//! `ipvs` talks to the kernel over generic netlink with its own client (one request and ACK per
//! incremental change, batched requests for a full sync); `ipvsadm` runs one `ipvsadm` process
//! per operation, the way the source document measured it.
//!
//! Layers: [`message`] encodes and decodes IPVS messages (pure), `wire` frames them as netlink
//! messages (pure), `batch` plans batches and matches ACKs (pure), `socket` is the only place
//! that touches a netlink socket, `client` ties them together.

mod backend;
pub mod batch;
pub mod client;
mod commit;
pub mod converge;
mod error;
#[cfg(test)]
mod fake_kernel;
mod family;
mod ipvsadm;
pub mod layout;
mod link;
pub mod message;
mod probe;
pub mod render;
pub mod socket;
mod tool;
mod variant;
pub mod wire;

pub use backend::{IpvsBackend, NO_IPVS_PROBE_FIX, NO_IPVS_REASON};
pub use error::{IpvsError, NO_IPVS_FIX};
pub use probe::probe;
pub use variant::Variant;
