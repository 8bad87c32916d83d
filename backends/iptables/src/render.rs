//! Pure rendering of kube-proxy's nat-table layout as `iptables-restore` input.
//!
//! The text follows kube-proxy's iptables proxier for ClusterIP Services with cluster traffic
//! policy: per Service, 1 rule in KUBE-SERVICES, 1 masquerade-mark rule and E load-balancing rules
//! in KUBE-SVC-*, and 2 rules in each of its E KUBE-SEP-* chains: 3E + 2 rules. Rendering writes
//! straight into one `String` because at 20,000 Services it is 160,000 rules, and this work sits in
//! front of every full sync.

use crate::chain_name::{endpoint_chain, service_chain};
use std::fmt::Write as _;
use svclab_backend::Service;

/// kube-proxy's `--cluster-cidr`: traffic to a VIP from outside it is masqueraded.
pub const CLUSTER_CIDR: &str = "10.244.0.0/16";

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

/// Full sync input: the whole nat table, to be loaded without `--noflush` (replaces the table).
pub fn full_restore(services: &[Service]) -> String {
    let mut out = String::with_capacity(256 + services.len() * 1200);
    out.push_str("*nat\n");
    for chain in BUILTIN_CHAINS {
        let _ = writeln!(out, ":{chain} ACCEPT [0:0]");
    }
    write_fixed_chain_lines(&mut out);
    for svc in services {
        write_service_chain_lines(&mut out, svc);
    }
    write_builtin_jumps(&mut out);
    write_fixed_rules(&mut out);
    write_kube_services(&mut out, services.iter());
    for svc in services {
        write_service_rules(&mut out, svc);
    }
    out.push_str("COMMIT\n");
    out
}

/// What a partial sync changes, as kube-proxy's `--noflush` restore does it.
pub struct PartialSync<'a> {
    /// Every Service programmed after this sync: KUBE-SERVICES is always rewritten in full.
    pub all: &'a [&'a Service],
    /// Services whose KUBE-SVC/KUBE-SEP chains are (re)written.
    pub changed: &'a [&'a Service],
    /// Chains to flush and delete (Services removed, endpoints gone).
    pub deleted_chains: &'a [String],
}

/// Partial sync input for `iptables-restore --noflush`: fixed chains and every changed Service's
/// chains are declared (which flushes them) and rewritten, stale chains flushed and deleted;
/// chains of unchanged Services and the built-in chains are left alone.
pub fn partial_restore(sync: &PartialSync<'_>) -> String {
    let mut out = String::with_capacity(256 + sync.all.len() * 150 + sync.changed.len() * 1200);
    out.push_str("*nat\n");
    write_fixed_chain_lines(&mut out);
    for svc in sync.changed {
        write_service_chain_lines(&mut out, svc);
    }
    for chain in sync.deleted_chains {
        let _ = writeln!(out, ":{chain} - [0:0]");
    }
    write_fixed_rules(&mut out);
    write_kube_services(&mut out, sync.all.iter().copied());
    for svc in sync.changed {
        write_service_rules(&mut out, svc);
    }
    for chain in sync.deleted_chains {
        let _ = writeln!(out, "-X {chain}");
    }
    out.push_str("COMMIT\n");
    out
}

/// The user-defined chains a Service owns (KUBE-SVC first, then its KUBE-SEPs).
pub fn service_chains(svc: &Service) -> Vec<String> {
    if svc.endpoints.is_empty() {
        return Vec::new();
    }
    let mut chains = vec![service_chain(svc)];
    chains.extend(svc.endpoints.iter().map(|ep| endpoint_chain(svc, ep)));
    chains
}

/// The rule in KUBE-SERVICES that sends a Service's VIP:port to its KUBE-SVC chain.
pub fn kube_services_rule(svc: &Service) -> String {
    let mut out = String::new();
    write_kube_services_rule(&mut out, svc);
    out
}

/// The rules of a Service's own chains (KUBE-SVC then each KUBE-SEP), one line each.
pub fn service_rules(svc: &Service) -> String {
    let mut out = String::new();
    write_service_rules(&mut out, svc);
    out
}

fn write_fixed_chain_lines(out: &mut String) {
    for chain in FIXED_CHAINS {
        let _ = writeln!(out, ":{chain} - [0:0]");
    }
}

fn write_service_chain_lines(out: &mut String, svc: &Service) {
    for chain in service_chains(svc) {
        let _ = writeln!(out, ":{chain} - [0:0]");
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

fn write_kube_services<'a>(out: &mut String, services: impl Iterator<Item = &'a Service>) {
    for svc in services {
        write_kube_services_rule(out, svc);
    }
    out.push_str(
        "-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS\n",
    );
}

fn write_kube_services_rule(out: &mut String, svc: &Service) {
    if svc.endpoints.is_empty() {
        // kube-proxy sends such Services to a REJECT in the filter table, nothing in nat.
        return;
    }
    let proto = svc.protocol.as_str();
    let _ = writeln!(
        out,
        "-A KUBE-SERVICES -m comment --comment \"{} cluster IP\" -m {proto} -p {proto} -d {} --dport {} -j {}",
        svc.port_name_string(),
        svc.vip,
        svc.port,
        service_chain(svc)
    );
}

fn write_service_rules(out: &mut String, svc: &Service) {
    if svc.endpoints.is_empty() {
        return;
    }
    let name = svc.port_name_string();
    let proto = svc.protocol.as_str();
    let svc_chain = service_chain(svc);
    let _ = writeln!(
        out,
        "-A {svc_chain} -m comment --comment \"{name} cluster IP\" -m {proto} -p {proto} -d {} --dport {} ! -s {CLUSTER_CIDR} -j KUBE-MARK-MASQ",
        svc.vip, svc.port
    );
    let n = svc.endpoints.len();
    for (i, ep) in svc.endpoints.iter().enumerate() {
        let sep = endpoint_chain(svc, ep);
        let _ = write!(
            out,
            "-A {svc_chain} -m comment --comment \"{name} -> {ep}\""
        );
        if i + 1 < n {
            let _ = write!(
                out,
                " -m statistic --mode random --probability {}",
                probability(n - i)
            );
        }
        let _ = writeln!(out, " -j {sep}");
    }
    for ep in &svc.endpoints {
        let sep = endpoint_chain(svc, ep);
        let _ = writeln!(
            out,
            "-A {sep} -m comment --comment {name} -s {} -j KUBE-MARK-MASQ",
            ep.addr
        );
        let _ = writeln!(
            out,
            "-A {sep} -m comment --comment {name} -m {proto} -p {proto} -j DNAT --to-destination {ep}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use svclab_backend::{Endpoint, Protocol, ServiceId};

    pub(crate) fn service(id: u32, endpoints: usize) -> Service {
        Service {
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
        }
    }

    fn count_rules(text: &str) -> u64 {
        text.lines().filter(|l| l.starts_with("-A ")).count() as u64
    }

    #[test]
    fn probabilities_match_kube_proxy() {
        assert_eq!(probability(2), "0.5000000000");
        assert_eq!(probability(3), "0.3333333333");
        assert_eq!(probability(1), "1.0000000000");
    }

    #[test]
    fn full_restore_has_3e_plus_2_rules_per_service() {
        for e in [1usize, 2, 3, 5] {
            let services: Vec<Service> = (0..4).map(|i| service(i, e)).collect();
            let text = full_restore(&services);
            assert_eq!(count_rules(&text), FIXED_RULES + 4 * rules_per_service(e));
            let chains = text.lines().filter(|l| l.starts_with(':')).count() as u64;
            assert_eq!(chains, 8 + 4 * chains_per_service(e));
        }
    }

    #[test]
    fn last_endpoint_has_no_statistic_match() {
        let text = service_rules(&service(0, 3));
        let lb: Vec<&str> = text.lines().filter(|l| l.contains(" -> ")).collect();
        assert_eq!(lb.len(), 3);
        assert!(lb[0].contains("--probability 0.3333333333"));
        assert!(lb[1].contains("--probability 0.5000000000"));
        assert!(!lb[2].contains("statistic"));
    }

    #[test]
    fn partial_restore_rewrites_kube_services_and_only_changed_chains() {
        let a = service(0, 2);
        let b = service(1, 2);
        let c = service(2, 2);
        let deleted = service_chains(&c);
        let all = [&a, &b];
        let changed = [&b];
        let text = partial_restore(&PartialSync {
            all: &all,
            changed: &changed,
            deleted_chains: &deleted,
        });
        assert!(text.contains(&kube_services_rule(&a)));
        assert!(text.contains(&kube_services_rule(&b)));
        assert!(!text.contains(&format!(":{} ", service_chain(&a))));
        assert!(text.contains(&format!(":{} - [0:0]", service_chain(&b))));
        assert!(text.contains(&format!("-X {}", service_chain(&c))));
        assert!(!text.contains("PREROUTING"));
    }
}
