//! kube-proxy's own expectations, pinned: the nat lines `TestOverallIPTablesRules`
//! (pkg/proxy/iptables/proxier_test.go in kubernetes/kubernetes) expects for its Service
//! ns4/svc4 must appear, byte for byte, in our full restore of that Service. The test's other
//! Services use features the lab does not model (external IPs, load balancers, node ports).

use std::net::Ipv4Addr;
use svclab_backend::{Endpoint, Ipv4Cidr, Protocol, Service, ServiceId};
use svclab_iptables::{render, Layout};

fn svc4() -> Service {
    Service {
        id: ServiceId(4),
        namespace: "ns4".into(),
        name: "svc4".into(),
        port_name: "p80".into(),
        vip: Ipv4Addr::new(172, 30, 0, 44),
        port: 80,
        protocol: Protocol::Tcp,
        endpoints: vec![
            Endpoint {
                addr: Ipv4Addr::new(10, 180, 0, 4),
                port: 80,
            },
            Endpoint {
                addr: Ipv4Addr::new(10, 180, 0, 5),
                port: 80,
            },
        ],
    }
}

/// Copied from the test's expected `*nat` text: every line that concerns ns4/svc4's cluster IP.
const EXPECTED: &str = r#":KUBE-SEP-C6EBXVWJJZMIWKLZ - [0:0]
:KUBE-SEP-UKSFD7AGPMPPLUHC - [0:0]
:KUBE-SVC-4SW47YFZTEDKD3PK - [0:0]
-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK
-A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -s 10.180.0.5 -j KUBE-MARK-MASQ
-A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.5:80
-A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -s 10.180.0.4 -j KUBE-MARK-MASQ
-A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.4:80
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.4:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.5:80" -j KUBE-SEP-C6EBXVWJJZMIWKLZ"#;

#[test]
fn full_restore_holds_every_line_kube_proxy_expects_for_svc4() {
    let cidr: Ipv4Cidr = "10.0.0.0/8".parse().expect("valid CIDR");
    let text = render::full_restore(&[Layout::new(&svc4())], cidr);
    let ours: Vec<&str> = text.lines().collect();
    for line in EXPECTED.lines() {
        assert!(
            ours.contains(&line),
            "kube-proxy expects {line:?}; we wrote:\n{text}"
        );
    }
    // And nothing about svc4 that kube-proxy does not write.
    let about_svc4 = ours
        .iter()
        .filter(|l| l.contains("ns4/svc4") || l.contains("4SW47YFZTEDKD3PK"))
        .count();
    assert_eq!(about_svc4, EXPECTED.lines().count() - 2, "{text}");
}
