//! kube-proxy's IPVS layout, pure: one virtual service per Service port (rr, no persistence),
//! one masqueraded real server of weight 1 per endpoint, and the requests that program it.

use crate::message::{IpvsMessage, RealServer, VirtualService};
use svclab_backend::{Endpoint, ObjectCount, Protocol, Service};

/// kube-proxy's default `--ipvs-scheduler`.
pub const SCHEDULER: &str = "rr";
/// Names of the counts `kernel_objects` reports.
pub const VIRTUAL_SERVICES: &str = "virtual_services";
pub const REAL_SERVERS: &str = "real_servers";

/// The IP protocol number IPVS keys services by.
pub fn protocol_number(p: Protocol) -> u16 {
    match p {
        Protocol::Tcp => 6,  // IPPROTO_TCP
        Protocol::Udp => 17, // IPPROTO_UDP
    }
}

pub fn virtual_service(svc: &Service) -> VirtualService {
    VirtualService::ipv4(protocol_number(svc.protocol), svc.vip, svc.port, SCHEDULER)
}

pub fn real_server(ep: &Endpoint) -> RealServer {
    RealServer::masq_ipv4(ep.addr, ep.port)
}

/// NEW_SERVICE, then NEW_DEST for each endpoint: what adding one Service takes.
pub fn add_requests(svc: &Service) -> Vec<IpvsMessage> {
    let vs = virtual_service(svc);
    let mut reqs = vec![IpvsMessage::new_service(&vs)];
    reqs.extend(
        svc.endpoints
            .iter()
            .map(|ep| IpvsMessage::new_dest(&vs, &real_server(ep))),
    );
    reqs
}

/// DEL_SERVICE: the kernel drops the service's real servers with it.
pub fn remove_requests(svc: &Service) -> Vec<IpvsMessage> {
    vec![IpvsMessage::del_service(&virtual_service(svc))]
}

/// DEL_DEST for endpoints that went away, then NEW_DEST for new ones; unchanged ones stay
/// (kube-proxy's syncEndpoint does the same diff).
pub fn update_requests(old: &Service, endpoints: &[Endpoint]) -> Vec<IpvsMessage> {
    let vs = virtual_service(old);
    let gone = old.endpoints.iter().filter(|e| !endpoints.contains(e));
    let new = endpoints.iter().filter(|e| !old.endpoints.contains(e));
    gone.map(|ep| IpvsMessage::del_dest(&vs, &real_server(ep)))
        .chain(new.map(|ep| IpvsMessage::new_dest(&vs, &real_server(ep))))
        .collect()
}

/// What the kernel should list for `services`.
pub fn expected(services: &[Service]) -> ObjectCount {
    let dests: usize = services.iter().map(|s| distinct(&s.endpoints)).sum();
    ObjectCount::new()
        .with(VIRTUAL_SERVICES, services.len() as u64)
        .with(REAL_SERVERS, dests as u64)
}

/// IPVS keys real servers by address and port: repeated endpoints are one real server.
fn distinct(endpoints: &[Endpoint]) -> usize {
    let mut seen = endpoints.to_vec();
    seen.sort_by_key(|e| (e.addr, e.port));
    seen.dedup();
    seen.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::IpvsCmd;
    use std::net::Ipv4Addr;
    use svclab_backend::ServiceId;

    fn service(endpoints: &[(u8, u16)]) -> Service {
        Service {
            id: ServiceId(1),
            namespace: "ns".into(),
            name: "web".into(),
            port_name: "http".into(),
            vip: Ipv4Addr::new(10, 96, 0, 10),
            port: 80,
            protocol: Protocol::Tcp,
            endpoints: endpoints
                .iter()
                .map(|(last, port)| Endpoint {
                    addr: Ipv4Addr::new(10, 244, 0, *last),
                    port: *port,
                })
                .collect(),
        }
    }

    #[test]
    fn kube_proxy_layout() {
        let vs = virtual_service(&service(&[]));
        assert_eq!(
            (vs.sched_name.as_str(), vs.flags, vs.timeout, vs.netmask),
            ("rr", 0, 0, u32::MAX)
        );
        let rs = real_server(&Endpoint {
            addr: Ipv4Addr::new(10, 244, 0, 2),
            port: 8080,
        });
        assert_eq!((rs.fwd_method, rs.weight), (0, 1)); // IP_VS_CONN_F_MASQ, weight 1
    }

    #[test]
    fn requests_per_operation() {
        let s = service(&[(2, 8080), (3, 8080)]);
        let cmds = |r: Vec<IpvsMessage>| r.iter().map(|m| m.cmd).collect::<Vec<_>>();
        assert_eq!(
            cmds(add_requests(&s)),
            [IpvsCmd::NewService, IpvsCmd::NewDest, IpvsCmd::NewDest]
        );
        assert_eq!(cmds(remove_requests(&s)), [IpvsCmd::DelService]);
        let new = [
            s.endpoints[1],
            Endpoint {
                addr: Ipv4Addr::new(10, 244, 0, 9),
                port: 8080,
            },
        ];
        let update = update_requests(&s, &new);
        assert_eq!(cmds(update.clone()), [IpvsCmd::DelDest, IpvsCmd::NewDest]);
        assert!(update[0].describe().ends_with("-> 10.244.0.2:8080"));
        assert!(update[1].describe().ends_with("-> 10.244.0.9:8080"));
    }

    #[test]
    fn expected_counts() {
        let c = expected(&[service(&[(2, 80), (3, 80)]), service(&[(4, 80), (4, 80)])]);
        assert_eq!(c.get(VIRTUAL_SERVICES), Some(2));
        assert_eq!(c.get(REAL_SERVERS), Some(3));
    }
}
