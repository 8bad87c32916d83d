//! Services as map entries, and the order to write them in. Pure: no syscalls, tested without root.
//!
//! A Service with E endpoints is 1 + E entries in `LB4_SERVICES` (master at slot 0 carrying E,
//! slots 1..=E carrying backend ids), one `LB4_REVERSE_NAT` entry, and a reference to E entries
//! of `LB4_BACKENDS`, which are shared by every Service that has the same endpoint.

use crate::abi::{self, Lb4Backend, Lb4Key, Lb4ReverseNat, Lb4Service};
use crate::EbpfError;
use rustc_hash::FxHashSet as HashSet;
use svclab_backend::{Endpoint, ObjectCount, Protocol, Service, ServiceId};

/// Names of the counts `kernel_objects()` and `expected_objects()` report.
pub const SERVICE_ENTRIES: &str = "lb4_services_entries";
pub const SERVICES: &str = "lb4_services_masters";
pub const BACKENDS: &str = "lb4_backends";
pub const REVERSE_NAT: &str = "lb4_reverse_nat";

pub fn proto(protocol: Protocol) -> u8 {
    match protocol {
        Protocol::Tcp => abi::IPPROTO_TCP,
        Protocol::Udp => abi::IPPROTO_UDP,
    }
}

/// The key of a Service's slot (0 = master entry).
pub fn service_key(service: &Service, slot: u16) -> Lb4Key {
    Lb4Key {
        address: abi::be32(service.vip),
        dport: abi::be16(service.port),
        proto: proto(service.protocol),
        pad: 0,
        backend_slot: slot,
        pad2: 0,
    }
}

/// Every key a Service occupies in `LB4_SERVICES`: master first, then slots 1..=E.
pub fn service_keys(service: &Service) -> impl Iterator<Item = Lb4Key> + '_ {
    (0..=service.endpoints.len() as u16).map(move |slot| service_key(service, slot))
}

/// The backend value of an endpoint of a Service; also its identity when allocating ids.
pub fn backend(endpoint: &Endpoint, protocol: Protocol) -> Lb4Backend {
    Lb4Backend {
        address: abi::be32(endpoint.addr),
        port: abi::be16(endpoint.port),
        proto: proto(protocol),
        flags: 0,
    }
}

/// Cilium's rev-NAT index is a u16 id per Service; svclab derives it from the Service id, so
/// ids above 65534 cannot be programmed (index 0 means "none").
pub fn rev_nat_index(id: ServiceId) -> Result<u16, EbpfError> {
    u16::try_from(u64::from(id.0) + 1)
        .ok()
        .filter(|index| *index != u16::MAX)
        .ok_or(EbpfError::ServiceIdTooLarge { id })
}

pub fn reverse_nat(service: &Service) -> Lb4ReverseNat {
    Lb4ReverseNat {
        address: abi::be32(service.vip),
        port: abi::be16(service.port),
        pad: 0,
    }
}

/// A Service's endpoint count as the master entry stores it.
pub fn endpoint_count(service: &Service) -> Result<u16, EbpfError> {
    u16::try_from(service.endpoints.len()).map_err(|_| EbpfError::TooManyEndpoints {
        id: service.id,
        endpoints: service.endpoints.len(),
    })
}

/// What one operation writes and deletes. [`crate::writer`] applies it in the field order, which
/// is the order of Cilium's reconciler (`updateFrontend` in pkg/loadbalancer/reconciler/
/// bpf_reconciler.go): upserts of backends, slots, rev-NAT and masters (the count last), then
/// deletes of masters, surplus slots, rev-NAT and the backends nothing references any more. A
/// connect() thus finds a count only once the slots it covers and their backends exist, and a
/// lowered count before the slots above it go. (Cilium deletes a frontend's orphan backends
/// first, to make room; svclab sizes its maps for that and deletes them last, after no slot
/// points at them.)
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Plan {
    pub backends: Vec<(u32, Lb4Backend)>,
    pub slots: Vec<(Lb4Key, Lb4Service)>,
    pub rev_nat: Vec<(u16, Lb4ReverseNat)>,
    pub masters: Vec<(Lb4Key, Lb4Service)>,
    pub delete_masters: Vec<Lb4Key>,
    pub delete_slots: Vec<Lb4Key>,
    pub delete_rev_nat: Vec<u16>,
    pub delete_backends: Vec<u32>,
}

impl Plan {
    /// Upserts plus deletes: the map entries this plan touches.
    pub fn objects(&self) -> u64 {
        (self.backends.len()
            + self.rev_nat.len()
            + self.slots.len()
            + self.masters.len()
            + self.delete_masters.len()
            + self.delete_slots.len()
            + self.delete_rev_nat.len()
            + self.delete_backends.len()) as u64
    }

    /// Add the upserts of one Service whose endpoints have backend ids `ids` (in order).
    pub fn upsert_service(&mut self, service: &Service, ids: &[u32]) -> Result<(), EbpfError> {
        let rev = rev_nat_index(service.id)?;
        let count = endpoint_count(service)?;
        self.rev_nat.push((rev, reverse_nat(service)));
        for (slot, id) in (1..=count).zip(ids) {
            let value = Lb4Service {
                backend_id: *id,
                rev_nat_index: rev,
                ..Lb4Service::default()
            };
            self.slots.push((service_key(service, slot), value));
        }
        let master = Lb4Service {
            count,
            rev_nat_index: rev,
            ..Lb4Service::default()
        };
        self.masters.push((service_key(service, 0), master));
        Ok(())
    }

    /// Add the deletes of `old`'s keys that `keep` does not hold (a key reused by the new state is
    /// overwritten, not deleted).
    pub fn delete_stale(&mut self, old: &Service, keep: &HashSet<Lb4Key>) {
        for key in service_keys(old).filter(|key| !keep.contains(key)) {
            if key.backend_slot == 0 {
                self.delete_masters.push(key);
            } else {
                self.delete_slots.push(key);
            }
        }
    }
}

/// The layout formula: Σ(1 + E) service entries, N masters, N rev-NAT entries, one backend per
/// distinct (address, port, protocol).
pub fn expected(services: &[Service]) -> ObjectCount {
    let entries: u64 = services.iter().map(|s| 1 + s.endpoints.len() as u64).sum();
    let backends: HashSet<Lb4Backend> = services
        .iter()
        .flat_map(|s| s.endpoints.iter().map(|e| backend(e, s.protocol)))
        .collect();
    ObjectCount::new()
        .with(SERVICE_ENTRIES, entries)
        .with(SERVICES, services.len() as u64)
        .with(BACKENDS, backends.len() as u64)
        .with(REVERSE_NAT, services.len() as u64)
}
