//! The Service model every backend programs: a ClusterIP Service port with its endpoints.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::Ipv4Addr;

/// Stable identity of a Service within one lab run (its index in the synthetic set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ServiceId(pub u32);

impl fmt::Display for ServiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "svc-{:05}", self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
}

impl Protocol {
    /// Lower-case name, as kube-proxy and iptables spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }
}

/// One backend pod address of a Service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Endpoint {
    pub addr: Ipv4Addr,
    pub port: u16,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.addr, self.port)
    }
}

/// A ClusterIP Service port: virtual IP and port, protocol, and its endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub id: ServiceId,
    pub namespace: String,
    pub name: String,
    pub port_name: String,
    pub vip: Ipv4Addr,
    pub port: u16,
    pub protocol: Protocol,
    pub endpoints: Vec<Endpoint>,
}

impl Service {
    /// kube-proxy's `ServicePortName.String()`: `namespace/name:port`, the input of its chain
    /// name hashes and the text of its rule comments.
    pub fn port_name_string(&self) -> String {
        if self.port_name.is_empty() {
            format!("{}/{}", self.namespace, self.name)
        } else {
            format!("{}/{}:{}", self.namespace, self.name, self.port_name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_name_string_matches_kube_proxy() {
        let mut svc = Service {
            id: ServiceId(7),
            namespace: "ns".into(),
            name: "web".into(),
            port_name: "http".into(),
            vip: Ipv4Addr::new(10, 96, 0, 1),
            port: 80,
            protocol: Protocol::Tcp,
            endpoints: vec![],
        };
        assert_eq!(svc.port_name_string(), "ns/web:http");
        svc.port_name.clear();
        assert_eq!(svc.port_name_string(), "ns/web");
        assert_eq!(svc.id.to_string(), "svc-00007");
    }
}
