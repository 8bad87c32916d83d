//! The `ServiceBackend` trait: what every data plane offers the lab.

use crate::{Availability, BackendError, Endpoint, ObjectCount, Service, ServiceId};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// How an operation spent its time. `commit` is measured around the call(s) that hand the change
/// to the kernel (the restore process, the netlink request until its ACK, the bpf syscall);
/// `prepare` is the backend's own userspace work before it (rendering, encoding).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpReport {
    pub prepare: Duration,
    pub commit: Duration,
    /// How many kernel-facing calls the commit took (processes run, requests sent, syscalls).
    pub kernel_calls: u32,
    /// How many rules/objects the operation wrote, so per-rule cost can be derived.
    pub objects_written: u64,
    /// How the operation chose what to write; `None` when the backend does not say.
    pub write: Option<WriteKind>,
}

/// How an operation decided what to hand the kernel, so a report can say which data planes
/// rewrite everything and which write only what changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteKind {
    /// Everything is written again (an iptables restore of the whole table, a flush + re-add).
    Full,
    /// Only the changed Services' objects, from the backend's own record of what it wrote
    /// (kube-proxy's partial syncs).
    Partial,
    /// The difference between the wanted state and what was last written or read back from the
    /// kernel (kube-proxy's IPVS sync, Cilium's reconciler); an unchanged set writes nothing.
    Diff,
    /// One process or request per rule (the source document's method).
    PerRule,
}

impl WriteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WriteKind::Full => "full",
            WriteKind::Partial => "partial",
            WriteKind::Diff => "diff",
            WriteKind::PerRule => "per-rule",
        }
    }
}

/// Kernel memory held for a backend's objects, with where the figure came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelMemory {
    pub bytes: u64,
    /// How it was read, e.g. `IPT_SO_GET_INFO size` or `fdinfo memlock of 4 maps`.
    pub source: String,
}

/// A data plane that programs Services into the kernel of the network namespace it lives in.
///
/// Every method returns only once the kernel holds the change. Implementations keep whatever
/// bookkeeping they need to render incremental changes, but [`ServiceBackend::kernel_objects`]
/// must read the kernel, never that bookkeeping.
pub trait ServiceBackend {
    /// The backend's registered name, e.g. `iptables-legacy`.
    fn name(&self) -> &str;

    /// Can it run here? Checks tools and kernel facilities without changing anything that
    /// outlives the call.
    fn probe(&self) -> Availability;

    /// Replace everything this backend programmed with exactly `services` (a full sync).
    fn sync(&mut self, services: &[Service]) -> Result<OpReport, BackendError>;

    /// Program one more Service. Adding an id that is already programmed is an error.
    fn add(&mut self, service: &Service) -> Result<OpReport, BackendError>;

    /// Remove one programmed Service.
    fn remove(&mut self, id: ServiceId) -> Result<OpReport, BackendError>;

    /// Replace the endpoints of one programmed Service.
    fn update_endpoints(
        &mut self,
        id: ServiceId,
        endpoints: &[Endpoint],
    ) -> Result<OpReport, BackendError>;

    /// What the kernel holds now for this backend, read back from the kernel.
    fn kernel_objects(&mut self) -> Result<ObjectCount, BackendError>;

    /// What the kernel should hold for `services`, from the data plane's layout formula
    /// (e.g. kube-proxy's 3E + 2 rules per Service), for the lab to compare with the read-back.
    fn expected_objects(&self, services: &[Service]) -> ObjectCount;

    /// Memory the kernel holds for this backend's objects as the kernel itself reports it (the
    /// x_tables blob size, the BPF maps' `memlock`), read back now; `None` where the kernel
    /// reports nothing per object and the lab must measure slab/vmalloc growth around a sync.
    fn kernel_memory(&mut self) -> Result<Option<KernelMemory>, BackendError> {
        Ok(None)
    }

    /// How many lookups the data plane's own program started over because they met a
    /// concurrent update, counted in the kernel since the backend loaded; `None` where the data
    /// plane has no such count (netfilter and IPVS look up under their own locks). The lab reads
    /// it around the disruption stream, so a retry that hides a race is still reported.
    fn lookup_retries(&self) -> Result<Option<u64>, BackendError> {
        Ok(None)
    }

    /// Remove everything this backend made. Also attempted on drop.
    fn cleanup(&mut self) -> Result<(), BackendError>;

    /// The cgroup v2 directory a client process must join for this data plane to translate its
    /// connections (a socket-level load balancer attached to a cgroup), once it exists; `None`
    /// when every process of the namespace is served (netfilter, IPVS).
    fn client_cgroup(&self) -> Option<PathBuf> {
        None
    }
}
