//! The versioned record types of `results.jsonl`, one JSON object a line. Raw samples are stored,
//! never only summaries, so every report can be rebuilt from this file alone.

use crate::scenario::Plan;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use svclab_backend::{Availability, ObjectCount, WriteKind};

/// Bumped whenever a record changes incompatibly.
///
/// Version 2: one run may hold several locations (this host, then the lab VM for the backends the
/// host cannot run). Each location starts with its own `environment` record, and every other
/// record carries `"location"`: the `location` of the environment it was measured in (see
/// [`super::located`]). Version 1 files hold one environment and no such key; the reader gives
/// each of their records the location of that environment.
pub const SCHEMA_VERSION: u32 = 2;

/// The key every non-environment record of a version-2 file carries: its environment's location.
pub const LOCATION_KEY: &str = "location";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum Record {
    Environment(Box<Environment>),
    Backend(BackendStatus),
    Measurement(Measurement),
    ObjectCheck(ObjectCheck),
    Cumulative(Cumulative),
    Probe(Probe),
    ConnectLatency(ConnectLatency),
    Disruption(Disruption),
    FirstPacket(super::first_packet::FirstPacket),
    KernelMemory(super::kernel_memory::KernelMemoryUse),
    LockWait(super::lock_wait::LockWait),
    RunEnd(RunEnd),
}

/// Data-path correctness after a step: connections to sampled VIPs and where they landed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    pub backend: String,
    pub services: usize,
    /// The operation the probe followed (`initial sync`, `add-1`, ...).
    pub after: String,
    pub services_checked: usize,
    pub connections: usize,
    /// What went wrong (at most 20 lines); empty when `ok`.
    pub failures: Vec<String>,
    pub ok: bool,
}

/// Connect + first byte, through VIPs (`via = "vip"`) or straight to endpoints (`"endpoint"`,
/// the floor), at one scale point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectLatency {
    pub backend: String,
    pub services: usize,
    pub via: String,
    pub samples_ns: Vec<u64>,
    pub failed: usize,
}

/// A steady stream of connections to a stable Service while the backend resynced and updated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disruption {
    pub backend: String,
    pub services: usize,
    pub syncs: usize,
    pub updates: usize,
    pub attempts: u64,
    pub failed: u64,
    pub long_lived: usize,
    pub broken: u64,
    pub worst_ns: u64,
    pub errors: Vec<String>,
    pub outcome: Outcome,
    /// Lookups the data plane's own program started over during the stream because they met an
    /// update (`ServiceBackend::lookup_retries`); absent where the data plane keeps no such count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookup_retries: Option<u64>,
}

/// First record of every run: where and with what it ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    pub schema_version: u32,
    pub svclab_version: String,
    pub run_id: String,
    pub started_at: String,
    pub command: Vec<String>,
    pub kernel_release: String,
    pub kernel_version: String,
    pub cpu_model: String,
    pub cores: usize,
    pub memory_mib: u64,
    /// `host`, or `vm` inside svclab's lab VM.
    pub location: String,
    /// The hypervisor the machine itself runs under, if any (from the CPU flags).
    pub hypervisor: Option<String>,
    /// `kvm`, `tcg` (emulated: times inflated) or `none` (not in the lab VM).
    pub acceleration: String,
    pub tools: BTreeMap<String, String>,
    pub scenario_file: Option<String>,
    pub scenario: Plan,
}

impl Environment {
    /// Measured under CPU emulation (the lab VM without KVM): times are inflated several fold.
    pub fn emulated(&self) -> bool {
        self.acceleration == "tcg"
    }
}

/// Whether a selected backend could run, said once per backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendStatus {
    pub backend: String,
    pub availability: Availability,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Full sync of N Services into an empty table.
    InitialSync,
    /// Full sync of the same N Services over themselves (kube-proxy's periodic resync).
    FullSync,
    /// Add one Service at base N.
    Add,
    /// Remove one Service at base N.
    Remove,
    /// Replace one endpoint of one Service at base N.
    UpdateEndpoints,
}

impl Op {
    pub fn label(self) -> &'static str {
        match self {
            Op::InitialSync => "initial sync",
            Op::FullSync => "full sync",
            Op::Add => "add-1",
            Op::Remove => "remove-1",
            Op::UpdateEndpoints => "update-endpoints",
        }
    }
}

/// One timed call: `commit` is around the kernel-facing call, `total` around the whole backend
/// call as the lab saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    pub commit_ns: u64,
    pub prepare_ns: u64,
    pub total_ns: u64,
    pub kernel_calls: u32,
    pub objects_written: u64,
    /// How the backend chose what to write (full rewrite, partial, diff, per rule); absent in
    /// records of runs made before backends said so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write: Option<WriteKind>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    TimedOut {
        error: String,
    },
    Failed {
        error: String,
    },
    Cancelled,
    /// Not attempted, e.g. a smaller scale point of this backend already timed out.
    Skipped {
        reason: String,
    },
}

impl Outcome {
    /// Why a step did not finish, in a few words (`None` when it did): what the report says in
    /// place of a number, and in its list of what is missing.
    pub fn unfinished(&self) -> Option<String> {
        match self {
            Outcome::Ok => None,
            Outcome::TimedOut { .. } => Some("timed out".into()),
            Outcome::Failed { error } => Some(format!("failed: {error}")),
            Outcome::Cancelled => Some("interrupted".into()),
            Outcome::Skipped { reason } => Some(format!("skipped: {reason}")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    pub backend: String,
    pub services: usize,
    pub endpoints_per_service: usize,
    pub op: Op,
    pub warmup: usize,
    pub samples: Vec<Sample>,
    pub outcome: Outcome,
}

/// Kernel read-back against the layout formula, after a sync or after the incremental ops.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectCheck {
    pub backend: String,
    pub services: usize,
    pub after: String,
    pub expected: ObjectCount,
    pub kernel: ObjectCount,
    pub matches: bool,
}

/// Services added one at a time from empty, until the target or the time budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cumulative {
    pub backend: String,
    pub endpoints_per_service: usize,
    pub target: usize,
    pub reached: usize,
    pub budget_ns: u64,
    /// Sum of the adds' commit times, and of their whole calls.
    pub commit_ns: u64,
    pub total_ns: u64,
    /// (Services installed, cumulative commit ns) at each scale point passed, and at the end.
    pub checkpoints: Vec<(usize, u64)>,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunEnd {
    pub finished_at: String,
    /// `completed`, `interrupted` or `failed`.
    pub status: String,
    pub detail: Option<String>,
}
