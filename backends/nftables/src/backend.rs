//! `NftablesBackend`: kube-proxy's nftables layouts committed through `nft -f -`.

use crate::error::NftError;
use crate::layout::ServiceLayout;
use crate::nft;
use crate::profile::Profile;
use crate::readback;
use crate::render::{render_full_sync, Plan, Programmed};
use std::collections::BTreeSet;
use std::time::Instant;
use svclab_backend::{
    ensure_not_host_netns, Availability, BackendConfig, BackendError, Endpoint, Endpoint as Ep,
    ObjectCount, OpReport, Protocol, Service, ServiceBackend, ServiceId, WriteKind,
};

pub struct NftablesBackend {
    profile: Profile,
    config: BackendConfig,
    /// What was committed, to render partial syncs (never used to count kernel objects).
    programmed: Programmed,
    touched: bool,
}

impl NftablesBackend {
    /// A backend for the calling thread's network namespace, which must not be the host's.
    pub fn new(profile: Profile, config: BackendConfig) -> Result<Self, BackendError> {
        ensure_not_host_netns()?;
        Ok(Self {
            profile,
            config,
            programmed: Programmed::default(),
            touched: false,
        })
    }

    fn deadline(&self) -> Instant {
        Instant::now() + self.config.step_timeout
    }

    fn commit(
        &mut self,
        plan: Plan,
        started: Instant,
        write: WriteKind,
        doing: &str,
    ) -> Result<OpReport, BackendError> {
        let prepare = started.elapsed();
        self.touched = true;
        let commit = nft::commit(&plan.text, self.deadline(), &self.config.cancel, doing)?;
        self.programmed.apply(plan.change);
        Ok(OpReport {
            prepare,
            commit,
            kernel_calls: 1,
            objects_written: plan.written.rules + plan.written.elements,
            write: Some(write),
        })
    }

    fn partial(
        &mut self,
        removed: &[ServiceId],
        added: Vec<ServiceLayout>,
        started: Instant,
        doing: &str,
    ) -> Result<OpReport, BackendError> {
        let plan = self
            .programmed
            .partial(self.profile, removed, added, self.config.cluster_cidr);
        self.commit(plan, started, WriteKind::Partial, doing)
    }

    fn programmed_service(&self, id: ServiceId) -> Result<&Service, BackendError> {
        self.programmed
            .layouts
            .get(&id)
            .map(|l| &l.service)
            .ok_or(BackendError::UnknownService { id })
    }

    /// Run the deletes deferred by the last transaction now, as their own transaction (the
    /// next operation would otherwise start with them). `None` when nothing was waiting.
    pub fn finish_deferred(&mut self) -> Result<Option<OpReport>, BackendError> {
        let started = Instant::now();
        let Some(text) = self.programmed.stale_only() else {
            return Ok(None);
        };
        let prepare = started.elapsed();
        let commit = nft::commit(
            &text,
            self.deadline(),
            &self.config.cancel,
            "deleting flushed chains",
        )?;
        self.programmed.clear_stale();
        Ok(Some(OpReport {
            prepare,
            commit,
            kernel_calls: 1,
            objects_written: 0,
            write: Some(WriteKind::Partial),
        }))
    }

    /// Can this kernel and nft run the layout? Versions first, then `nft -c` of a real
    /// transaction, which the kernel validates (every expression the layout uses) and discards.
    fn check(&self) -> Result<String, NftError> {
        nft::program()?;
        let cancel = &self.config.cancel;
        let version = nft::query(
            &["--version"],
            self.deadline(),
            cancel,
            "asking its version",
        )
        .map_err(|_| NftError::NftMissing)?;
        match nft::parse_version(&version) {
            Some(v) if v >= (1, 0, 1) => {}
            _ => {
                return Err(NftError::NftTooOld {
                    found: version.trim().into(),
                })
            }
        }
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        let release = release.trim();
        if nft::kernel_version(release).is_some_and(|v| v < (5, 13)) {
            return Err(NftError::KernelTooOld {
                found: release.into(),
            });
        }
        let sample = probe_service();
        let text = render_full_sync(self.profile, &[sample], self.config.cluster_cidr);
        let nft_path = nft::program()?;
        let checked = svclab_backend::tool::run(
            &nft_path,
            &["-c", "-f", "-"],
            Some(text.as_bytes()),
            self.deadline(),
            cancel,
            "checking the layout",
        );
        if let Err(BackendError::ToolFailed { stderr, .. }) = checked {
            return Err(nft::classify(&stderr, &text, "checking the layout"));
        }
        Ok(format!("{}, kernel {release}", version.trim()))
    }
}

/// A two-endpoint Service, enough for every expression the layouts use.
fn probe_service() -> Service {
    let ep = |last| Ep {
        addr: std::net::Ipv4Addr::new(10, 244, 0, last),
        port: 8080,
    };
    Service {
        id: ServiceId(0),
        namespace: "svclab".into(),
        name: "probe".into(),
        port_name: "http".into(),
        vip: std::net::Ipv4Addr::new(10, 96, 0, 1),
        port: 80,
        protocol: Protocol::Tcp,
        endpoints: vec![ep(1), ep(2)],
    }
}

impl ServiceBackend for NftablesBackend {
    fn name(&self) -> &str {
        self.profile.name()
    }

    fn probe(&self) -> Availability {
        match self.check() {
            Ok(detail) => Availability::Available { detail },
            Err(e) => {
                let reason = e.to_string();
                let fix = match BackendError::from(e) {
                    BackendError::ToolMissing { fix, .. } => fix,
                    BackendError::KernelFeatureMissing { fix, .. } => fix,
                    other => format!("{other}"),
                };
                Availability::Unavailable { reason, fix }
            }
        }
    }

    fn sync(&mut self, services: &[Service]) -> Result<OpReport, BackendError> {
        let started = Instant::now();
        let mut ids = BTreeSet::new();
        if let Some(dup) = services.iter().find(|s| !ids.insert(s.id)) {
            return Err(BackendError::DuplicateService { id: dup.id });
        }
        // Names computed for an unchanged Service are reused, like kube-proxy's service map.
        let layouts = services
            .iter()
            .map(|svc| match self.programmed.layouts.get(&svc.id) {
                Some(known) if known.service == *svc => known.clone(),
                _ => ServiceLayout::new(svc, self.profile),
            })
            .collect();
        let plan = self
            .programmed
            .full(self.profile, layouts, self.config.cluster_cidr);
        let doing = format!("full sync of {} services", services.len());
        self.commit(plan, started, WriteKind::Full, &doing)
    }

    fn add(&mut self, service: &Service) -> Result<OpReport, BackendError> {
        if self.programmed.layouts.contains_key(&service.id) {
            return Err(BackendError::DuplicateService { id: service.id });
        }
        let started = Instant::now();
        let layout = ServiceLayout::new(service, self.profile);
        self.partial(
            &[],
            vec![layout],
            started,
            &format!("adding service {}", service.id),
        )
    }

    fn remove(&mut self, id: ServiceId) -> Result<OpReport, BackendError> {
        let started = Instant::now();
        self.programmed_service(id)?;
        self.partial(
            &[id],
            Vec::new(),
            started,
            &format!("removing service {id}"),
        )
    }

    fn update_endpoints(
        &mut self,
        id: ServiceId,
        endpoints: &[Endpoint],
    ) -> Result<OpReport, BackendError> {
        let started = Instant::now();
        let mut service = self.programmed_service(id)?.clone();
        service.endpoints = endpoints.to_vec();
        let layout = ServiceLayout::new(&service, self.profile);
        let doing = format!("updating the endpoints of service {id}");
        self.partial(&[id], vec![layout], started, &doing)
    }

    fn kernel_objects(&mut self) -> Result<ObjectCount, BackendError> {
        let counts = if self.touched {
            let json = nft::query(
                &["--json", "list", "table", "ip", crate::tx::TABLE],
                self.deadline(),
                &self.config.cancel,
                "reading the table back",
            )?;
            readback::count(&json)?
        } else {
            readback::TableCounts::default()
        };
        Ok(ObjectCount::new()
            .with("chains", counts.chains)
            .with("rules", counts.rules)
            .with("elements", counts.elements))
    }

    fn expected_objects(&self, services: &[Service]) -> ObjectCount {
        crate::formula::expected(self.profile, services)
    }

    fn cleanup(&mut self) -> Result<(), BackendError> {
        if !self.touched {
            return Ok(());
        }
        nft::commit(
            "delete table ip kube-proxy\n",
            self.deadline(),
            &self.config.cancel,
            "cleaning up",
        )?;
        self.programmed = Programmed::default();
        self.touched = false;
        Ok(())
    }
}

impl Drop for NftablesBackend {
    fn drop(&mut self) {
        if let Err(e) = self.cleanup() {
            tracing::debug!(backend = self.profile.name(), error = %e, "cleanup on drop failed");
        }
    }
}
