//! Pure rendering of kube-proxy's nat-table layout as `iptables-restore` input.
//!
//! The text follows kube-proxy's iptables proxier for ClusterIP Services with cluster traffic
//! policy: per Service, 1 rule in KUBE-SERVICES, 1 masquerade-mark rule and E load-balancing rules
//! in KUBE-SVC-*, and 2 rules in each of its E KUBE-SEP-* chains: 3E + 2 rules. Rendering writes
//! straight into one `String` with `push_str` because at 20,000 Services it is 160,000 rules, and this work sits in
//! front of every full sync.

use crate::layout::Layout;
use crate::text::{push_endpoint, push_ip, push_num};
use svclab_backend::Ipv4Cidr;

/// Chains kube-proxy always owns in the nat table, besides the per-Service ones.
pub const FIXED_CHAINS: [&str; 4] = [
    "KUBE-SERVICES",
    "KUBE-NODEPORTS",
    "KUBE-POSTROUTING",
    "KUBE-MARK-MASQ",
];

/// Rules outside the per-Service chains: 3 jumps from built-in chains, 3 in KUBE-POSTROUTING,
/// 1 in KUBE-MARK-MASQ, and the nodeports rule at the end of KUBE-SERVICES.
pub const FIXED_RULES: u64 = 8;

/// Built-in nat chains (present in every `iptables-save -t nat`).
pub const BUILTIN_CHAINS: [&str; 4] = ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"];

/// kube-proxy's rule count for one Service with `endpoints` endpoints (no rules without any).
pub fn rules_per_service(endpoints: usize) -> u64 {
    if endpoints == 0 {
        0
    } else {
        3 * endpoints as u64 + 2
    }
}

/// User-defined chains one Service needs: its KUBE-SVC and one KUBE-SEP per endpoint.
pub fn chains_per_service(endpoints: usize) -> u64 {
    if endpoints == 0 {
        0
    } else {
        1 + endpoints as u64
    }
}

/// `computeProbability`: endpoint i of n is chosen with 1/(n-i), printed with 10 decimals.
pub fn probability(remaining: usize) -> String {
    format!("{:.10}", 1.0 / remaining as f64)
}

/// Rules in [`full_restore`]'s output for `layouts`, without scanning the text (which at 20,000
/// Services is 11 MB the lab's timed call would otherwise read once more).
pub fn full_restore_rules(layouts: &[Layout]) -> u64 {
    FIXED_RULES
        + layouts
            .iter()
            .map(|l| rules_per_service(l.service.endpoints.len()))
            .sum::<u64>()
}

/// Full sync input: the whole nat table, to be loaded without `--noflush` (replaces the table).
/// Traffic to a VIP from outside `cluster_cidr` (kube-proxy's `--cluster-cidr`) is masqueraded.
pub fn full_restore(layouts: &[Layout], cluster_cidr: Ipv4Cidr) -> String {
    let mut out = String::with_capacity(256 + layouts.len() * 1200);
    out.push_str("*nat\n");
    for chain in BUILTIN_CHAINS {
        push_chain_line(&mut out, chain, "ACCEPT");
    }
    write_fixed_chain_lines(&mut out);
    for layout in layouts {
        write_service_chain_lines(&mut out, layout);
    }
    write_builtin_jumps(&mut out);
    write_fixed_rules(&mut out);
    write_kube_services(&mut out, layouts.iter());
    for layout in layouts {
        write_service_rules(&mut out, layout, cluster_cidr);
    }
    out.push_str("COMMIT\n");
    out
}

/// What a partial sync changes, as kube-proxy's `--noflush` restore does it.
pub struct PartialSync<'a> {
    /// Every Service programmed after this sync: KUBE-SERVICES is always rewritten in full.
    pub all: &'a [&'a Layout],
    /// Services whose KUBE-SVC/KUBE-SEP chains are (re)written.
    pub changed: &'a [&'a Layout],
    /// Chains to flush and delete (Services removed, endpoints gone).
    pub deleted_chains: &'a [String],
    /// kube-proxy's `--cluster-cidr`.
    pub cluster_cidr: Ipv4Cidr,
}

/// Partial sync input for `iptables-restore --noflush`: fixed chains and every changed Service's
/// chains are declared (which flushes them) and rewritten, stale chains flushed and deleted;
/// chains of unchanged Services and the built-in chains are left alone.
pub fn partial_restore(sync: &PartialSync<'_>) -> String {
    let mut out = String::with_capacity(256 + sync.all.len() * 160 + sync.changed.len() * 1200);
    out.push_str("*nat\n");
    write_fixed_chain_lines(&mut out);
    for layout in sync.changed {
        write_service_chain_lines(&mut out, layout);
    }
    for chain in sync.deleted_chains {
        push_chain_line(&mut out, chain, "-");
    }
    write_fixed_rules(&mut out);
    write_kube_services(&mut out, sync.all.iter().copied());
    for layout in sync.changed {
        write_service_rules(&mut out, layout, sync.cluster_cidr);
    }
    for chain in sync.deleted_chains {
        out.push_str("-X ");
        out.push_str(chain);
        out.push('\n');
    }
    out.push_str("COMMIT\n");
    out
}

/// The rule in KUBE-SERVICES that sends a Service's VIP:port to its KUBE-SVC chain.
pub fn kube_services_rule(layout: &Layout) -> String {
    let mut out = String::new();
    write_kube_services_rule(&mut out, layout);
    out
}

/// The rules of a Service's own chains (KUBE-SVC then each KUBE-SEP), one line each.
pub fn service_rules(layout: &Layout, cluster_cidr: Ipv4Cidr) -> String {
    let mut out = String::new();
    write_service_rules(&mut out, layout, cluster_cidr);
    out
}

fn push_chain_line(out: &mut String, chain: &str, policy: &str) {
    out.push(':');
    out.push_str(chain);
    out.push(' ');
    out.push_str(policy);
    out.push_str(" [0:0]\n");
}

fn write_fixed_chain_lines(out: &mut String) {
    for chain in FIXED_CHAINS {
        push_chain_line(out, chain, "-");
    }
}

fn write_service_chain_lines(out: &mut String, layout: &Layout) {
    for chain in layout.chains() {
        push_chain_line(out, &chain, "-");
    }
}

fn write_builtin_jumps(out: &mut String) {
    // kube-proxy installs these with `iptables -I` once; a full restore must carry them.
    out.push_str(
        "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n\
         -A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n\
         -A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING\n",
    );
}

fn write_fixed_rules(out: &mut String) {
    out.push_str(
        "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN\n\
         -A KUBE-POSTROUTING -j MARK --xor-mark 0x4000\n\
         -A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully\n\
         -A KUBE-MARK-MASQ -j MARK --or-mark 0x4000\n",
    );
}

fn write_kube_services<'a>(out: &mut String, layouts: impl Iterator<Item = &'a Layout>) {
    for layout in layouts {
        write_kube_services_rule(out, layout);
    }
    out.push_str(
        "-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS\n",
    );
}

/// `-m comment --comment "NAME SUFFIX" -m PROTO -p PROTO -d VIP --dport PORT` (no newline).
fn push_vip_match(out: &mut String, layout: &Layout) {
    let svc = &layout.service;
    let proto = svc.protocol.as_str();
    out.push_str(" -m comment --comment \"");
    out.push_str(&layout.name);
    out.push_str(" cluster IP\" -m ");
    out.push_str(proto);
    out.push_str(" -p ");
    out.push_str(proto);
    out.push_str(" -d ");
    push_ip(out, svc.vip);
    out.push_str(" --dport ");
    push_num(out, svc.port);
}

fn write_kube_services_rule(out: &mut String, layout: &Layout) {
    if layout.service.endpoints.is_empty() {
        // kube-proxy sends such Services to a REJECT in the filter table, nothing in nat.
        return;
    }
    out.push_str("-A KUBE-SERVICES");
    push_vip_match(out, layout);
    out.push_str(" -j ");
    out.push_str(&layout.svc_chain);
    out.push('\n');
}

fn write_service_rules(out: &mut String, layout: &Layout, cluster_cidr: Ipv4Cidr) {
    let svc = &layout.service;
    if svc.endpoints.is_empty() {
        return;
    }
    let proto = svc.protocol.as_str();
    out.push_str("-A ");
    out.push_str(&layout.svc_chain);
    push_vip_match(out, layout);
    out.push_str(" ! -s ");
    push_ip(out, cluster_cidr.addr());
    out.push('/');
    push_num(out, cluster_cidr.prefix());
    out.push_str(" -j KUBE-MARK-MASQ\n");
    let n = svc.endpoints.len();
    for (i, (ep, sep)) in svc.endpoints.iter().zip(&layout.sep_chains).enumerate() {
        out.push_str("-A ");
        out.push_str(&layout.svc_chain);
        out.push_str(" -m comment --comment \"");
        out.push_str(&layout.name);
        out.push_str(" -> ");
        push_endpoint(out, ep);
        out.push('"');
        if i + 1 < n {
            out.push_str(" -m statistic --mode random --probability ");
            out.push_str(&probability(n - i));
        }
        out.push_str(" -j ");
        out.push_str(sep);
        out.push('\n');
    }
    for (ep, sep) in svc.endpoints.iter().zip(&layout.sep_chains) {
        out.push_str("-A ");
        out.push_str(sep);
        out.push_str(" -m comment --comment ");
        out.push_str(&layout.name);
        out.push_str(" -s ");
        push_ip(out, ep.addr);
        out.push_str(" -j KUBE-MARK-MASQ\n-A ");
        out.push_str(sep);
        out.push_str(" -m comment --comment ");
        out.push_str(&layout.name);
        out.push_str(" -m ");
        out.push_str(proto);
        out.push_str(" -p ");
        out.push_str(proto);
        out.push_str(" -j DNAT --to-destination ");
        push_endpoint(out, ep);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain_name::service_chain;
    use std::net::Ipv4Addr;
    use svclab_backend::{Endpoint, Protocol, Service, ServiceId};

    fn layout(id: u32, endpoints: usize) -> Layout {
        Layout::new(&Service {
            id: ServiceId(id),
            namespace: "svclab".into(),
            name: format!("svc-{id:05}"),
            port_name: "http".into(),
            vip: Ipv4Addr::new(10, 96, 0, id as u8 + 1),
            port: 80,
            protocol: Protocol::Tcp,
            endpoints: (0..endpoints)
                .map(|e| Endpoint {
                    addr: Ipv4Addr::new(10, 244, id as u8, e as u8 + 1),
                    port: 8080,
                })
                .collect(),
        })
    }

    const CIDR: Ipv4Cidr = Ipv4Cidr::DEFAULT_CLUSTER;

    fn count_rules(text: &str) -> u64 {
        text.lines().filter(|l| l.starts_with("-A ")).count() as u64
    }

    /// Compare with `tests/fixtures/NAME`; `SVCLAB_BLESS=1` rewrites the fixture instead (then
    /// review the diff before committing it).
    fn assert_golden(name: &str, actual: &str) {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        if std::env::var_os("SVCLAB_BLESS").is_some() {
            std::fs::write(&path, actual).unwrap_or_else(|e| panic!("writing {path}: {e}"));
        }
        let expected =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
        assert_eq!(actual, expected, "{path} differs");
    }

    #[test]
    fn probabilities_match_kube_proxy() {
        assert_eq!(probability(2), "0.5000000000");
        assert_eq!(probability(3), "0.3333333333");
        assert_eq!(probability(1), "1.0000000000");
    }

    #[test]
    fn full_restore_matches_golden_file() {
        // The fixture was rendered once, read line by line against kube-proxy's proxier_test.go
        // expectations, and loaded with iptables-legacy-restore 1.8.9 in a namespace.
        let layouts = [layout(0, 2), layout(1, 3)];
        assert_golden("full_restore_2svc.txt", &full_restore(&layouts, CIDR));
    }

    #[test]
    fn partial_restore_matches_golden_file() {
        let (a, b, c) = (layout(0, 2), layout(1, 3), layout(2, 1));
        let deleted = c.chains();
        let text = partial_restore(&PartialSync {
            all: &[&a, &b],
            changed: &[&b],
            deleted_chains: &deleted,
            cluster_cidr: CIDR,
        });
        assert_golden("partial_restore.txt", &text);
    }

    #[test]
    fn full_restore_has_3e_plus_2_rules_per_service() {
        for e in [1usize, 2, 3, 5] {
            let layouts: Vec<Layout> = (0..4).map(|i| layout(i, e)).collect();
            let text = full_restore(&layouts, CIDR);
            assert_eq!(count_rules(&text), FIXED_RULES + 4 * rules_per_service(e));
            assert_eq!(full_restore_rules(&layouts), count_rules(&text));
            let chains = text.lines().filter(|l| l.starts_with(':')).count() as u64;
            assert_eq!(chains, 8 + 4 * chains_per_service(e));
        }
    }

    #[test]
    fn last_endpoint_has_no_statistic_match() {
        let text = service_rules(&layout(0, 3), CIDR);
        let lb: Vec<&str> = text.lines().filter(|l| l.contains(" -> ")).collect();
        assert_eq!(lb.len(), 3);
        assert!(lb[0].contains("--probability 0.3333333333"));
        assert!(lb[1].contains("--probability 0.5000000000"));
        assert!(!lb[2].contains("statistic"));
    }

    #[test]
    fn partial_restore_rewrites_kube_services_and_only_changed_chains() {
        let (a, b, c) = (layout(0, 2), layout(1, 2), layout(2, 2));
        let deleted = c.chains();
        let text = partial_restore(&PartialSync {
            all: &[&a, &b],
            changed: &[&b],
            deleted_chains: &deleted,
            cluster_cidr: CIDR,
        });
        assert!(text.contains(&kube_services_rule(&a)));
        assert!(text.contains(&kube_services_rule(&b)));
        assert!(!text.contains(&format!(":{} ", a.svc_chain)));
        assert!(text.contains(&format!(":{} - [0:0]", b.svc_chain)));
        assert!(text.contains(&format!("-X {}", service_chain(&c.service))));
        assert!(!text.contains("PREROUTING"));
    }
}
