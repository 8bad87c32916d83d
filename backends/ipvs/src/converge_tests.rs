use super::*;
use std::net::Ipv4Addr;
use svclab_backend::{Endpoint, Protocol, ServiceId};

fn service(id: u32, last: u8, endpoints: &[u8]) -> Service {
    Service {
        id: ServiceId(id),
        namespace: "ns".into(),
        name: format!("svc{id}"),
        port_name: "http".into(),
        vip: Ipv4Addr::new(10, 96, 0, last),
        port: 80,
        protocol: Protocol::Tcp,
        endpoints: endpoints
            .iter()
            .map(|e| Endpoint {
                addr: Ipv4Addr::new(10, 244, 0, *e),
                port: 8080,
            })
            .collect(),
    }
}

/// The kernel's listing of `services` as a dump returns it (HASHED set on every service).
fn listed(services: &[Service]) -> KernelTable {
    services
        .iter()
        .map(|s| {
            let mut vs = virtual_service(s);
            vs.flags |= IP_VS_SVC_F_HASHED;
            let dests = s.endpoints.iter().map(real_server).collect();
            (vs, Some(dests))
        })
        .collect()
}

fn described(reqs: &[IpvsMessage]) -> Vec<String> {
    reqs.iter()
        .map(|r| r.describe().replace("IPVS_CMD_", ""))
        .collect()
}

#[test]
fn an_empty_kernel_gets_everything() {
    let want = [service(1, 1, &[2, 3])];
    assert_eq!(
        described(&requests(&Vec::new(), &want)),
        [
            "NEW_SERVICE 10.96.0.1:80/tcp",
            "NEW_DEST 10.96.0.1:80/tcp -> 10.244.0.2:8080",
            "NEW_DEST 10.96.0.1:80/tcp -> 10.244.0.3:8080",
        ]
    );
}

#[test]
fn a_kernel_that_already_matches_gets_nothing() {
    let want = [service(1, 1, &[2, 3]), service(2, 2, &[4])];
    assert!(requests(&listed(&want), &want).is_empty());
}

#[test]
fn only_the_differences_are_sent_and_deletions_come_last() {
    let before = [
        service(1, 1, &[2, 3]),
        service(2, 2, &[4]),
        service(3, 3, &[5]),
    ];
    let after = [
        service(1, 1, &[3, 9]),
        service(3, 3, &[5]),
        service(4, 4, &[6]),
    ];
    assert_eq!(
        described(&requests(&listed(&before), &after)),
        [
            "DEL_DEST 10.96.0.1:80/tcp -> 10.244.0.2:8080",
            "NEW_DEST 10.96.0.1:80/tcp -> 10.244.0.9:8080",
            "NEW_SERVICE 10.96.0.4:80/tcp",
            "NEW_DEST 10.96.0.4:80/tcp -> 10.244.0.6:8080",
            "DEL_SERVICE 10.96.0.2:80/tcp",
        ]
    );
}

#[test]
fn changed_options_and_weights_are_set_in_place() {
    let want = [service(1, 1, &[2])];
    let mut kernel = listed(&want);
    kernel[0].0.sched_name = "wrr".into();
    if let Some(dests) = kernel[0].1.as_mut() {
        dests[0].weight = 0; // kube-proxy's graceful termination leaves weight 0 behind
    }
    assert_eq!(
        described(&requests(&kernel, &want)),
        [
            "SET_SERVICE 10.96.0.1:80/tcp",
            "SET_DEST 10.96.0.1:80/tcp -> 10.244.0.2:8080",
        ]
    );
}

#[test]
fn repeated_endpoints_are_one_real_server() {
    let want = [service(1, 1, &[2, 2])];
    assert_eq!(requests(&Vec::new(), &want).len(), 2);
    assert!(requests(&listed(&[service(1, 1, &[2])]), &want).is_empty());
}

#[test]
fn services_not_dumped_in_full_are_only_deleted() {
    let kernel = vec![(virtual_service(&service(7, 7, &[])), None)];
    assert_eq!(
        described(&requests(&kernel, &[])),
        ["DEL_SERVICE 10.96.0.7:80/tcp"]
    );
    assert!(
        wanted(&[service(1, 1, &[])]).contains(&service_key(&virtual_service(&service(
            1,
            1,
            &[2]
        ))))
    );
}
