//! What the backend has programmed, and the plans that change it. Pure.
//!
//! Every `plan_*` validates first (ids, frontends, capacity) and only then changes the state, so
//! a refused operation leaves both the state and the kernel as they were.

use crate::abi::Lb4Key;
use crate::backend_ids::BackendIds;
pub use crate::capacity::MapCapacity;
use crate::entries::{self, Plan};
use crate::EbpfError;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::BTreeMap;
use svclab_backend::{Endpoint, Service, ServiceId};

#[derive(Debug)]
pub struct State {
    capacity: MapCapacity,
    services: BTreeMap<ServiceId, Service>,
    frontends: HashMap<Lb4Key, ServiceId>,
    ids: BackendIds,
    service_entries: u64,
}

impl State {
    pub fn new(capacity: MapCapacity) -> Self {
        Self {
            capacity,
            services: BTreeMap::new(),
            frontends: HashMap::default(),
            ids: BackendIds::new(),
            service_entries: 0,
        }
    }

    pub fn capacity(&self) -> MapCapacity {
        self.capacity
    }

    /// A programmed Service, without its names (see [`remembered`]).
    pub fn get(&self, id: ServiceId) -> Result<&Service, EbpfError> {
        self.services
            .get(&id)
            .ok_or(EbpfError::UnknownService { id })
    }

    /// Forget everything (after cleanup, when the maps are gone).
    pub fn clear(&mut self) {
        *self = Self::new(self.capacity);
    }

    /// Replace the whole set: the plan holds every entry of `services` (the backend drops those
    /// the kernel already holds) and the deletes of stale ones.
    pub fn plan_sync(&mut self, services: &[Service]) -> Result<Plan, EbpfError> {
        let mut frontends = HashMap::with_capacity_and_hasher(services.len(), Default::default());
        let mut ids = HashSet::with_capacity_and_hasher(services.len(), Default::default());
        for s in services {
            entries::rev_nat_index(s.id)?;
            entries::endpoint_count(s)?;
            if !ids.insert(s.id) {
                return Err(EbpfError::DuplicateService { id: s.id });
            }
            if let Some(other) = frontends.insert(entries::service_key(s, 0), s.id) {
                return Err(EbpfError::FrontendConflict { id: s.id, other });
            }
        }
        let keep: HashSet<Lb4Key> = services.iter().flat_map(entries::service_keys).collect();
        let stale: u64 = (self.services.values())
            .flat_map(entries::service_keys)
            .filter(|k| !keep.contains(k))
            .count() as u64;
        let retired_rev_nat = self.services.keys().filter(|id| !ids.contains(id)).count();
        self.check(
            entries::SERVICE_ENTRIES,
            keep.len() as u64 + stale,
            self.capacity.service_entries,
        )?;
        self.check(
            entries::REVERSE_NAT,
            (services.len() + retired_rev_nat) as u64,
            self.capacity.rev_nat,
        )?;
        self.check_backends(services.iter().map(|s| (s, s.endpoints.as_slice())))?;

        let old: Vec<Service> = std::mem::take(&mut self.services).into_values().collect();
        let plan = self.build(&old, services, &keep, true)?;
        self.services = services.iter().map(|s| (s.id, remembered(s))).collect();
        self.frontends = frontends;
        self.service_entries = keep.len() as u64;
        Ok(plan)
    }

    pub fn plan_add(&mut self, service: &Service) -> Result<Plan, EbpfError> {
        entries::rev_nat_index(service.id)?;
        entries::endpoint_count(service)?;
        if self.services.contains_key(&service.id) {
            return Err(EbpfError::DuplicateService { id: service.id });
        }
        if let Some(other) = self.frontends.get(&entries::service_key(service, 0)) {
            return Err(EbpfError::FrontendConflict {
                id: service.id,
                other: *other,
            });
        }
        let entries = 1 + service.endpoints.len() as u64;
        self.check(
            entries::SERVICE_ENTRIES,
            self.service_entries + entries,
            self.capacity.service_entries,
        )?;
        self.check(
            entries::REVERSE_NAT,
            self.services.len() as u64 + 1,
            self.capacity.rev_nat,
        )?;
        self.check_backends([(service, service.endpoints.as_slice())].into_iter())?;

        let keep = entries::service_keys(service).collect();
        let plan = self.build(&[], std::slice::from_ref(service), &keep, false)?;
        self.frontends
            .insert(entries::service_key(service, 0), service.id);
        self.services.insert(service.id, remembered(service));
        self.service_entries += entries;
        Ok(plan)
    }

    pub fn plan_remove(&mut self, id: ServiceId) -> Result<Plan, EbpfError> {
        let old = self.get(id)?.clone();
        let plan = self.build(std::slice::from_ref(&old), &[], &HashSet::default(), false)?;
        self.frontends.remove(&entries::service_key(&old, 0));
        self.services.remove(&id);
        self.service_entries -= 1 + old.endpoints.len() as u64;
        Ok(plan)
    }

    pub fn plan_update(
        &mut self,
        id: ServiceId,
        endpoints: &[Endpoint],
    ) -> Result<Plan, EbpfError> {
        let old = self.get(id)?.clone();
        let new = Service {
            endpoints: endpoints.to_vec(),
            ..old.clone()
        };
        entries::endpoint_count(&new)?;
        let grown = endpoints.len().saturating_sub(old.endpoints.len()) as u64;
        self.check(
            entries::SERVICE_ENTRIES,
            self.service_entries + grown,
            self.capacity.service_entries,
        )?;
        self.check_backends([(&new, endpoints)].into_iter())?;

        let keep = entries::service_keys(&new).collect();
        let plan = self.build(
            std::slice::from_ref(&old),
            std::slice::from_ref(&new),
            &keep,
            false,
        )?;
        self.service_entries =
            self.service_entries + endpoints.len() as u64 - old.endpoints.len() as u64;
        self.services.insert(id, new);
        Ok(plan)
    }

    /// Every entry the maps should hold for the programmed set, in plan order: what a write is
    /// diffed against after the kernel's contents became uncertain.
    pub fn wanted(&self) -> Result<Plan, EbpfError> {
        let mut plan = Plan {
            backends: self.ids.iter().collect(),
            ..Plan::default()
        };
        plan.backends.sort_unstable_by_key(|(id, _)| *id);
        for s in self.services.values() {
            // Every endpoint of a programmed Service holds a reference, so each has an id.
            let ids: Vec<u32> = (s.endpoints.iter())
                .filter_map(|e| self.ids.id(&entries::backend(e, s.protocol)))
                .collect();
            debug_assert_eq!(ids.len(), s.endpoints.len(), "an endpoint without an id");
            plan.upsert_service(s, &ids)?;
        }
        Ok(plan)
    }

    /// The plan that retires `old` and writes `new`: references are taken before any is dropped,
    /// so a backend shared by both is neither rewritten nor deleted.
    fn build(
        &mut self,
        old: &[Service],
        new: &[Service],
        keep: &HashSet<Lb4Key>,
        rewrite_backends: bool,
    ) -> Result<Plan, EbpfError> {
        let mut plan = Plan::default();
        let mut written = HashSet::default();
        for s in new {
            let mut slot_ids = Vec::with_capacity(s.endpoints.len());
            for e in &s.endpoints {
                let value = entries::backend(e, s.protocol);
                let (id, created) = self.ids.acquire(value);
                if (created || rewrite_backends) && written.insert(id) {
                    plan.backends.push((id, value));
                }
                slot_ids.push(id);
            }
            plan.upsert_service(s, &slot_ids)?;
        }
        let live: HashSet<ServiceId> = new.iter().map(|s| s.id).collect();
        for s in old {
            for e in &s.endpoints {
                plan.delete_backends
                    .extend(self.ids.release(&entries::backend(e, s.protocol)));
            }
            plan.delete_stale(s, keep);
            if !live.contains(&s.id) {
                plan.delete_rev_nat.push(entries::rev_nat_index(s.id)?);
            }
        }
        self.ids.recycle(&plan.delete_backends);
        Ok(plan)
    }

    fn check(&self, map: &'static str, needed: u64, capacity: u32) -> Result<(), EbpfError> {
        if needed > u64::from(capacity) {
            return Err(EbpfError::CapacityExceeded {
                map,
                needed,
                capacity,
            });
        }
        Ok(())
    }

    /// Backends in use now plus the distinct ones `services` would add.
    fn check_backends<'a>(
        &self,
        services: impl Iterator<Item = (&'a Service, &'a [Endpoint])>,
    ) -> Result<(), EbpfError> {
        let fresh: HashSet<_> = services
            .flat_map(|(s, eps)| eps.iter().map(move |e| entries::backend(e, s.protocol)))
            .filter(|b| !self.ids.contains(b))
            .collect();
        self.check(
            entries::BACKENDS,
            (self.ids.count() + fresh.len()) as u64,
            self.capacity.backends,
        )
    }
}

/// What the state keeps of a Service: its frontend and endpoints, the parts map entries are
/// made of. Its names go in no map, and copying three strings per Service was about a fifth of
/// a 20,000-Service sync's planning time (9.8 -> 7.7 ms).
fn remembered(s: &Service) -> Service {
    Service {
        id: s.id,
        namespace: String::new(),
        name: String::new(),
        port_name: String::new(),
        vip: s.vip,
        port: s.port,
        protocol: s.protocol,
        endpoints: s.endpoints.clone(),
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
