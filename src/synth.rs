//! Deterministic synthetic Services: the same seed gives the same Services on every backend and
//! every run, and a smaller set is always a prefix of a larger one.
//!
//! VIPs are spread over all of 10.96.0.0/12 and over all ports (so hash-based data planes see a
//! realistic spread); endpoints are distinct addresses in 10.244.0.0/16 on port 8080 until the /16
//! runs out, then reuse addresses on further ports.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;
use std::net::Ipv4Addr;
use svclab_backend::{Endpoint, Protocol, Service, ServiceId};

pub const SERVICE_NAMESPACE: &str = "svclab";
pub const ENDPOINT_PORT: u16 = 8080;
/// Endpoints held back for endpoint updates, drawn before any Service so they never collide.
pub const SPARE_ENDPOINTS: usize = 64;
/// Beyond this many distinct addresses, endpoints reuse addresses on other ports.
const DISTINCT_ADDRESSES: usize = 60_000;

/// A generated Service set plus spare endpoints for update measurements.
#[derive(Debug, Clone)]
pub struct SyntheticSet {
    pub services: Vec<Service>,
    pub spare_endpoints: Vec<Endpoint>,
}

/// Generate `count` Services with `endpoints` endpoints each from `seed`.
pub fn generate(seed: u64, count: usize, endpoints: usize) -> SyntheticSet {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut pool = EndpointPool::default();
    let spare_endpoints = (0..SPARE_ENDPOINTS).map(|_| pool.draw(&mut rng)).collect();
    let mut vips = HashSet::new();
    let services = (0..count)
        .map(|i| {
            let vip = draw_vip(&mut rng, &mut vips);
            let port = rng.gen_range(1..=u16::MAX);
            Service {
                id: ServiceId(i as u32),
                namespace: SERVICE_NAMESPACE.into(),
                name: format!("svc-{i:05}"),
                port_name: "http".into(),
                vip,
                port,
                protocol: Protocol::Tcp,
                endpoints: (0..endpoints).map(|_| pool.draw(&mut rng)).collect(),
            }
        })
        .collect();
    SyntheticSet {
        services,
        spare_endpoints,
    }
}

fn draw_vip(rng: &mut ChaCha8Rng, used: &mut HashSet<Ipv4Addr>) -> Ipv4Addr {
    loop {
        // 10.96.0.0/12: the low 20 bits are free; skip .0 and .255 hosts.
        let host: u32 = rng.gen_range(0..(1 << 20));
        let addr = Ipv4Addr::from((10 << 24) | (96 << 16) | host);
        let last = addr.octets()[3];
        if last != 0 && last != 255 && used.insert(addr) {
            return addr;
        }
    }
}

#[derive(Default)]
struct EndpointPool {
    used: HashSet<Endpoint>,
    addresses: HashSet<Ipv4Addr>,
}

impl EndpointPool {
    fn draw(&mut self, rng: &mut ChaCha8Rng) -> Endpoint {
        loop {
            let host: u16 = rng.gen_range(1..u16::MAX);
            let addr = Ipv4Addr::new(10, 244, (host >> 8) as u8, host as u8);
            let port = if self.addresses.len() < DISTINCT_ADDRESSES {
                if self.addresses.contains(&addr) {
                    continue;
                }
                ENDPOINT_PORT
            } else {
                rng.gen_range(ENDPOINT_PORT + 1..=ENDPOINT_PORT + 100)
            };
            let ep = Endpoint { addr, port };
            if self.used.insert(ep) {
                self.addresses.insert(addr);
                return ep;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_services_and_prefix_property() {
        let big = generate(7, 500, 2);
        let small = generate(7, 100, 2);
        assert_eq!(&big.services[..100], &small.services[..]);
        assert_eq!(big.spare_endpoints, small.spare_endpoints);
        assert_ne!(generate(8, 100, 2).services, small.services);
    }

    #[test]
    fn vips_and_endpoints_stay_in_their_ranges_and_are_unique() {
        let set = generate(1, 5000, 3);
        let mut vips = HashSet::new();
        let mut eps = HashSet::new();
        for svc in &set.services {
            let o = svc.vip.octets();
            assert_eq!(o[0], 10);
            assert!((96..112).contains(&o[1]), "{}", svc.vip);
            assert!(vips.insert(svc.vip));
            assert_eq!(svc.endpoints.len(), 3);
            for ep in &svc.endpoints {
                assert_eq!(&ep.addr.octets()[..2], &[10, 244]);
                assert!(eps.insert(*ep));
            }
        }
        for ep in &set.spare_endpoints {
            assert!(eps.insert(*ep), "spare endpoint reused by a service");
        }
    }

    #[test]
    fn spread_covers_all_octets_and_ports() {
        let set = generate(3, 20_000, 2);
        let second: HashSet<u8> = set.services.iter().map(|s| s.vip.octets()[1]).collect();
        assert_eq!(second.len(), 16, "all 16 values of the /12's second octet");
        let third: HashSet<u8> = set.services.iter().map(|s| s.vip.octets()[2]).collect();
        assert_eq!(third.len(), 256);
        let high_ports = set.services.iter().filter(|s| s.port > 32768).count();
        assert!((8_000..12_000).contains(&high_ports), "{high_ports}");
    }

    #[test]
    fn endpoints_beyond_the_slash16_reuse_addresses_on_other_ports() {
        let set = generate(5, 35_000, 2);
        let eps: HashSet<Endpoint> = set
            .services
            .iter()
            .flat_map(|s| s.endpoints.clone())
            .collect();
        assert_eq!(eps.len(), 70_000);
        assert!(eps.iter().any(|e| e.port != ENDPOINT_PORT));
    }
}
