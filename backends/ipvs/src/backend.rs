//! `IpvsBackend`: kube-proxy's IPVS layout, programmed over generic netlink or with ipvsadm.
//!
//! `OpReport::commit` times only the IPVS calls (netlink requests until their ACKs, or the
//! ipvsadm processes). Binding VIPs to `kube-ipvs0` is kernel work too, but not an IPVS rule:
//! it is counted in `prepare`, with the encoding.

use crate::client::Client;
use crate::commit::{self, Commit};
use crate::error::IpvsError;
use crate::link::Link;
use crate::socket::NetlinkSocket;
use crate::variant::Variant;
use crate::{ipvsadm, layout};
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use svclab_backend::{
    ensure_not_host_netns, Availability, BackendConfig, BackendError, Endpoint, ObjectCount,
    OpReport, Service, ServiceBackend, ServiceId,
};

/// What `probe` says on a kernel without IPVS.
pub const NO_IPVS_REASON: &str =
    "kernel has no IPVS (CONFIG_IP_VS unset or module ip_vs not loadable)";
pub const NO_IPVS_PROBE_FIX: &str = "run it in the lab VM: svclab vm -- ...";

pub struct IpvsBackend {
    variant: Variant,
    config: BackendConfig,
    /// Bound to the namespace `new` ran in; both variants use it to probe.
    client: Client<NetlinkSocket>,
    /// What was programmed, to diff incremental changes (never used to count kernel objects).
    programmed: BTreeMap<ServiceId, Service>,
    touched: bool,
    /// The namespace `new` ran in (`net:[inode]`). `ip` and `ipvsadm` act in the calling
    /// thread's namespace, so every operation checks it is still this one: a backend dropped
    /// or driven from another thread must not touch, say, a real node's kube-ipvs0.
    netns: PathBuf,
}

impl IpvsBackend {
    /// A backend for the calling thread's network namespace, which must not be the host's.
    pub fn new(variant: Variant, config: BackendConfig) -> Result<Self, BackendError> {
        ensure_not_host_netns()?;
        let netns = current_netns()?;
        let socket = NetlinkSocket::open().map_err(|source| BackendError::Io {
            doing: "opening a generic netlink socket".into(),
            source,
        })?;
        Ok(Self {
            variant,
            config,
            client: Client::new(socket),
            programmed: BTreeMap::new(),
            touched: false,
            netns,
        })
    }

    /// After an add whose virtual service went in but a real server did not, remove the
    /// service again so kernel and bookkeeping agree. Best effort: the add's own error is what
    /// the caller needs.
    fn undo_add(&mut self, service: &Service) {
        let change = match self.variant {
            Variant::Netlink => Change::Netlink(layout::remove_requests(service), false),
            Variant::Ipvsadm => Change::Ipvsadm(vec![ipvsadm::del_service(service)]),
        };
        let _ = self.commit(service.id, change, "undoing a failed add");
        if !self.vips_in_use(service.id).contains(&service.vip) {
            let _ = self.link().unbind(&[service.vip].into());
        }
    }

    /// Error unless the calling thread is in the namespace the backend was created in.
    fn same_netns(&self) -> Result<(), BackendError> {
        let now = current_netns()?;
        if now != self.netns {
            return Err(BackendError::Other(format!(
                "backend {} was created in network namespace {} but is used from {}; \
                 call it from the thread that created it",
                self.variant.name(),
                self.netns.display(),
                now.display()
            )));
        }
        Ok(())
    }

    fn link(&self) -> Link {
        Link::new(self.config.step_timeout, &self.config.cancel)
    }

    /// Send requests (netlink) or run argvs (ipvsadm); typed kernel errors get the Service id.
    fn commit(
        &mut self,
        id: ServiceId,
        reqs_or_argvs: Change,
        doing: &str,
    ) -> Result<Commit, BackendError> {
        self.touched = true;
        match reqs_or_argvs {
            Change::Netlink(reqs, batched) => {
                commit::netlink(&mut self.client, &self.config, &reqs, batched)
                    .map_err(|e| with_id(e, id))
            }
            Change::Ipvsadm(argvs) => commit::ipvsadm_each(&self.config, &argvs, doing),
        }
    }

    fn report(prepare: Duration, commit: Commit, objects: u64) -> OpReport {
        OpReport {
            prepare,
            commit: commit.elapsed,
            kernel_calls: commit.calls,
            objects_written: objects,
        }
    }

    /// VIPs of programmed Services other than `except`.
    fn vips_in_use(&self, except: ServiceId) -> BTreeSet<Ipv4Addr> {
        self.programmed
            .values()
            .filter(|s| s.id != except)
            .map(|s| s.vip)
            .collect()
    }

    fn programmed_service(&self, id: ServiceId) -> Result<Service, BackendError> {
        self.programmed
            .get(&id)
            .cloned()
            .ok_or(BackendError::UnknownService { id })
    }
}

/// The change one operation makes, in the variant's terms.
enum Change {
    Netlink(Vec<crate::message::IpvsMessage>, bool),
    Ipvsadm(Vec<Vec<String>>),
}

fn current_netns() -> Result<PathBuf, BackendError> {
    let link = "/proc/thread-self/ns/net";
    std::fs::read_link(link).map_err(|source| BackendError::Io {
        doing: format!("reading {link}"),
        source,
    })
}

fn with_id(e: IpvsError, id: ServiceId) -> BackendError {
    match e {
        IpvsError::DuplicateService { .. } => BackendError::DuplicateService { id },
        IpvsError::NoSuchService { .. } => BackendError::UnknownService { id },
        other => other.into(),
    }
}

fn objects(services: &[Service]) -> u64 {
    services.iter().map(|s| 1 + s.endpoints.len() as u64).sum()
}

impl ServiceBackend for IpvsBackend {
    fn name(&self) -> &str {
        self.variant.name()
    }

    fn probe(&self) -> Availability {
        crate::probe::probe(self.variant, &self.config)
    }

    fn sync(&mut self, services: &[Service]) -> Result<OpReport, BackendError> {
        self.same_netns()?;
        let started = Instant::now();
        let mut next = BTreeMap::new();
        for svc in services {
            if next.insert(svc.id, svc.clone()).is_some() {
                return Err(BackendError::DuplicateService { id: svc.id });
            }
        }
        let link = self.link();
        link.ensure()?;
        link.flush()?;
        link.bind(&services.iter().map(|s| s.vip).collect())?;
        let doing = format!("full sync of {} services", services.len());
        self.touched = true;
        let prepare;
        let c = match self.variant {
            Variant::Netlink => {
                let reqs = layout::sync_requests(services);
                prepare = started.elapsed();
                commit::netlink(&mut self.client, &self.config, &reqs, true)?
            }
            Variant::Ipvsadm => {
                let text = ipvsadm::restore_text(services);
                prepare = started.elapsed();
                commit::ipvsadm_restore(&self.config, &text, &doing)?
            }
        };
        self.programmed = next;
        Ok(Self::report(prepare, c, objects(services)))
    }

    fn add(&mut self, service: &Service) -> Result<OpReport, BackendError> {
        self.same_netns()?;
        if self.programmed.contains_key(&service.id) {
            return Err(BackendError::DuplicateService { id: service.id });
        }
        let started = Instant::now();
        let link = self.link();
        link.ensure()?;
        link.bind(&[service.vip].into())?;
        // The virtual service first, then its real servers: if a real server fails, the
        // service this call made is removed again; if the service itself fails (EEXIST from
        // an identical VIP:port, say) nothing of ours reached the kernel and nothing is undone.
        let (first, rest) = match self.variant {
            Variant::Netlink => {
                let mut reqs = layout::add_requests(service);
                let dests = reqs.split_off(1);
                (Change::Netlink(reqs, false), Change::Netlink(dests, false))
            }
            Variant::Ipvsadm => {
                let mut argvs = ipvsadm::add_argvs(service);
                let dests = argvs.split_off(1);
                (Change::Ipvsadm(argvs), Change::Ipvsadm(dests))
            }
        };
        let prepare = started.elapsed();
        let doing = format!("adding service {}", service.id);
        let mut c = self.commit(service.id, first, &doing)?;
        match self.commit(service.id, rest, &doing) {
            Ok(more) => {
                c.elapsed += more.elapsed;
                c.calls += more.calls;
            }
            Err(e) => {
                self.undo_add(service);
                return Err(e);
            }
        }
        self.programmed.insert(service.id, service.clone());
        Ok(Self::report(
            prepare,
            c,
            objects(std::slice::from_ref(service)),
        ))
    }

    fn remove(&mut self, id: ServiceId) -> Result<OpReport, BackendError> {
        self.same_netns()?;
        let old = self.programmed_service(id)?;
        let started = Instant::now();
        let change = match self.variant {
            Variant::Netlink => Change::Netlink(layout::remove_requests(&old), false),
            Variant::Ipvsadm => Change::Ipvsadm(vec![ipvsadm::del_service(&old)]),
        };
        let mut prepare = started.elapsed();
        let c = self.commit(id, change, &format!("removing service {id}"))?;
        self.programmed.remove(&id);
        if !self.vips_in_use(id).contains(&old.vip) {
            let unbind = Instant::now();
            self.link().unbind(&[old.vip].into())?;
            prepare += unbind.elapsed();
        }
        Ok(Self::report(prepare, c, 1))
    }

    fn update_endpoints(
        &mut self,
        id: ServiceId,
        endpoints: &[Endpoint],
    ) -> Result<OpReport, BackendError> {
        self.same_netns()?;
        let old = self.programmed_service(id)?;
        let started = Instant::now();
        let change = match self.variant {
            Variant::Netlink => Change::Netlink(layout::update_requests(&old, endpoints), false),
            Variant::Ipvsadm => Change::Ipvsadm(ipvsadm::update_argvs(&old, endpoints)),
        };
        let written = match &change {
            Change::Netlink(r, _) => r.len(),
            Change::Ipvsadm(a) => a.len(),
        } as u64;
        let prepare = started.elapsed();
        let c = self.commit(
            id,
            change,
            &format!("updating the endpoints of service {id}"),
        )?;
        let mut new = old;
        new.endpoints = endpoints.to_vec();
        self.programmed.insert(id, new);
        Ok(Self::report(prepare, c, written))
    }

    fn kernel_objects(&mut self) -> Result<ObjectCount, BackendError> {
        self.same_netns()?;
        let (services, dests) = match self.variant {
            Variant::Netlink => commit::netlink_count(&mut self.client, &self.config)?,
            Variant::Ipvsadm => commit::ipvsadm_count(&self.config)?,
        };
        Ok(ObjectCount::new()
            .with(layout::VIRTUAL_SERVICES, services)
            .with(layout::REAL_SERVERS, dests))
    }

    fn expected_objects(&self, services: &[Service]) -> ObjectCount {
        layout::expected(services)
    }

    fn cleanup(&mut self) -> Result<(), BackendError> {
        if !self.touched {
            return Ok(());
        }
        self.same_netns()?;
        let flushed = match self.variant {
            Variant::Netlink => {
                let flush = [crate::message::IpvsMessage::flush()];
                match commit::netlink(&mut self.client, &self.config, &flush, false) {
                    // Without IPVS there is nothing to flush; the link still goes.
                    Err(e) if e.is_family_missing() => Ok(()),
                    other => other.map(|_| ()).map_err(BackendError::from),
                }
            }
            Variant::Ipvsadm => {
                commit::ipvsadm_each(&self.config, &[vec!["-C".into()]], "cleaning up").map(|_| ())
            }
        };
        let removed = self.link().remove();
        flushed?;
        removed?;
        self.programmed.clear();
        self.touched = false;
        Ok(())
    }
}

impl Drop for IpvsBackend {
    fn drop(&mut self) {
        if let Err(e) = self.cleanup() {
            tracing::debug!(backend = self.variant.name(), error = %e, "cleanup on drop failed");
        }
    }
}
