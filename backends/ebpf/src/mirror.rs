//! What the kernel's maps hold: the entries this backend last wrote, or read back from the
//! kernel after a write that may have stopped part-way. Pure.
//!
//! Plans are diffed against it before they are written, so an entry that already holds its value
//! is never written again. That matters beyond cost: updating an existing key of a BPF hash map
//! allocates a new element and recycles the old one at once (kernel/bpf/hashtab.c,
//! `htab_map_update_elem`), so a connect() that has just looked the key up may read another
//! key's value. Cilium's reconciler, Calico's CachingMap and Katran all write only differences.

use crate::abi::{Lb4Backend, Lb4Key, Lb4ReverseNat, Lb4Service};
use crate::entries::Plan;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::hash::Hash;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Mirror {
    pub services: HashMap<Lb4Key, Lb4Service>,
    pub backends: HashMap<u32, Lb4Backend>,
    pub rev_nat: HashMap<u16, Lb4ReverseNat>,
}

impl Mirror {
    /// Entries held, over the three maps.
    pub fn len(&self) -> usize {
        self.services.len() + self.backends.len() + self.rev_nat.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drop from `plan` every upsert whose key already holds that value and every delete of a
    /// key that is not there; the order of what remains is kept.
    pub fn diff(&self, plan: &mut Plan) {
        changed(&self.backends, &mut plan.backends);
        changed(&self.services, &mut plan.slots);
        changed(&self.rev_nat, &mut plan.rev_nat);
        changed(&self.services, &mut plan.masters);
        present(&self.services, &mut plan.delete_masters);
        present(&self.services, &mut plan.delete_slots);
        present(&self.rev_nat, &mut plan.delete_rev_nat);
        present(&self.backends, &mut plan.delete_backends);
    }

    /// Add to `plan` (a plan of every wanted entry) the deletes of whatever the mirror holds
    /// beyond it: Cilium's prune after a dump.
    pub fn prune_into(&self, plan: &mut Plan) {
        let wanted: HashSet<Lb4Key> = (plan.slots.iter().chain(&plan.masters))
            .map(|(k, _)| *k)
            .collect();
        let mut stale: Vec<Lb4Key> = (self.services.keys())
            .filter(|k| !wanted.contains(k))
            .copied()
            .collect();
        stale.sort_unstable(); // a deterministic order, masters of a VIP before its slots
        for key in stale {
            if key.backend_slot == 0 {
                plan.delete_masters.push(key);
            } else {
                plan.delete_slots.push(key);
            }
        }
        plan.delete_rev_nat
            .extend(surplus(&self.rev_nat, plan.rev_nat.iter().map(|(k, _)| *k)));
        plan.delete_backends.extend(surplus(
            &self.backends,
            plan.backends.iter().map(|(k, _)| *k),
        ));
    }

    /// Take in a plan the kernel has carried out in full.
    pub fn record(&mut self, plan: &Plan) {
        self.backends.extend(plan.backends.iter().copied());
        self.services.extend(plan.slots.iter().copied());
        self.rev_nat.extend(plan.rev_nat.iter().copied());
        self.services.extend(plan.masters.iter().copied());
        for key in plan.delete_masters.iter().chain(&plan.delete_slots) {
            self.services.remove(key);
        }
        for key in &plan.delete_rev_nat {
            self.rev_nat.remove(key);
        }
        for key in &plan.delete_backends {
            self.backends.remove(key);
        }
    }
}

fn changed<K: Hash + Eq, V: PartialEq>(held: &HashMap<K, V>, upserts: &mut Vec<(K, V)>) {
    upserts.retain(|(k, v)| held.get(k) != Some(v));
}

fn present<K: Hash + Eq, V>(held: &HashMap<K, V>, deletes: &mut Vec<K>) {
    deletes.retain(|k| held.contains_key(k));
}

fn surplus<K: Hash + Eq + Ord + Copy, V>(
    held: &HashMap<K, V>,
    wanted: impl Iterator<Item = K>,
) -> Vec<K> {
    let wanted: HashSet<K> = wanted.collect();
    let mut out: Vec<K> = held
        .keys()
        .filter(|k| !wanted.contains(k))
        .copied()
        .collect();
    out.sort_unstable();
    out
}

#[cfg(test)]
#[path = "mirror_tests.rs"]
mod tests;
