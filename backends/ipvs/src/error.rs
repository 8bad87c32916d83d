//! The IPVS crate's errors, and how they map onto the lab's `BackendError`.

use crate::message::IpvsCmd;
use std::io;
use std::time::Duration;
use svclab_backend::BackendError;

/// What to tell a user whose kernel lacks IPVS.
pub const NO_IPVS_FIX: &str = "run in the lab VM with `svclab vm`";

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IpvsError {
    /// The generic netlink controller does not know the "IPVS" family.
    #[error("kernel has no IPVS (CONFIG_IP_VS); {NO_IPVS_FIX}")]
    FamilyMissing,

    /// EEXIST on NEW_SERVICE.
    #[error("{request}: the virtual service already exists (EEXIST)")]
    DuplicateService { request: String },

    /// EEXIST on NEW_DEST.
    #[error("{request}: the real server already exists (EEXIST)")]
    DuplicateDest { request: String },

    /// ESRCH: every command but NEW_SERVICE names an existing service.
    #[error("{request}: no such virtual service (ESRCH)")]
    NoSuchService { request: String },

    /// ENOENT on SET/DEL_DEST.
    #[error("{request}: no such real server (ENOENT)")]
    NoSuchDest { request: String },

    /// ENOENT on NEW/SET_SERVICE: `ip_vs_scheduler_get` found no module for the name.
    #[error("{request}: the kernel has no IPVS scheduler {sched:?} (ENOENT); load it with `modprobe ip_vs_{sched}`")]
    SchedulerMissing { request: String, sched: String },

    /// Any other errno, with the request that caused it.
    #[error("kernel refused {request}: {source}")]
    Kernel {
        request: String,
        #[source]
        source: io::Error,
    },

    /// Some requests of a batch failed; `first` is the earliest, the others are listed.
    #[error("{failed} of {total} requests failed; first: {first}{}", others_text(.others))]
    Batch {
        failed: usize,
        total: usize,
        first: Box<IpvsError>,
        others: Vec<String>,
    },

    /// The receive buffer overflowed (ENOBUFS): the ACKs of these requests were dropped, so
    /// whether the kernel applied them is unknown.
    #[error(
        "ACKs lost (ENOBUFS): {unacked} of {total} requests unconfirmed, from {first_unacked}"
    )]
    AcksLost {
        unacked: usize,
        total: usize,
        first_unacked: String,
    },

    #[error("unexpected netlink reply while {doing}: {detail}")]
    Protocol { doing: String, detail: String },

    #[error("could not decode the kernel's reply while {doing}: {detail}")]
    Decode { doing: String, detail: String },

    #[error("{doing}: {source}")]
    Io {
        doing: String,
        #[source]
        source: io::Error,
    },

    #[error("{doing} did not finish within {after:?}")]
    Timeout { doing: String, after: Duration },

    #[error("cancelled while {doing}")]
    Cancelled { doing: String },
}

fn others_text(others: &[String]) -> String {
    match others.len() {
        0 => String::new(),
        n => format!("; {n} more: {}", others.join("; ")),
    }
}

impl IpvsError {
    /// The typed error for `errno` (positive) answered to `cmd`, described by `request`.
    pub fn from_errno(cmd: IpvsCmd, errno: i32, request: String, sched: &str) -> Self {
        match (errno, cmd) {
            (libc::EEXIST, IpvsCmd::NewService) => IpvsError::DuplicateService { request },
            (libc::EEXIST, IpvsCmd::NewDest) => IpvsError::DuplicateDest { request },
            (libc::ESRCH, _) => IpvsError::NoSuchService { request },
            (libc::ENOENT, IpvsCmd::NewService | IpvsCmd::SetService) => {
                IpvsError::SchedulerMissing {
                    request,
                    sched: sched.to_string(),
                }
            }
            (libc::ENOENT, IpvsCmd::SetDest | IpvsCmd::DelDest) => {
                IpvsError::NoSuchDest { request }
            }
            _ => IpvsError::Kernel {
                request,
                source: io::Error::from_raw_os_error(errno),
            },
        }
    }

    pub fn is_family_missing(&self) -> bool {
        matches!(self, IpvsError::FamilyMissing)
    }
}

impl From<IpvsError> for BackendError {
    fn from(e: IpvsError) -> Self {
        match e {
            IpvsError::FamilyMissing => BackendError::KernelFeatureMissing {
                feature: "IPVS (CONFIG_IP_VS)".into(),
                fix: NO_IPVS_FIX.into(),
            },
            IpvsError::SchedulerMissing { sched, .. } => BackendError::KernelFeatureMissing {
                feature: format!("the IPVS scheduler {sched} (module ip_vs_{sched})"),
                fix: format!("modprobe ip_vs_{sched}; the lab VM image carries it"),
            },
            IpvsError::Timeout { doing, after } => BackendError::Timeout { doing, after },
            IpvsError::Cancelled { doing } => BackendError::Cancelled { doing },
            IpvsError::Io { doing, source } => BackendError::Io { doing, source },
            IpvsError::Decode { doing, detail } => BackendError::Parse {
                what: format!("the kernel's IPVS reply while {doing}"),
                detail,
            },
            IpvsError::Kernel { request, source } => BackendError::Kernel {
                doing: request,
                source,
            },
            other => BackendError::Other(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(cmd: IpvsCmd, errno: i32) -> IpvsError {
        IpvsError::from_errno(cmd, errno, "REQ".into(), "mh")
    }

    #[test]
    fn errno_depends_on_the_command() {
        assert!(matches!(
            typed(IpvsCmd::NewService, libc::EEXIST),
            IpvsError::DuplicateService { .. }
        ));
        assert!(matches!(
            typed(IpvsCmd::NewDest, libc::EEXIST),
            IpvsError::DuplicateDest { .. }
        ));
        assert!(matches!(
            typed(IpvsCmd::DelDest, libc::ESRCH),
            IpvsError::NoSuchService { .. }
        ));
        assert!(matches!(
            typed(IpvsCmd::NewService, libc::ENOENT),
            IpvsError::SchedulerMissing { .. }
        ));
        assert!(matches!(
            typed(IpvsCmd::DelDest, libc::ENOENT),
            IpvsError::NoSuchDest { .. }
        ));
        // ENOENT elsewhere, and anything unexpected, keep the errno.
        assert!(matches!(
            typed(IpvsCmd::Flush, libc::ENOENT),
            IpvsError::Kernel { .. }
        ));
        let e = typed(IpvsCmd::NewService, libc::EINVAL);
        assert!(e.to_string().starts_with("kernel refused REQ: "), "{e}");
    }

    #[test]
    fn maps_onto_backend_errors() {
        let sched = BackendError::from(typed(IpvsCmd::NewService, libc::ENOENT));
        assert!(
            matches!(&sched, BackendError::KernelFeatureMissing { fix, .. } if fix.starts_with("modprobe ip_vs_mh")),
            "{sched:?}"
        );
        let missing = BackendError::from(IpvsError::FamilyMissing);
        assert_eq!(
            missing.to_string(),
            "the kernel lacks IPVS (CONFIG_IP_VS): run in the lab VM with `svclab vm`"
        );
        let batch = IpvsError::Batch {
            failed: 2,
            total: 9,
            first: Box::new(typed(IpvsCmd::NewService, libc::EEXIST)),
            others: vec!["B".into()],
        };
        assert_eq!(
            BackendError::from(batch).to_string(),
            "2 of 9 requests failed; first: REQ: the virtual service already exists (EEXIST); 1 more: B"
        );
    }
}
