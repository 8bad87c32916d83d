//! The layout formula: what the kernel should hold for a set of Services, per profile.

use crate::fixed;
use crate::profile::Profile;
use std::collections::HashSet;
use svclab_backend::{ObjectCount, Service};

/// Chains holding rules, rules, and named set/map elements. Per Service with E endpoints:
/// 1.33-1.35: 1 + E chains, 2 + 2E rules, 2 elements; 1.36: 1 chain, 1 rule, 2 + E elements;
/// a Service without endpoints: no chain, no rule, 2 elements (ClusterIP + reject). Shared
/// ClusterIPs and endpoints are one element each, as in the kernel's sets.
pub fn expected(profile: Profile, services: &[Service]) -> ObjectCount {
    let (mut chains, mut rules) = fixed::counts(profile);
    let mut cluster_ips = HashSet::new();
    let mut keys = HashSet::new();
    let mut hairpins = HashSet::new();
    for svc in services {
        let e = svc.endpoints.len() as u64;
        cluster_ips.insert(svc.vip);
        keys.insert((svc.vip, svc.protocol, svc.port));
        if e == 0 {
            continue;
        }
        match profile {
            Profile::V133 => {
                chains += 1 + e;
                rules += 2 + 2 * e;
            }
            Profile::V136 => {
                chains += 1;
                rules += 1;
                hairpins.extend(svc.endpoints.iter().map(|ep| (*ep, svc.protocol)));
            }
        }
    }
    let elements = (cluster_ips.len() + keys.len() + hairpins.len()) as u64;
    ObjectCount::new()
        .with("chains", chains)
        .with("rules", rules)
        .with("elements", elements)
}
