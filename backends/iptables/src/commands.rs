//! The `iptables-cmd` variant's command lists: the same rules as the restore text, as the argv of
//! one `iptables -t nat` process each (pure; the backend runs them).

use crate::layout::Layout;
use crate::render;
use crate::rule_args::{as_delete, split_rule};
use svclab_backend::Ipv4Cidr;

/// Adding a Service: its chains, its rules, then the KUBE-SERVICES jump (inserted first, as the
/// nodeports rule must stay last).
pub fn add(layout: &Layout, cluster_cidr: Ipv4Cidr) -> Vec<Vec<String>> {
    let mut argvs = chain_verb("-N", &layout.chains());
    argvs.extend(rule_argvs(&render::service_rules(layout, cluster_cidr)));
    argvs.extend(rule_argvs(&render::kube_services_rule(layout)).map(insert_first));
    argvs
}

/// Removing a Service: the KUBE-SERVICES jump first (no new connection reaches it), then every
/// rule of its chains, then the chains.
pub fn remove(old: &Layout, cluster_cidr: Ipv4Cidr) -> Vec<Vec<String>> {
    let mut argvs: Vec<Vec<String>> = rule_argvs(&render::kube_services_rule(old))
        .map(as_delete)
        .collect();
    argvs.extend(rule_argvs(&render::service_rules(old, cluster_cidr)).map(as_delete));
    argvs.extend(chain_verb("-X", &old.chains()));
    argvs
}

pub fn is_rule_verb(argv: &[String]) -> bool {
    matches!(argv.first().map(String::as_str), Some("-A" | "-I" | "-D"))
}

fn rule_argvs(text: &str) -> impl Iterator<Item = Vec<String>> + '_ {
    text.lines().map(split_rule)
}

/// `-A KUBE-SERVICES ...` as `-I KUBE-SERVICES 1 ...`: the nodeports rule must stay last.
fn insert_first(mut argv: Vec<String>) -> Vec<String> {
    if argv.len() >= 2 && argv[0] == "-A" {
        argv[0] = "-I".into();
        argv.insert(2, "1".into());
    }
    argv
}

fn chain_verb(verb: &str, chains: &[String]) -> Vec<Vec<String>> {
    chains
        .iter()
        .map(|c| vec![verb.to_string(), c.clone()])
        .collect()
}

/// Per-rule commands for an endpoint update: create the new KUBE-SEP chains and their rules,
/// rewrite the KUBE-SVC chain (its probabilities change), then flush and delete stale chains.
pub fn update(
    new: &Layout,
    old_chains: &[String],
    stale: &[String],
    cluster_cidr: Ipv4Cidr,
) -> Vec<Vec<String>> {
    let fresh: Vec<String> = new
        .chains()
        .into_iter()
        .filter(|c| !old_chains.contains(c))
        .collect();
    let mut argvs = chain_verb("-N", &fresh);
    let (svc_rules, sep_rules): (Vec<Vec<String>>, Vec<Vec<String>>) =
        rule_argvs(&render::service_rules(new, cluster_cidr))
            .partition(|a| a.get(1) == Some(&new.svc_chain));
    argvs.extend(
        sep_rules
            .into_iter()
            .filter(|a| a.get(1).is_some_and(|c| fresh.contains(c))),
    );
    if !new.service.endpoints.is_empty() {
        argvs.push(vec!["-F".into(), new.svc_chain.clone()]);
    }
    argvs.extend(svc_rules);
    argvs.extend(chain_verb("-F", stale));
    argvs.extend(chain_verb("-X", stale));
    argvs
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use svclab_backend::{Endpoint, Protocol, Service, ServiceId};

    fn layout(endpoints: u8) -> Layout {
        Layout::new(&Service {
            id: ServiceId(1),
            namespace: "ns".into(),
            name: "web".into(),
            port_name: "http".into(),
            vip: Ipv4Addr::new(10, 96, 0, 10),
            port: 80,
            protocol: Protocol::Tcp,
            endpoints: (1..=endpoints)
                .map(|e| Endpoint {
                    addr: Ipv4Addr::new(10, 244, 0, e),
                    port: 8080,
                })
                .collect(),
        })
    }

    #[test]
    fn add_is_chains_then_3e_plus_2_rules() {
        let l = layout(2);
        let argvs = add(&l, Ipv4Cidr::DEFAULT_CLUSTER);
        assert_eq!(argvs.iter().filter(|a| a[0] == "-N").count(), 3);
        assert_eq!(argvs.iter().filter(|a| is_rule_verb(a)).count(), 8);
        let last = argvs.last().expect("commands");
        assert_eq!(&last[..3], ["-I", "KUBE-SERVICES", "1"]);
    }

    #[test]
    fn remove_deletes_the_jump_first_and_chains_last() {
        let l = layout(2);
        let argvs = remove(&l, Ipv4Cidr::DEFAULT_CLUSTER);
        assert_eq!(&argvs[0][..2], ["-D", "KUBE-SERVICES"]);
        assert_eq!(argvs.iter().filter(|a| a[0] == "-D").count(), 8);
        assert!(argvs[argvs.len() - 3..].iter().all(|a| a[0] == "-X"));
    }

    #[test]
    fn update_rewrites_the_service_chain_and_drops_stale_ones() {
        let old = layout(2);
        let new = layout(3);
        let stale: Vec<String> = Vec::new();
        let argvs = update(&new, &old.chains(), &stale, Ipv4Cidr::DEFAULT_CLUSTER);
        // One new KUBE-SEP chain with its 2 rules, the KUBE-SVC flushed and rewritten (1 + 3).
        assert_eq!(argvs.iter().filter(|a| a[0] == "-N").count(), 1);
        assert!(argvs.iter().any(|a| a[0] == "-F" && a[1] == new.svc_chain));
        assert_eq!(argvs.iter().filter(|a| a[0] == "-A").count(), 2 + 4);
    }
}
