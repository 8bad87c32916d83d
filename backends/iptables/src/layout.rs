//! A Service with its kube-proxy names computed once, as kube-proxy caches them in its service
//! map: hashing chain names is the costliest part of rendering, and partial syncs reuse them.

use crate::chain_name::{endpoint_chain_named, service_chain_named};
use svclab_backend::Service;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub service: Service,
    /// `namespace/name:port`, the text of rule comments.
    pub name: String,
    /// KUBE-SVC-*.
    pub svc_chain: String,
    /// KUBE-SEP-*, one per endpoint, in endpoint order.
    pub sep_chains: Vec<String>,
}

impl Layout {
    pub fn new(service: &Service) -> Self {
        let name = service.port_name_string();
        Self {
            svc_chain: service_chain_named(&name, service),
            sep_chains: service
                .endpoints
                .iter()
                .map(|ep| endpoint_chain_named(&name, service, ep))
                .collect(),
            service: service.clone(),
            name,
        }
    }

    /// The user-defined chains this Service owns (none without endpoints: kube-proxy writes no
    /// nat rules for such a Service).
    pub fn chains(&self) -> Vec<String> {
        if self.service.endpoints.is_empty() {
            return Vec::new();
        }
        let mut chains = Vec::with_capacity(1 + self.sep_chains.len());
        chains.push(self.svc_chain.clone());
        chains.extend(self.sep_chains.iter().cloned());
        chains
    }
}
