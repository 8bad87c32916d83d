//! The data path: prove that a backend's rules forward real connections, and measure them.
//!
//! Inside a sandbox the lab builds a small topology ([`topology`]): the sandbox ("node")
//! namespace, where the backend's rules live and clients run, joined by a veth pair to a "pods"
//! namespace where every address of 10.244.0.0/16 is local and one [`listener`] per endpoint port
//! answers with the address it was reached on. Clients are separate processes
//! ([`probe_client`], started through [`client`]) so they can join a backend's cgroup. Verdicts
//! over their answers are pure ([`verdict`]).

pub mod client;
pub mod first_packet;
mod listener;
pub mod probe_client;
pub mod topology;
pub mod verdict;

pub use client::{ConnResult, ProbeClient, Stream, StreamSummary};
pub use topology::Topology;

#[derive(Debug, thiserror::Error)]
pub enum DatapathError {
    #[error("{doing}: {detail}")]
    Setup { doing: String, detail: String },
    #[error("{doing}: {source}")]
    Io {
        doing: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the probe client failed: {0}")]
    Client(String),
}

impl DatapathError {
    pub(crate) fn io(doing: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let doing = doing.into();
        move |source| DatapathError::Io { doing, source }
    }
}
