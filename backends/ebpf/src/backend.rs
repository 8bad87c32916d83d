//! `EbpfBackend`: the `ServiceBackend` over the loaded maps and the lab cgroup.

use crate::entries::{self, Plan};
use crate::loader::{self, Loaded};
use crate::state::State;
use crate::writer::{Commit, Limits, Writer};
use crate::{sys, EbpfError, LabCgroup};
use std::os::fd::AsFd;
use std::process::{Child, Command};
use std::time::Instant;
use svclab_backend::{
    ensure_not_host_netns, Availability, BackendConfig, BackendError, Endpoint, ObjectCount,
    OpReport, Service, ServiceBackend, ServiceId, WriteKind,
};

pub use crate::state::MapCapacity;
pub use crate::writer::UpdateMode;

pub struct EbpfBackend {
    config: BackendConfig,
    state: State,
    mode: UpdateMode,
    /// Loaded on first use, so that creating a backend (and probing it) changes nothing.
    loaded: Option<Loaded>,
    /// A write failed part-way, so the kernel may hold entries the state does not know of; the
    /// next sync deletes whatever the maps hold beyond its set.
    tainted: bool,
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
            loaded: None,
            tainted: false,
        })
    }

    /// Batch (default, falls back by itself) or one syscall per entry, to compare the two.
    pub fn set_update_mode(&mut self, mode: UpdateMode) {
        self.mode = mode;
    }

    pub fn update_mode(&self) -> UpdateMode {
        self.mode
    }

    /// Load the object and attach connect4 to a new lab cgroup, if not done yet.
    pub fn load(&mut self) -> Result<&LabCgroup, BackendError> {
        let loaded = match self.loaded.take() {
            Some(loaded) => loaded,
            None => loader::load_and_attach(self.state.capacity())?,
        };
        Ok(&self.loaded.insert(loaded).cgroup)
    }

    /// The lab cgroup, once loaded. Processes placed in it have connect() to VIPs translated.
    pub fn cgroup(&self) -> Option<&LabCgroup> {
        self.loaded.as_ref().map(|l| &l.cgroup)
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
        if self.tainted {
            add_unknown_deletes(loaded, &mut plan)?;
        }
        let mut writer = Writer {
            maps: &loaded.maps,
            mode: &mut self.mode,
            limits: Limits {
                deadline,
                step_timeout: self.config.step_timeout,
                cancel: &self.config.cancel,
                doing,
            },
            commit: Commit::default(),
        };
        let result = writer.apply(&plan);
        let commit = writer.commit;
        // Whether it failed or not, the state already describes the intended set.
        self.tainted = result.is_err();
        result?;
        Ok(OpReport {
            prepare: started.elapsed().saturating_sub(commit.elapsed),
            commit: commit.elapsed,
            kernel_calls: commit.calls,
            objects_written: plan.objects(),
            write: Some(WriteKind::Diff),
        })
    }
}

/// After a failed write, also delete every kernel entry the plan does not write.
fn add_unknown_deletes(loaded: &Loaded, plan: &mut Plan) -> Result<(), EbpfError> {
    let maps = &loaded.maps;
    let written: std::collections::HashSet<_> = plan
        .slots
        .iter()
        .chain(&plan.masters)
        .map(|(k, _)| *k)
        .collect();
    for key in read_keys(maps.services.fd().as_fd(), "LB4_SERVICES")? {
        if !written.contains(&key) {
            plan.delete_slots.push(key);
        }
    }
    let rev: std::collections::HashSet<u16> = plan.rev_nat.iter().map(|(k, _)| *k).collect();
    let stale_rev = read_keys::<u16>(maps.rev_nat.fd().as_fd(), "LB4_REVERSE_NAT")?;
    plan.delete_rev_nat
        .extend(stale_rev.into_iter().filter(|k| !rev.contains(k)));
    // Backends: the state's ids are authoritative for what is referenced; any other id goes.
    let ids = loaded_backend_ids(plan);
    let stale_be = read_keys::<u32>(maps.backends.fd().as_fd(), "LB4_BACKENDS")?;
    plan.delete_backends
        .extend(stale_be.into_iter().filter(|k| !ids.contains(k)));
    Ok(())
}

fn loaded_backend_ids(plan: &Plan) -> std::collections::HashSet<u32> {
    plan.backends
        .iter()
        .map(|(id, _)| *id)
        .chain(plan.slots.iter().map(|(_, v)| v.backend_id))
        .collect()
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

#[path = "backend_trait.rs"]
mod backend_trait;
