//! `impl ServiceBackend for EbpfBackend`.

use super::*;
use crate::cgroup::cgroup2_mount;
use crate::error::chain;

const FIX: &str = "run as root (or with CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN) on a kernel \
                   with CONFIG_BPF_SYSCALL and CONFIG_CGROUP_BPF, with cgroup v2 mounted";

impl ServiceBackend for EbpfBackend {
    fn name(&self) -> &str {
        "ebpf"
    }

    /// Loads (and verifies) the program into maps of size 1 and drops it again; creates no cgroup.
    fn probe(&self) -> Availability {
        let mount = match cgroup2_mount() {
            Ok(mount) => mount,
            Err(e) => return unavailable(&e),
        };
        if let Err(e) = loader::load(MapCapacity::for_services(1, 1)) {
            return unavailable(&e);
        }
        Availability::Available {
            detail: format!(
                "BPF syscall works, cgroup/connect4 program verified, cgroup v2 at {}",
                mount.display()
            ),
        }
    }

    fn sync(&mut self, services: &[Service]) -> Result<OpReport, BackendError> {
        self.run("syncing the eBPF service maps", |s| s.plan_sync(services))
    }

    fn add(&mut self, service: &Service) -> Result<OpReport, BackendError> {
        self.run("adding a service to the eBPF maps", |s| s.plan_add(service))
    }

    fn remove(&mut self, id: ServiceId) -> Result<OpReport, BackendError> {
        self.run("removing a service from the eBPF maps", |s| {
            s.plan_remove(id)
        })
    }

    fn update_endpoints(
        &mut self,
        id: ServiceId,
        endpoints: &[Endpoint],
    ) -> Result<OpReport, BackendError> {
        self.run("updating a service's endpoints in the eBPF maps", |s| {
            s.plan_update(id, endpoints)
        })
    }

    /// Iterates the maps in the kernel with `BPF_MAP_GET_NEXT_KEY`; zero before anything loaded.
    fn kernel_objects(&mut self) -> Result<ObjectCount, BackendError> {
        let Some(loaded) = &self.loaded else {
            return Ok(entries::expected(&[]));
        };
        let maps = &loaded.maps;
        let services: Vec<crate::abi::Lb4Key> =
            read_keys(maps.services.fd().as_fd(), "LB4_SERVICES")?;
        let backends = read_keys::<u32>(maps.backends.fd().as_fd(), "LB4_BACKENDS")?;
        let rev_nat = read_keys::<u16>(maps.rev_nat.fd().as_fd(), "LB4_REVERSE_NAT")?;
        let masters = services.iter().filter(|k| k.backend_slot == 0).count();
        Ok(ObjectCount::new()
            .with(entries::SERVICE_ENTRIES, services.len() as u64)
            .with(entries::SERVICES, masters as u64)
            .with(entries::BACKENDS, backends.len() as u64)
            .with(entries::REVERSE_NAT, rev_nat.len() as u64))
    }

    fn expected_objects(&self, services: &[Service]) -> ObjectCount {
        entries::expected(services)
    }

    /// The three maps' `memlock` from /proc/self/fdinfo: what the kernel charges for them
    /// (on 6.4+ the memory in use, `htab_map_mem_usage`; before, an estimate from max_entries).
    fn kernel_memory(&mut self) -> Result<Option<KernelMemory>, BackendError> {
        let Some(loaded) = &self.loaded else {
            return Ok(None);
        };
        let maps = &loaded.maps;
        let mut bytes = 0;
        for map in [&maps.services, &maps.backends, &maps.rev_nat] {
            bytes += memlock(map.fd().as_fd())?;
        }
        Ok(Some(KernelMemory {
            bytes,
            source: "memlock in /proc/self/fdinfo of the 3 BPF maps (LB4_SERVICES, \
                     LB4_BACKENDS, LB4_REVERSE_NAT)"
                .into(),
        }))
    }

    /// Retries counted by the connect4 program in LB4_EVENTS (see `events`). Svclab's program
    /// retries where Cilium's rejects, so these are connects Cilium would have failed.
    fn lookup_retries(&self) -> Result<Option<u64>, BackendError> {
        Ok(Some(self.reader_events()?.retries()))
    }

    /// Detach and unload the program, remove the lab cgroup, close the maps.
    fn cleanup(&mut self) -> Result<(), BackendError> {
        self.state.clear();
        self.mirror = Mirror::default();
        self.uncertain = true;
        match self.loaded.take() {
            Some(loaded) => Ok(loaded.unload()?),
            None => Ok(()),
        }
    }

    fn client_cgroup(&self) -> Option<std::path::PathBuf> {
        self.cgroup().map(|c| c.path().to_path_buf())
    }
}

impl Drop for EbpfBackend {
    fn drop(&mut self) {
        // Best effort: the fds close regardless, which detaches and frees everything but the
        // cgroup directory, and that is removed unless a probe process is still inside.
        let _ = self.cleanup();
    }
}

fn unavailable(e: &EbpfError) -> Availability {
    Availability::Unavailable {
        reason: chain(e),
        fix: FIX.to_string(),
    }
}
