//! The backend's own plumbing: construction, namespace check, committing a change, undoing a
//! failed add, bookkeeping helpers.

use super::IpvsBackend;
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
use std::time::Duration;
use svclab_backend::{
    ensure_not_host_netns, BackendConfig, BackendError, OpReport, Service, ServiceId, WriteKind,
};

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
    pub(super) fn undo_add(&mut self, service: &Service) {
        let change = match self.variant {
            Variant::Netlink => Change::Netlink(layout::remove_requests(service)),
            Variant::Ipvsadm => Change::Ipvsadm(vec![ipvsadm::del_service(service)]),
        };
        let _ = self.commit(service.id, change, "undoing a failed add");
        if !self.vips_in_use(service.id).contains(&service.vip) {
            let _ = self.link().unbind(&[service.vip].into());
        }
    }

    /// Error unless the calling thread is in the namespace the backend was created in.
    pub(super) fn same_netns(&self) -> Result<(), BackendError> {
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

    pub(super) fn link(&self) -> Link {
        Link::new(self.config.step_timeout, &self.config.cancel)
    }

    /// Send requests (netlink) or run argvs (ipvsadm); typed kernel errors get the Service id.
    pub(super) fn commit(
        &mut self,
        id: ServiceId,
        reqs_or_argvs: Change,
        doing: &str,
    ) -> Result<Commit, BackendError> {
        self.touched = true;
        match reqs_or_argvs {
            Change::Netlink(reqs) => {
                commit::netlink(&mut self.client, &self.config, &reqs).map_err(|e| with_id(e, id))
            }
            Change::Ipvsadm(argvs) => commit::ipvsadm_each(&self.config, &argvs, doing),
        }
    }

    /// Add, remove and update write one Service's requests (netlink) or processes (ipvsadm).
    pub(super) fn incremental_kind(&self) -> WriteKind {
        match self.variant {
            Variant::Netlink => WriteKind::Partial,
            Variant::Ipvsadm => WriteKind::PerRule,
        }
    }

    pub(super) fn report(
        prepare: Duration,
        commit: Commit,
        objects: u64,
        write: WriteKind,
    ) -> OpReport {
        OpReport {
            prepare,
            commit: commit.elapsed,
            kernel_calls: commit.calls,
            objects_written: objects,
            write: Some(write),
        }
    }

    /// VIPs of programmed Services other than `except`.
    pub(super) fn vips_in_use(&self, except: ServiceId) -> BTreeSet<Ipv4Addr> {
        self.programmed
            .values()
            .filter(|s| s.id != except)
            .map(|s| s.vip)
            .collect()
    }

    pub(super) fn programmed_service(&self, id: ServiceId) -> Result<Service, BackendError> {
        self.programmed
            .get(&id)
            .cloned()
            .ok_or(BackendError::UnknownService { id })
    }
}

/// The change one operation makes, in the variant's terms.
pub(super) enum Change {
    /// Requests sent one at a time, each waiting for its ACK (kube-proxy's way).
    Netlink(Vec<crate::message::IpvsMessage>),
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

pub(super) fn objects(services: &[Service]) -> u64 {
    services.iter().map(|s| 1 + s.endpoints.len() as u64).sum()
}
