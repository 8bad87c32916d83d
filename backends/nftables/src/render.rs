//! Transactions as kube-proxy writes them, from what was programmed before.
//!
//! A full sync adds and flushes every chain, flushes the sets and maps and writes everything.
//! A partial sync writes only the changed Services' chains (add + flush + rules) and the element
//! adds and deletes. A chain no longer used is flushed in that transaction and deleted at the
//! start of the next one: kernels before 6.2 notice only after the commit that a flushed chain
//! is no longer referenced, so deleting it in the same transaction can fail.

use crate::fixed;
use crate::layout::ServiceLayout;
use crate::profile::Profile;
use crate::tx::{Element, Tx, Written};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::{BTreeMap, BTreeSet};
use svclab_backend::{Ipv4Cidr, Service, ServiceId};

pub type ElementKey = (&'static str, String);

/// What the kernel was last told, to render partial syncs and deferred deletes.
#[derive(Debug, Default, Clone)]
pub struct Programmed {
    pub layouts: BTreeMap<ServiceId, ServiceLayout>,
    /// How many Services use each element (two Services may share a ClusterIP or an endpoint).
    elements: HashMap<ElementKey, u32>,
    /// Chains flushed by an earlier transaction, deleted at the start of the next.
    pub stale: BTreeSet<String>,
    pub initialized: bool,
}

/// A rendered transaction and how the record changes once it is committed.
pub struct Plan {
    pub text: String,
    pub written: Written,
    pub change: Change,
}

/// Applied to [`Programmed`] only after the kernel accepted the transaction, so a rejected
/// one leaves the record as the kernel still is (and a partial sync copies nothing big).
pub enum Change {
    Replace(Programmed),
    Patch {
        removed: Vec<ServiceId>,
        added: Vec<ServiceLayout>,
        /// New use counts of the elements the transaction touched (0: gone).
        elements: Vec<(ElementKey, u32)>,
        stale: BTreeSet<String>,
    },
}

/// The exact text a full sync of `services` hands `nft -f -` on a fresh table.
pub fn render_full_sync(profile: Profile, services: &[Service], cluster_cidr: Ipv4Cidr) -> String {
    let layouts = services
        .iter()
        .map(|s| ServiceLayout::new(s, profile))
        .collect();
    Programmed::default()
        .full(profile, layouts, cluster_cidr)
        .text
}

impl Programmed {
    /// Delete the chains earlier transactions flushed, unless this one uses them again.
    fn delete_stale(&self, tx: &mut Tx, reused: &HashSet<&str>) {
        for chain in &self.stale {
            if !reused.contains(chain.as_str()) {
                tx.delete_chain(chain);
            }
        }
    }

    /// A full sync to exactly `layouts`.
    pub fn full(&self, profile: Profile, layouts: Vec<ServiceLayout>, cidr: Ipv4Cidr) -> Plan {
        let mut tx = Tx::with_capacity(layouts.len() * 1600 + 4096);
        let wanted: HashSet<&str> = layouts.iter().flat_map(|l| l.chains()).collect();
        self.delete_stale(&mut tx, &wanted);
        fixed::setup(&mut tx, profile, cidr);
        fixed::flush_elements(&mut tx, profile);
        let mut stale = BTreeSet::new();
        for chain in self.layouts.values().flat_map(|l| l.chains()) {
            if !wanted.contains(chain) {
                tx.flush_chain(chain);
                stale.insert(chain.to_string());
            }
        }
        let mut elements: HashMap<ElementKey, u32> =
            HashMap::with_capacity_and_hasher(wanted.len() * 2, Default::default());
        for layout in &layouts {
            layout.write_chains(&mut tx, cidr);
            for e in layout.elements() {
                let count = elements.entry((e.set, e.key.clone())).or_default();
                if *count == 0 {
                    tx.add_element(&e);
                }
                *count += 1;
            }
        }
        drop(wanted);
        let written = tx.written();
        Plan {
            text: tx.into_text(),
            written,
            change: Change::Replace(Programmed {
                layouts: layouts.into_iter().map(|l| (l.service.id, l)).collect(),
                elements,
                stale,
                initialized: true,
            }),
        }
    }

    /// A partial sync: the Services `removed` go (or are replaced), the `added` layouts come.
    pub fn partial(
        &self,
        profile: Profile,
        removed: &[ServiceId],
        added: Vec<ServiceLayout>,
        cidr: Ipv4Cidr,
    ) -> Plan {
        let old: Vec<&ServiceLayout> = removed
            .iter()
            .filter_map(|id| self.layouts.get(id))
            .collect();
        let mut tx = Tx::new();
        let wanted: HashSet<&str> = added.iter().flat_map(|l| l.chains()).collect();
        self.delete_stale(&mut tx, &wanted);
        if !self.initialized {
            fixed::setup(&mut tx, profile, cidr);
        }
        for layout in &added {
            layout.write_chains(&mut tx, cidr);
        }
        let mut stale = BTreeSet::new();
        for chain in old.iter().flat_map(|l| l.chains()) {
            if !wanted.contains(chain) && stale.insert(chain.to_string()) {
                tx.flush_chain(chain);
            }
        }
        let mut counts = Vec::new();
        let mut delta: BTreeMap<ElementKey, (i64, Element)> = BTreeMap::new();
        for e in old.iter().flat_map(|l| l.elements()) {
            delta.entry((e.set, e.key.clone())).or_insert((0, e)).0 -= 1;
        }
        for e in added.iter().flat_map(|l| l.elements()) {
            delta
                .entry((e.set, e.key.clone()))
                .or_insert((0, e.clone()))
                .0 += 1;
            // An add that also appears as a delete keeps the add's value and comment.
            if let Some(entry) = delta.get_mut(&(e.set, e.key.clone())) {
                entry.1 = e;
            }
        }
        for (key, (change, element)) in delta {
            let before = i64::from(self.elements.get(&key).copied().unwrap_or(0));
            let after = (before + change).max(0);
            if before > 0 && after == 0 {
                tx.delete_element(&element);
            } else if before == 0 && after > 0 {
                tx.add_element(&element);
            }
            if before != after {
                counts.push((key, after as u32));
            }
        }
        drop(wanted);
        let written = tx.written();
        Plan {
            text: tx.into_text(),
            written,
            change: Change::Patch {
                removed: removed.to_vec(),
                added,
                elements: counts,
                stale,
            },
        }
    }

    /// Record a committed plan.
    pub fn apply(&mut self, change: Change) {
        match change {
            Change::Replace(next) => *self = next,
            Change::Patch {
                removed,
                added,
                elements,
                stale,
            } => {
                for id in removed {
                    self.layouts.remove(&id);
                }
                for layout in added {
                    self.layouts.insert(layout.service.id, layout);
                }
                for (key, count) in elements {
                    if count == 0 {
                        self.elements.remove(&key);
                    } else {
                        self.elements.insert(key, count);
                    }
                }
                self.stale = stale;
                self.initialized = true;
            }
        }
    }

    /// Only the deferred deletes, for a caller that wants them done now (tests, cleanup checks).
    pub fn stale_only(&self) -> Option<String> {
        if self.stale.is_empty() {
            return None;
        }
        let mut tx = Tx::new();
        self.delete_stale(&mut tx, &HashSet::default());
        Some(tx.into_text())
    }
}

impl Programmed {
    /// Record that the deferred deletes of [`Programmed::stale_only`] were committed.
    pub fn clear_stale(&mut self) {
        self.stale.clear();
    }
}
