//! The renderer against kube-proxy's own expectations and golden files (no root needed).
//! `SVCLAB_UPDATE_GOLDEN=1 cargo test -p svclab-nftables --test render` rewrites the fixtures;
//! review the diff before committing it.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use svclab_backend::{Endpoint, Ipv4Cidr, Protocol, Service, ServiceId};
use svclab_nftables::render::Programmed;
use svclab_nftables::{render_full_sync, Profile, ServiceLayout};

fn ep(a: u8, b: u8, c: u8, d: u8, port: u16) -> Endpoint {
    Endpoint {
        addr: Ipv4Addr::new(a, b, c, d),
        port,
    }
}

/// kube-proxy's test Service ns4/svc4 (TestOverallNFTablesRules), ClusterIP part.
fn svc4() -> Service {
    Service {
        id: ServiceId(4),
        namespace: "ns4".into(),
        name: "svc4".into(),
        port_name: "p80".into(),
        vip: Ipv4Addr::new(172, 30, 0, 44),
        port: 80,
        protocol: Protocol::Tcp,
        endpoints: vec![ep(10, 180, 0, 4, 80), ep(10, 180, 0, 5, 80)],
    }
}

fn cidr() -> Ipv4Cidr {
    "10.0.0.0/8".parse().expect("a CIDR")
}

#[test]
fn kube_proxy_svc4_lines_for_1_33() {
    let text = render_full_sync(Profile::V133, &[svc4()], cidr());
    // TestOverallNFTablesRules (pkg/proxy/nftables/proxier_test.go, before #135800), the lines
    // for svc4 that a ClusterIP Service has (its NodePort/ExternalIP lines are not ours).
    let expected = [
        "add chain ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80",
        "add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 ip daddr 172.30.0.44 ip saddr != 10.0.0.0/8 jump mark-for-masquerade",
        "add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 numgen random mod 2 vmap { 0 : goto endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 , 1 : goto endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 }",
        "add chain ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80",
        "add rule ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 ip saddr 10.180.0.5 jump mark-for-masquerade",
        "add rule ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 meta l4proto tcp dnat to 10.180.0.5:80",
        "add chain ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80",
        "add rule ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 ip saddr 10.180.0.4 jump mark-for-masquerade",
        "add rule ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 meta l4proto tcp dnat to 10.180.0.4:80",
        "add element ip kube-proxy cluster-ips { 172.30.0.44 }",
        "add element ip kube-proxy service-ips { 172.30.0.44 . tcp . 80 : goto service-LAUZTJTB-ns4/svc4/tcp/p80 }",
    ];
    let lines: Vec<&str> = text.lines().collect();
    for line in expected {
        assert!(
            lines.contains(&line),
            "missing: {line}\n--- rendered:\n{text}"
        );
    }
    // The fixed part kube-proxy's baseRules have, for the ClusterIP path.
    for line in [
        "add table ip kube-proxy { comment \"rules for kube-proxy\" ; }",
        "add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips",
        "add rule ip kube-proxy mark-for-masquerade mark set mark or 0x4000",
        "add rule ip kube-proxy masquerading mark and 0x4000 == 0 return",
        "add rule ip kube-proxy masquerading mark set mark xor 0x4000",
        "add rule ip kube-proxy masquerading masquerade fully-random",
        "add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }",
        "add chain ip kube-proxy nat-postrouting { type nat hook postrouting priority 100 ; }",
    ] {
        assert!(
            lines.contains(&line),
            "missing: {line}\n--- rendered:\n{text}"
        );
    }
}

#[test]
fn kube_proxy_1_36_shape() {
    let text = render_full_sync(Profile::V136, &[svc4()], cidr());
    // As `nft list table ip kube-proxy` of a v1.36.2 node shows it, in input syntax.
    for line in [
        "add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 meta l4proto tcp dnat ip addr . port to numgen random mod 2 map { 0 : 10.180.0.4 . 80 , 1 : 10.180.0.5 . 80 }",
        "add element ip kube-proxy hairpin-connections { 10.180.0.4 . 10.180.0.4 . tcp . 80 }",
        "add rule ip kube-proxy services ip daddr @cluster-ips ip saddr != 10.0.0.0/8 mark set mark or 0x4000 comment \"masquerade clusterIP traffic from outside cluster\"",
        "add rule ip kube-proxy masquerading ct status dnat ip saddr . ip daddr . meta l4proto . th dport @hairpin-connections masquerade fully-random",
    ] {
        assert!(text.lines().any(|l| l == line), "missing: {line}\n{text}");
    }
    assert!(
        !text.contains("kube-proxy endpoint-"),
        "no endpoint chains in 1.36:\n{text}"
    );
    assert!(!text.contains("mark-for-masquerade"), "{text}");
}

fn two_services() -> Vec<Service> {
    let mut a = svc4();
    a.id = ServiceId(0);
    let mut b = svc4();
    b.id = ServiceId(1);
    b.name = "web".into();
    b.port_name = "http".into();
    b.vip = Ipv4Addr::new(10, 96, 3, 7);
    b.port = 443;
    b.endpoints = vec![ep(10, 244, 1, 1, 8080)];
    let mut empty = svc4();
    empty.id = ServiceId(2);
    empty.name = "idle".into();
    empty.vip = Ipv4Addr::new(10, 96, 3, 8);
    empty.endpoints.clear();
    vec![a, b, empty]
}

/// Full sync of three Services, then a partial sync: update one, remove one; then one more
/// partial sync (an add) that starts with the deferred deletes.
fn sequence(profile: Profile) -> String {
    let set = two_services();
    let layout = |s: &Service| ServiceLayout::new(s, profile);
    let mut state = Programmed::default();
    let full = state.full(profile, set.iter().map(layout).collect(), cidr());
    let mut out = format!("# full sync\n{}", full.text);
    state.apply(full.change);
    let mut updated = set[1].clone();
    updated.endpoints = vec![ep(10, 244, 1, 2, 8080), ep(10, 244, 1, 3, 8080)];
    let part = state.partial(profile, &[ServiceId(1)], vec![layout(&updated)], cidr());
    out.push_str(&format!("# update endpoints of 1\n{}", part.text));
    state.apply(part.change);
    let part = state.partial(profile, &[ServiceId(0)], vec![], cidr());
    out.push_str(&format!("# remove 0\n{}", part.text));
    state.apply(part.change);
    let part = state.partial(profile, &[], vec![layout(&set[0])], cidr());
    out.push_str(&format!("# add 0 back\n{}", part.text));
    out
}

fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    if std::env::var_os("SVCLAB_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden file");
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (SVCLAB_UPDATE_GOLDEN=1 writes it)", path.display()));
    assert_eq!(actual, expected, "{} differs", path.display());
}

#[test]
fn golden_sequence_1_33() {
    golden("sequence_1.33.nft", &sequence(Profile::V133));
}

#[test]
fn golden_sequence_1_36() {
    golden("sequence_1.36.nft", &sequence(Profile::V136));
}

/// kube-proxy's ns1/svc1 (one endpoint): the 1.37 line DNATs it without a map. The chain name
/// and the numgen form before #140723 are the lines TestOverallNFTablesRules expected for svc1.
#[test]
fn kube_proxy_1_37_single_endpoint_dnat() {
    let mut svc1 = svc4();
    svc1.id = ServiceId(1);
    svc1.namespace = "ns1".into();
    svc1.name = "svc1".into();
    svc1.vip = Ipv4Addr::new(172, 30, 0, 41);
    svc1.endpoints = vec![ep(10, 180, 0, 1, 80)];
    let text = render_full_sync(Profile::V136, &[svc1], cidr());
    let line = "add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 meta l4proto tcp dnat ip addr . port to 10.180.0.1 . 80";
    assert!(text.lines().any(|l| l == line), "missing: {line}\n{text}");
    assert!(!text.contains("numgen"), "{text}");
}
