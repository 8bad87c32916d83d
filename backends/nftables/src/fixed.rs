//! The part of kube-proxy's table that does not depend on the Services: the table, its sets and
//! maps, base chains hooked into netfilter, and the top-level chains with their rules. Written at
//! the start of every full sync (kube-proxy's `setupNFTables`).
//!
//! Only what ClusterIP Services use is written: no NodePort, LoadBalancer firewall or
//! ExternalIP parts (`nodeport-ips`, `service-nodeports`, `firewall-ips`, the `*-pre-dnat`
//! chains), and no "drop traffic to unallocated ClusterIPs" rule, which needs the service CIDR
//! the lab's configuration does not have.

use crate::profile::Profile;
use crate::tx::Tx;
use svclab_backend::Ipv4Cidr;

pub(crate) const CLUSTER_IPS: &str = "cluster-ips";
pub(crate) const SERVICE_IPS: &str = "service-ips";
pub(crate) const NO_ENDPOINT_SERVICES: &str = "no-endpoint-services";
pub(crate) const HAIRPIN: &str = "hairpin-connections";
pub(crate) const MARK_MASQ: &str = "mark-for-masquerade";
pub(crate) const REJECT_CHAIN: &str = "reject-chain";
/// kube-proxy's default `--masquerade-bit` 14.
pub(crate) const MASQ_MARK: &str = "0x4000";

const SETS: [(&str, &str, &str); 3] = [
    ("set", CLUSTER_IPS, "type ipv4_addr ; comment \"Active ClusterIPs\" ;"),
    (
        "map",
        NO_ENDPOINT_SERVICES,
        "type ipv4_addr . inet_proto . inet_service : verdict ; comment \"vmap to drop or reject packets to services with no endpoints\" ;",
    ),
    (
        "map",
        SERVICE_IPS,
        "type ipv4_addr . inet_proto . inet_service : verdict ; comment \"ClusterIP, ExternalIP and LoadBalancer IP traffic\" ;",
    ),
];

const HAIRPIN_SPEC: &str = "type ipv4_addr . ipv4_addr . inet_proto . inet_service ; comment \"service hairpin connections\" ;";

const BASE_CHAINS: [(&str, &str); 6] = [
    ("filter-forward", "type filter hook forward priority 0 ;"),
    ("filter-input", "type filter hook input priority 0 ;"),
    ("filter-output", "type filter hook output priority 0 ;"),
    ("nat-output", "type nat hook output priority -100 ;"),
    (
        "nat-postrouting",
        "type nat hook postrouting priority 100 ;",
    ),
    ("nat-prerouting", "type nat hook prerouting priority -100 ;"),
];

/// Top-level regular chains, besides `mark-for-masquerade` (older layout only).
const CHAINS: [&str; 4] = [
    "cluster-ips-check",
    "masquerading",
    "services",
    "service-endpoints-check",
];

const JUMPS: [(&str, &str); 8] = [
    (
        "filter-forward",
        "ct state new jump service-endpoints-check",
    ),
    ("filter-forward", "ct state new jump cluster-ips-check"),
    ("filter-input", "ct state new jump service-endpoints-check"),
    ("filter-output", "ct state new jump service-endpoints-check"),
    ("filter-output", "ct state new jump cluster-ips-check"),
    ("nat-output", "jump services"),
    ("nat-postrouting", "jump masquerading"),
    ("nat-prerouting", "jump services"),
];

/// Add and flush everything fixed, then write its rules.
pub(crate) fn setup(tx: &mut Tx, profile: Profile, cluster_cidr: Ipv4Cidr) {
    tx.add_table();
    for (kind, name, spec) in SETS {
        tx.add_set(kind, name, spec);
    }
    if profile == Profile::V136 {
        tx.add_set("set", HAIRPIN, HAIRPIN_SPEC);
    }
    for (name, spec) in BASE_CHAINS {
        tx.add_chain(name, Some(spec));
        tx.flush_chain(name);
    }
    for name in CHAINS {
        tx.ensure_chain(name);
    }
    if profile == Profile::V133 {
        tx.ensure_chain(MARK_MASQ);
    }
    tx.add_chain(
        REJECT_CHAIN,
        Some("comment \"helper for @no-endpoint-services / @no-endpoint-nodeports\" ;"),
    );
    tx.flush_chain(REJECT_CHAIN);

    for (chain, rule) in JUMPS {
        tx.add_rule(chain, rule);
    }
    tx.add_rule(
        "cluster-ips-check",
        "ip daddr @cluster-ips reject comment \"Reject traffic to invalid ports of ClusterIPs\"",
    );
    tx.add_rule(REJECT_CHAIN, "reject");
    tx.add_rule(
        "service-endpoints-check",
        "ip daddr . meta l4proto . th dport vmap @no-endpoint-services",
    );
    match profile {
        Profile::V133 => {
            tx.add_rule(MARK_MASQ, &format!("mark set mark or {MASQ_MARK}"));
            tx.add_rule("masquerading", &format!("mark and {MASQ_MARK} == 0 return"));
            tx.add_rule("masquerading", &format!("mark set mark xor {MASQ_MARK}"));
            tx.add_rule("masquerading", "masquerade fully-random");
        }
        Profile::V136 => {
            // 1.36 marks ClusterIP traffic from outside the cluster once, here, instead of one
            // rule per Service chain.
            tx.add_rule(
                "services",
                &format!("ip daddr @cluster-ips ip saddr != {cluster_cidr} mark set mark or {MASQ_MARK} comment \"masquerade clusterIP traffic from outside cluster\""),
            );
            tx.add_rule(
                "masquerading",
                &format!("mark and {MASQ_MARK} != 0 mark set mark xor {MASQ_MARK} masquerade fully-random"),
            );
            tx.add_rule(
                "masquerading",
                &format!("ct status dnat ip saddr . ip daddr . meta l4proto . th dport @{HAIRPIN} masquerade fully-random"),
            );
        }
    }
    tx.add_rule(
        "services",
        "ip daddr . meta l4proto . th dport vmap @service-ips",
    );
}

/// Empty every set and map the Services fill (a full sync writes all elements again).
pub(crate) fn flush_elements(tx: &mut Tx, profile: Profile) {
    for (kind, name, _) in SETS {
        tx.flush_set(kind, name);
    }
    if profile == Profile::V136 {
        tx.flush_set("set", HAIRPIN);
    }
}

/// Chains and rules of the fixed part, as the layout formula counts them.
pub(crate) fn counts(profile: Profile) -> (u64, u64) {
    let mut tx = Tx::new();
    setup(&mut tx, profile, Ipv4Cidr::DEFAULT_CLUSTER);
    let text = tx.into_text();
    let chains = text.lines().filter(|l| l.starts_with("add chain ")).count() as u64;
    let rules = text.lines().filter(|l| l.starts_with("add rule ")).count() as u64;
    (chains, rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_counts_match_the_described_formula() {
        assert_eq!(counts(Profile::V133), (12, 16));
        assert_eq!(counts(Profile::V136), (11, 15));
    }
}
