//! `IpvsBackend`: kube-proxy's IPVS layout, programmed over generic netlink or with ipvsadm.
//!
//! `OpReport::commit` times only the IPVS calls (netlink requests until their ACKs, the dumps a
//! full sync diffs against, or the ipvsadm processes). A netlink full sync writes only what
//! differs from the kernel's dump, as kube-proxy does, so its `objects_written` is the number of
//! requests it sent; `ipvsadm`'s full sync is `-C` + `-R` of everything, the document's way.
//! Binding VIPs to `kube-ipvs0` is kernel work too, but not an IPVS rule: it is counted in
//! `prepare`, with the diff and the encoding.

use crate::client::Client;
use crate::commit;
use crate::socket::NetlinkSocket;
use crate::variant::Variant;
use crate::{ipvsadm, layout};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;
use svclab_backend::{
    Availability, BackendConfig, BackendError, Endpoint, ObjectCount, OpReport, Service,
    ServiceBackend, ServiceId, WriteKind,
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

mod support;

use support::{objects, Change};

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
        // Without IPVS nothing else is worth doing (and the dummy link may be missing too).
        self.client.family(&commit::watch(&self.config))?;
        let link = self.link();
        link.ensure()?;
        link.converge(&services.iter().map(|s| s.vip).collect())?;
        let doing = format!("full sync of {} services", services.len());
        self.touched = true;
        let (prepare, c, written, write) = match self.variant {
            Variant::Netlink => {
                let done = commit::netlink_converge(&mut self.client, &self.config, services)?;
                // Setting up the link and VIPs, plus the diff; not the dumps and batches.
                let prepare = started.elapsed().saturating_sub(done.commit.elapsed);
                (prepare, done.commit, done.written, WriteKind::Diff)
            }
            Variant::Ipvsadm => {
                let text = ipvsadm::restore_text(services);
                let prepare = started.elapsed();
                let c = commit::ipvsadm_restore(&self.config, &text, &doing)?;
                (prepare, c, objects(services), WriteKind::Full)
            }
        };
        self.programmed = next;
        Ok(Self::report(prepare, c, written, write))
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
                (Change::Netlink(reqs), Change::Netlink(dests))
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
            self.incremental_kind(),
        ))
    }

    fn remove(&mut self, id: ServiceId) -> Result<OpReport, BackendError> {
        self.same_netns()?;
        let old = self.programmed_service(id)?;
        let started = Instant::now();
        let change = match self.variant {
            Variant::Netlink => Change::Netlink(layout::remove_requests(&old)),
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
        Ok(Self::report(prepare, c, 1, self.incremental_kind()))
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
            Variant::Netlink => Change::Netlink(layout::update_requests(&old, endpoints)),
            Variant::Ipvsadm => Change::Ipvsadm(ipvsadm::update_argvs(&old, endpoints)),
        };
        let written = match &change {
            Change::Netlink(r) => r.len(),
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
        Ok(Self::report(prepare, c, written, self.incremental_kind()))
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
                match commit::netlink(&mut self.client, &self.config, &flush) {
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
