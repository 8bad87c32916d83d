//! The kernel-memory record: what the kernel holds for a data plane at one scale point.

use serde::{Deserialize, Serialize};
use svclab_backend::KernelMemory;

/// Kernel memory for N Services, two ways where both exist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KernelMemoryUse {
    pub backend: String,
    pub services: usize,
    /// What the kernel itself reports it holds for the backend (the x_tables blob's size, the
    /// BPF maps' memlock), read after the sync; none where it reports nothing per object.
    pub reported: Option<KernelMemory>,
    /// Growth of Slab + VmallocUsed (`/proc/meminfo`) over the initial sync into an empty
    /// namespace. Machine-wide: anything else the machine did meanwhile is in it too.
    pub meminfo_growth_bytes: Option<i64>,
    /// The highest Slab + VmallocUsed above the level before, sampled every millisecond during
    /// one more full sync of the same Services (old and new tables may coexist at that moment).
    pub replacement_peak_extra_bytes: Option<i64>,
}

impl KernelMemoryUse {
    /// The figure to plot: the kernel's own report where there is one, else the meminfo growth.
    pub fn held_bytes(&self) -> Option<(i64, &'static str)> {
        match (&self.reported, self.meminfo_growth_bytes) {
            (Some(r), _) => Some((r.bytes as i64, "reported by the kernel")),
            (None, Some(g)) => Some((g, "Slab + VmallocUsed growth")),
            (None, None) => None,
        }
    }
}
