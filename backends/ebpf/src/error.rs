//! The crate's errors, and how they map onto the lab's [`BackendError`].

use std::io;
use std::path::PathBuf;
use std::time::Duration;
use svclab_backend::{BackendError, ServiceId};

const PRIVILEGE_FIX: &str = "run as root (or with CAP_BPF + CAP_NET_ADMIN + CAP_SYS_ADMIN) on a \
                         kernel with CONFIG_BPF_SYSCALL and cgroup v2";

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EbpfError {
    #[error("loading the BPF object svclab_lb.bpf.o: {source}")]
    Load {
        #[source]
        source: Box<aya::EbpfError>,
    },

    #[error("{doing} (program svclab_connect4): {source}")]
    Program {
        doing: String,
        #[source]
        source: Box<aya::programs::ProgramError>,
    },

    #[error("the BPF object has no {what} named {name} (build and abi.rs disagree)")]
    Missing {
        what: &'static str,
        name: &'static str,
    },

    #[error("bpf({command}) on map {map} failed: {source}")]
    Syscall {
        command: &'static str,
        map: &'static str,
        #[source]
        source: io::Error,
    },

    #[error("no cgroup v2 mount in /proc/self/mountinfo: mount one (mount -t cgroup2 none /sys/fs/cgroup/unified)")]
    NoCgroup2,

    #[error("{doing} {path}: {source}")]
    Cgroup {
        doing: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("{map} would need {needed} entries but holds at most {capacity}; create the backend with a larger MapCapacity")]
    CapacityExceeded {
        map: &'static str,
        needed: u64,
        capacity: u32,
    },

    #[error("service {id}: ids above 65533 do not fit the u16 rev-NAT index")]
    ServiceIdTooLarge { id: ServiceId },

    #[error("service {id} has {endpoints} endpoints; a master entry counts at most 65535")]
    TooManyEndpoints { id: ServiceId, endpoints: usize },

    #[error("service {id} is already programmed")]
    DuplicateService { id: ServiceId },

    #[error("service {id} is not programmed")]
    UnknownService { id: ServiceId },

    #[error("service {id} has the same VIP, port and protocol as service {other}")]
    FrontendConflict { id: ServiceId, other: ServiceId },

    #[error("{doing} did not finish within {after:?}")]
    Timeout { doing: String, after: Duration },

    #[error("cancelled while {doing}")]
    Cancelled { doing: String },
}

impl From<EbpfError> for BackendError {
    fn from(e: EbpfError) -> Self {
        match e {
            EbpfError::DuplicateService { id } => BackendError::DuplicateService { id },
            EbpfError::UnknownService { id } => BackendError::UnknownService { id },
            EbpfError::Timeout { doing, after } => BackendError::Timeout { doing, after },
            EbpfError::Cancelled { doing } => BackendError::Cancelled { doing },
            EbpfError::Syscall {
                command,
                map,
                source,
            } => BackendError::Kernel {
                doing: format!("bpf({command}) on map {map}"),
                source,
            },
            EbpfError::NoCgroup2 => BackendError::KernelFeatureMissing {
                feature: "a cgroup v2 mount".into(),
                fix: "mount -t cgroup2 none /sys/fs/cgroup/unified".into(),
            },
            EbpfError::Cgroup {
                doing,
                path,
                source,
            } => BackendError::Io {
                doing: format!("{doing} {}", path.display()),
                source,
            },
            // Load and attach failures carry aya's full chain; keep it in one message with the fix.
            e @ (EbpfError::Load { .. } | EbpfError::Program { .. }) => {
                BackendError::Other(format!("{}; {PRIVILEGE_FIX}", chain(&e)))
            }
            e => BackendError::Other(chain(&e)),
        }
    }
}

/// An error and its sources, joined like anyhow's `{:#}`.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
