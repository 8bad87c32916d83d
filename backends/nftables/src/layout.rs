//! What one Service writes in each layout: its chains with their rules, and its set and map
//! elements. Names are computed once per Service (hashing is most of the rendering cost).

use crate::fixed::{
    CLUSTER_IPS, HAIRPIN, MARK_MASQ, NO_ENDPOINT_SERVICES, REJECT_CHAIN, SERVICE_IPS,
};
use crate::names::{endpoint_chain_from, service_base};
use crate::profile::Profile;
use crate::tx::{Element, Tx};
use std::fmt::Write;
use svclab_backend::{Endpoint, Ipv4Cidr, Service};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceLayout {
    pub service: Service,
    pub profile: Profile,
    /// `service-<hash>-...`; `None` for a Service without endpoints (it only gets a reject).
    pub service_chain: Option<String>,
    /// `endpoint-<hash>-...`, in endpoint order (older layout only).
    pub endpoint_chains: Vec<String>,
}

impl ServiceLayout {
    pub fn new(service: &Service, profile: Profile) -> Self {
        let base = service_base(service);
        let has_endpoints = !service.endpoints.is_empty();
        let service_chain = has_endpoints.then(|| crate::names::service_chain(service));
        let endpoint_chains = if profile.endpoint_chains() {
            service
                .endpoints
                .iter()
                .map(|ep| endpoint_chain_from(&base, ep))
                .collect()
        } else {
            Vec::new()
        };
        Self {
            service: service.clone(),
            profile,
            service_chain,
            endpoint_chains,
        }
    }

    /// Every chain this Service owns.
    pub fn chains(&self) -> impl Iterator<Item = &str> {
        self.service_chain
            .iter()
            .chain(self.endpoint_chains.iter())
            .map(String::as_str)
    }

    /// Add and flush its chains, then write their rules. Chains first, so the Service chain's
    /// verdict map never names a chain the transaction has not declared yet.
    pub fn write_chains(&self, tx: &mut Tx, cluster_cidr: Ipv4Cidr) {
        let Some(service_chain) = &self.service_chain else {
            return;
        };
        for chain in self.chains() {
            tx.ensure_chain(chain);
        }
        let svc = &self.service;
        let proto = svc.protocol.as_str();
        let mut rule = String::with_capacity(160);
        match self.profile {
            Profile::V133 => {
                let _ = write!(
                    rule,
                    "ip daddr {} ip saddr != {cluster_cidr} jump {MARK_MASQ}",
                    svc.vip
                );
                tx.add_rule(service_chain, &rule);
                rule.clear();
                let _ = write!(rule, "numgen random mod {} vmap {{ ", svc.endpoints.len());
                for (i, chain) in self.endpoint_chains.iter().enumerate() {
                    let sep = if i == 0 { "" } else { " , " };
                    let _ = write!(rule, "{sep}{i} : goto {chain}");
                }
                rule.push_str(" }");
                tx.add_rule(service_chain, &rule);
                for (ep, chain) in svc.endpoints.iter().zip(&self.endpoint_chains) {
                    rule.clear();
                    let _ = write!(rule, "ip saddr {} jump {MARK_MASQ}", ep.addr);
                    tx.add_rule(chain, &rule);
                    rule.clear();
                    let _ = write!(rule, "meta l4proto {proto} dnat to {}:{}", ep.addr, ep.port);
                    tx.add_rule(chain, &rule);
                }
            }
            Profile::V136 => {
                single_or_numgen_dnat(&mut rule, proto, &svc.endpoints);
                tx.add_rule(service_chain, &rule);
            }
        }
    }

    /// Its elements in the shared sets and maps.
    pub fn elements(&self) -> Vec<Element> {
        let svc = &self.service;
        let proto = svc.protocol.as_str();
        let key = format!("{} . {proto} . {}", svc.vip, svc.port);
        let mut out = vec![Element {
            set: CLUSTER_IPS,
            key: svc.vip.to_string(),
            comment: None,
            value: None,
        }];
        match &self.service_chain {
            Some(chain) => out.push(Element {
                set: SERVICE_IPS,
                key,
                comment: None,
                value: Some(format!("goto {chain}")),
            }),
            None => out.push(Element {
                set: NO_ENDPOINT_SERVICES,
                key,
                comment: Some(svc.port_name_string()),
                value: Some(format!("goto {REJECT_CHAIN}")),
            }),
        }
        if self.profile == Profile::V136 {
            for ep in &svc.endpoints {
                out.push(Element {
                    set: HAIRPIN,
                    key: format!("{0} . {0} . {proto} . {1}", ep.addr, ep.port),
                    comment: None,
                    value: None,
                });
            }
        }
        out
    }
}

/// The 1.36 line's DNAT rule. One endpoint: a plain DNAT to it, no anonymous map (kube-proxy
/// 1.37, #140723: every map in the table makes each later rule add slower). More: `numgen random
/// mod E map`. On IPv4 the one-endpoint text is the same kernel rule as `dnat to A:P` (nft lists
/// it so; `nft --debug=netlink` shows the same five expressions), whatever spelling #140960 chose
/// for IPv6.
fn single_or_numgen_dnat(rule: &mut String, proto: &str, endpoints: &[Endpoint]) {
    if let [ep] = endpoints {
        let _ = write!(
            rule,
            "meta l4proto {proto} dnat ip addr . port to {} . {}",
            ep.addr, ep.port
        );
        return;
    }
    let _ = write!(
        rule,
        "meta l4proto {proto} dnat ip addr . port to numgen random mod {} map {{ ",
        endpoints.len()
    );
    for (i, ep) in endpoints.iter().enumerate() {
        let sep = if i == 0 { "" } else { " , " };
        let _ = write!(rule, "{sep}{i} : {} . {}", ep.addr, ep.port);
    }
    rule.push_str(" }");
}
