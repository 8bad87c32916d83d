//! `EbpfBackend`: the `ServiceBackend` over the loaded maps and the lab cgroup.

use crate::entries::{self, Plan};
use crate::loader::{self, Loaded};
use crate::mirror::Mirror;
use crate::state::State;
use crate::writer::{Commit, Limits, Writer};
use crate::{dump, sys, EbpfError, LabCgroup};
use std::os::fd::AsFd;
use std::process::{Child, Command};
use std::time::Instant;
use svclab_backend::{
    ensure_not_host_netns, Availability, BackendConfig, BackendError, Endpoint, KernelMemory,
    ObjectCount, OpReport, Service, ServiceBackend, ServiceId, WriteKind,
};

pub use crate::state::MapCapacity;
pub use crate::writer::UpdateMode;

pub struct EbpfBackend {
    config: BackendConfig,
    state: State,
    mode: UpdateMode,
    policy: WritePolicy,
    /// Loaded on first use, so that creating a backend (and probing it) changes nothing.
    loaded: Option<Loaded>,
    /// What the maps hold, as last written or read back.
    mirror: Mirror,
    /// The mirror may not be what the kernel holds (nothing read back yet, or a write stopped
    /// part-way): the next operation reads the maps back and reconciles the whole set.
    uncertain: bool,
    /// The maps were created by the last load and no operation has run on them yet.
    fresh: bool,
}

/// What a write hands the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WritePolicy {
    /// Only entries whose value differs from what the maps hold, and deletes of entries they
    /// hold (Cilium's reconciler). The default and the only one the lab uses.
    Diff,
    /// Every entry of the operation, changed or not: the lab's first write path, kept only so
    /// benches can compare the two. Rewriting an unchanged master entry can make a concurrent
    /// connect() read a recycled element (see `mirror.rs`).
    Everything,
}

impl EbpfBackend {
    /// A backend whose maps hold at most `capacity` entries, for the calling thread's network
    /// namespace (which must not be the host's, although BPF maps and cgroups are not per
    /// namespace: the lab's probes run there).
    pub fn new(config: BackendConfig, capacity: MapCapacity) -> Result<Self, BackendError> {
        ensure_not_host_netns()?;
        Ok(Self {
            config,
            state: State::new(capacity),
            mode: UpdateMode::Batch,
            policy: WritePolicy::Diff,
            loaded: None,
            mirror: Mirror::default(),
            uncertain: true,
            fresh: false,
        })
    }

    /// Batch (default, falls back by itself) or one syscall per entry, to compare the two.
    pub fn set_update_mode(&mut self, mode: UpdateMode) {
        self.mode = mode;
    }

    pub fn update_mode(&self) -> UpdateMode {
        self.mode
    }

    /// [`WritePolicy::Diff`] unless a bench asks for the old write-everything path.
    pub fn set_write_policy(&mut self, policy: WritePolicy) {
        self.policy = policy;
    }

    /// Load the object and attach connect4 to a new lab cgroup, if not done yet.
    pub fn load(&mut self) -> Result<&LabCgroup, BackendError> {
        let loaded = match self.loaded.take() {
            Some(loaded) => loaded,
            None => {
                // New maps: the first operation reads them back (empty) rather than assume.
                self.uncertain = true;
                self.fresh = true;
                loader::load_and_attach(self.state.capacity())?
            }
        };
        Ok(&self.loaded.insert(loaded).cgroup)
    }

    /// The lab cgroup, once loaded. Processes placed in it have connect() to VIPs translated.
    pub fn cgroup(&self) -> Option<&LabCgroup> {
        self.loaded.as_ref().map(|l| &l.cgroup)
    }

    /// The connect4 program's count of races with concurrent updates (zero before loading).
    pub fn reader_events(&self) -> Result<crate::ReaderEvents, BackendError> {
        match &self.loaded {
            Some(loaded) => Ok(crate::events::read(loaded.maps.events.fd().as_fd())?),
            None => Ok(crate::ReaderEvents::default()),
        }
    }

    /// Start `command` inside the lab cgroup (loading first if needed).
    pub fn spawn_in_cgroup(&mut self, command: &mut Command) -> Result<Child, BackendError> {
        Ok(self.load()?.spawn(command)?)
    }

    fn run(
        &mut self,
        doing: &str,
        plan: impl FnOnce(&mut State) -> Result<Plan, EbpfError>,
    ) -> Result<OpReport, BackendError> {
        self.load()?;
        let started = Instant::now();
        let deadline = started + self.config.step_timeout;
        let mut plan = plan(&mut self.state)?;
        let loaded = self
            .loaded
            .as_ref()
            .ok_or_else(|| BackendError::Other("not loaded".into()))?;
        let mut read = Commit::default();
        if self.uncertain {
            // Cilium's prune: read the maps back, then write the whole wanted set's difference.
            let dumped = Instant::now();
            self.mirror = dump::mirror(&loaded.maps, &mut read.calls)?;
            read.elapsed = dumped.elapsed();
            // New maps that are still empty take the operation's plan as it is: the state was
            // empty before it (new or cleaned up), so that plan already holds every entry.
            if !(self.fresh && self.mirror.is_empty()) {
                plan = self.state.wanted()?;
                self.mirror.prune_into(&mut plan);
            }
        }
        let kind = match self.policy {
            WritePolicy::Diff => {
                self.mirror.diff(&mut plan);
                WriteKind::Diff
            }
            WritePolicy::Everything => WriteKind::Full,
        };
        let mut writer = Writer {
            maps: &loaded.maps,
            mode: &mut self.mode,
            limits: Limits {
                deadline,
                step_timeout: self.config.step_timeout,
                cancel: &self.config.cancel,
                doing,
            },
            commit: read,
        };
        let result = writer.apply(&plan);
        let commit = writer.commit;
        // Whether it failed or not, the state already describes the intended set; after a
        // failure the kernel holds some unknown part of the plan.
        self.uncertain = result.is_err();
        self.fresh = false;
        result?;
        self.mirror.record(&plan);
        Ok(OpReport {
            prepare: started.elapsed().saturating_sub(commit.elapsed),
            commit: commit.elapsed,
            kernel_calls: commit.calls,
            objects_written: plan.objects(),
            write: Some(kind),
        })
    }
}

fn read_keys<K: crate::abi::Plain + Default>(
    fd: std::os::fd::BorrowedFd<'_>,
    map: &'static str,
) -> Result<Vec<K>, EbpfError> {
    sys::keys(fd).map_err(|source| EbpfError::Syscall {
        command: "BPF_MAP_GET_NEXT_KEY",
        map,
        source,
    })
}

/// `memlock:` of a map's /proc/self/fdinfo entry: the bytes the kernel charges for it.
fn memlock(fd: std::os::fd::BorrowedFd<'_>) -> Result<u64, BackendError> {
    use std::os::fd::AsRawFd;
    let path = format!("/proc/self/fdinfo/{}", fd.as_raw_fd());
    let text = std::fs::read_to_string(&path).map_err(|source| BackendError::Io {
        doing: format!("reading {path}"),
        source,
    })?;
    text.lines()
        .find_map(|l| l.strip_prefix("memlock:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| BackendError::Other(format!("{path} has no memlock line")))
}

#[path = "backend_trait.rs"]
mod backend_trait;

#[cfg(test)]
#[path = "backend_race_tests.rs"]
mod race_tests;

#[cfg(test)]
#[path = "backend_recovery_tests.rs"]
mod recovery_tests;
