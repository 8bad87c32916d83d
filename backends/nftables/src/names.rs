//! kube-proxy's nftables chain names: `service-` / `endpoint-` + the first 8 characters of the
//! base32 (standard alphabet) encoding of SHA-256 over the unhashed name + `-` + that name, e.g.
//! `service-LAUZTJTB-ns4/svc4/tcp/p80` and `endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80`.

use data_encoding::BASE32;
use sha2::{Digest, Sha256};
use std::fmt::Write;
use svclab_backend::{Endpoint, Service};

/// `prefix` + hash + `-` + `base`. 8 base32 characters are exactly the first 5 digest bytes, so
/// only those are encoded: this runs 60,000 times in a 20,000-Service full sync.
fn hashed(prefix: &str, base: &str) -> String {
    let digest = Sha256::digest(base.as_bytes());
    let mut name = String::with_capacity(prefix.len() + 9 + base.len());
    name.push_str(prefix);
    name.push_str(&BASE32.encode(&digest[..5]));
    name.push('-');
    name.push_str(base);
    name
}

/// kube-proxy's `servicePortChainNameBase`: `namespace/name/protocol/port name`.
pub(crate) fn service_base(svc: &Service) -> String {
    format!(
        "{}/{}/{}/{}",
        svc.namespace,
        svc.name,
        svc.protocol.as_str(),
        svc.port_name
    )
}

/// The Service's chain, `service-<hash>-<ns>/<name>/<proto>/<port name>`.
pub fn service_chain(svc: &Service) -> String {
    hashed("service-", &service_base(svc))
}

/// One endpoint's chain, `endpoint-<hash>-<service base>__<ip>/<port>`.
pub fn endpoint_chain(svc: &Service, ep: &Endpoint) -> String {
    endpoint_chain_from(&service_base(svc), ep)
}

/// [`endpoint_chain`] with the Service's base already computed.
pub(crate) fn endpoint_chain_from(service_base: &str, ep: &Endpoint) -> String {
    let mut base = String::with_capacity(service_base.len() + 24);
    base.push_str(service_base);
    // Writing into a String cannot fail.
    let _ = write!(base, "__{}/{}", ep.addr, ep.port);
    hashed("endpoint-", &base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use svclab_backend::{Protocol, ServiceId};

    #[test]
    fn names_match_kube_proxy_fixtures() {
        // TestOverallNFTablesRules expects these for ns4/svc4:p80 over TCP.
        let svc = Service {
            id: ServiceId(4),
            namespace: "ns4".into(),
            name: "svc4".into(),
            port_name: "p80".into(),
            vip: Ipv4Addr::new(172, 30, 0, 44),
            port: 80,
            protocol: Protocol::Tcp,
            endpoints: vec![],
        };
        assert_eq!(service_chain(&svc), "service-LAUZTJTB-ns4/svc4/tcp/p80");
        let ep = Endpoint {
            addr: Ipv4Addr::new(10, 180, 0, 5),
            port: 80,
        };
        assert_eq!(
            endpoint_chain(&svc, &ep),
            "endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80"
        );
    }
}
