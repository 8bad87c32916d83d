//! kube-proxy's chain names: `KUBE-SVC-` / `KUBE-SEP-` + the first 16 characters of the base32
//! (standard alphabet) encoding of a SHA-256 over the service port name, protocol and endpoint.

use crate::text::push_endpoint;
use data_encoding::BASE32;
use sha2::{Digest, Sha256};
use svclab_backend::{Endpoint, Service};

/// `prefix` + the first 16 base32 characters of SHA-256 over `parts` concatenated. 16 base32
/// characters are exactly the first 10 bytes of the digest (5 bytes make 8 characters), so only
/// those are encoded: this runs 60,000 times in a 20,000-Service full sync.
fn hashed_name(prefix: &str, parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut name = String::with_capacity(prefix.len() + 16);
    name.push_str(prefix);
    name.push_str(&BASE32.encode(&digest[..10]));
    name
}

/// `servicePortChainName`: the Service's load-balancing chain.
pub fn service_chain(svc: &Service) -> String {
    service_chain_named(&svc.port_name_string(), svc)
}

/// `servicePortEndpointChainName`: one endpoint's DNAT chain.
pub fn endpoint_chain(svc: &Service, ep: &Endpoint) -> String {
    endpoint_chain_named(&svc.port_name_string(), svc, ep)
}

/// [`service_chain`] with the port name string already computed.
pub(crate) fn service_chain_named(port_name: &str, svc: &Service) -> String {
    hashed_name(
        "KUBE-SVC-",
        &[port_name.as_bytes(), svc.protocol.as_str().as_bytes()],
    )
}

/// [`endpoint_chain`] with the port name string already computed.
pub(crate) fn endpoint_chain_named(port_name: &str, svc: &Service, ep: &Endpoint) -> String {
    let mut endpoint = String::with_capacity(21);
    push_endpoint(&mut endpoint, ep);
    hashed_name(
        "KUBE-SEP-",
        &[
            port_name.as_bytes(),
            svc.protocol.as_str().as_bytes(),
            endpoint.as_bytes(),
        ],
    )
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
