//! svclab's eBPF backend: Services in Cilium-shaped BPF hash maps, translated at connect() time.
//!
//! `bpf/svclab_lb.bpf.c` (compiled by clang in build.rs) holds the maps and a `cgroup/connect4`
//! program. The lab loads it with aya, attaches it to a cgroup v2 it creates for its own probe
//! processes ([`LabCgroup`]), and writes Services into the maps with batched bpf syscalls.
//!
//! Layers, pure to impure: [`abi`] (the C structs), [`entries`] (Services → map entries and the
//! order to write them), `sys` (raw bpf syscalls), `cgroup` and `loader` (the OS), and
//! `backend` ([`EbpfBackend`], the `ServiceBackend` implementation).

pub mod abi;
mod backend;
mod backend_ids;
mod capacity;
mod cgroup;
mod dump;
pub mod entries;
mod error;
mod events;
mod leftovers;
mod loader;
mod mirror;
pub mod render;
mod state;
mod sys;
mod writer;

pub use backend::{EbpfBackend, MapCapacity, UpdateMode, WritePolicy};
pub use cgroup::LabCgroup;
pub use error::EbpfError;
pub use events::ReaderEvents;
pub use leftovers::remove_stale_cgroups;
pub use state::State;
