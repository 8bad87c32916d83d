//! What a full sync into empty maps writes, as `map key -> value` lines a person can read (for
//! `svclab render`), in the order the writer applies them. Pure.

use crate::abi::{Lb4Backend, Lb4Key, Lb4ReverseNat, Lb4Service};
use crate::entries::Plan;
use crate::{EbpfError, MapCapacity, State};
use std::fmt::Write;
use std::net::Ipv4Addr;
use svclab_backend::Service;

/// The map entries a full sync of `services` into empty maps writes.
pub fn full_sync_text(services: &[Service]) -> Result<String, EbpfError> {
    let endpoints = services
        .iter()
        .map(|s| s.endpoints.len())
        .max()
        .unwrap_or(1);
    let capacity = MapCapacity::for_services(services.len().max(1) as u32, endpoints.max(1) as u32);
    let plan = State::new(capacity).plan_sync(services)?;
    Ok(plan_text(&plan))
}

fn plan_text(plan: &Plan) -> String {
    let mut out = String::new();
    for (id, be) in &plan.backends {
        let _ = writeln!(out, "LB4_BACKENDS {id} -> {}", backend(be));
    }
    for (index, rev) in &plan.rev_nat {
        let _ = writeln!(out, "LB4_REVERSE_NAT {index} -> {}", reverse_nat(rev));
    }
    for (key, value) in plan.slots.iter().chain(&plan.masters) {
        let _ = writeln!(
            out,
            "LB4_SERVICES {} -> {}",
            service_key(key),
            service(value)
        );
    }
    out
}

fn ip(be32: u32) -> Ipv4Addr {
    Ipv4Addr::from(be32.to_ne_bytes())
}

fn port(be16: u16) -> u16 {
    u16::from_be(be16)
}

fn service_key(key: &Lb4Key) -> String {
    format!(
        "{{address {}, dport {}, proto {}, backend_slot {}}}",
        ip(key.address),
        port(key.dport),
        key.proto,
        key.backend_slot
    )
}

fn service(value: &Lb4Service) -> String {
    format!(
        "{{backend_id {}, count {}, rev_nat_index {}, flags {:#x}}}",
        value.backend_id, value.count, value.rev_nat_index, value.flags
    )
}

fn backend(be: &Lb4Backend) -> String {
    format!(
        "{{address {}, port {}, proto {}, flags {:#x}}}",
        ip(be.address),
        port(be.port),
        be.proto,
        be.flags
    )
}

fn reverse_nat(rev: &Lb4ReverseNat) -> String {
    format!("{{address {}, port {}}}", ip(rev.address), port(rev.port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use svclab_backend::{Endpoint, Protocol, ServiceId};

    #[test]
    fn one_service_is_backends_rev_nat_slots_then_master() {
        let svc = Service {
            id: ServiceId(0),
            namespace: "ns".into(),
            name: "web".into(),
            port_name: "http".into(),
            vip: Ipv4Addr::new(10, 96, 0, 1),
            port: 80,
            protocol: Protocol::Tcp,
            endpoints: vec![
                Endpoint {
                    addr: Ipv4Addr::new(10, 244, 0, 2),
                    port: 8080,
                },
                Endpoint {
                    addr: Ipv4Addr::new(10, 244, 0, 3),
                    port: 8080,
                },
            ],
        };
        let text = full_sync_text(&[svc]).expect("render");
        let maps: Vec<&str> = text
            .lines()
            .map(|l| l.split(' ').next().unwrap_or(""))
            .collect();
        assert_eq!(
            maps,
            [
                "LB4_BACKENDS",
                "LB4_BACKENDS",
                "LB4_REVERSE_NAT",
                "LB4_SERVICES",
                "LB4_SERVICES",
                "LB4_SERVICES"
            ],
            "{text}"
        );
        assert!(
            text.contains("{address 10.244.0.2, port 8080, proto 6"),
            "{text}"
        );
        assert!(
            text.lines().last().is_some_and(
                |l| l.contains("dport 80, proto 6, backend_slot 0}") && l.contains("count 2")
            ),
            "{text}"
        );
    }
}
