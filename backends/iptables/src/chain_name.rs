//! kube-proxy's chain names: `KUBE-SVC-` / `KUBE-SEP-` + the first 16 characters of the base32
//! (standard alphabet) encoding of a SHA-256 over the service port name, protocol and endpoint.

use data_encoding::BASE32;
use sha2::{Digest, Sha256};
use svclab_backend::{Endpoint, Service};

fn hash16(input: &str) -> String {
    let digest = Sha256::digest(input.as_bytes());
    let mut encoded = BASE32.encode(&digest);
    encoded.truncate(16);
    encoded
}

/// `servicePortChainName`: the Service's load-balancing chain.
pub fn service_chain(svc: &Service) -> String {
    let input = format!("{}{}", svc.port_name_string(), svc.protocol.as_str());
    format!("KUBE-SVC-{}", hash16(&input))
}

/// `servicePortEndpointChainName`: one endpoint's DNAT chain.
pub fn endpoint_chain(svc: &Service, ep: &Endpoint) -> String {
    let input = format!("{}{}{}", svc.port_name_string(), svc.protocol.as_str(), ep);
    format!("KUBE-SEP-{}", hash16(&input))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use svclab_backend::{Protocol, ServiceId};

    fn svc() -> Service {
        Service {
            id: ServiceId(0),
            namespace: "ns1".into(),
            name: "svc1".into(),
            port_name: "p80".into(),
            vip: Ipv4Addr::new(172, 30, 0, 41),
            port: 80,
            protocol: Protocol::Tcp,
            endpoints: vec![],
        }
    }

    #[test]
    fn names_match_kube_proxy_fixtures() {
        // kube-proxy's own proxier_test.go expects these names for ns1/svc1:p80 over TCP and
        // the endpoint 10.180.0.1:80.
        assert_eq!(service_chain(&svc()), "KUBE-SVC-XPGD46QRK7WJZT7O");
        let ep = Endpoint {
            addr: Ipv4Addr::new(10, 180, 0, 1),
            port: 80,
        };
        assert_eq!(endpoint_chain(&svc(), &ep), "KUBE-SEP-SXIVWICOYRO3J4NJ");
    }

    #[test]
    fn names_fit_iptables_chain_limit() {
        // iptables chain names are at most 28 characters.
        assert!(service_chain(&svc()).len() <= 28);
    }
}
