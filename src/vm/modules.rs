//! The kernel modules the backends need, with their dependencies from the kernel's
//! `modules.dep`, and a `modules.dep` for the guest that names only what it carries.

use super::image::Manifest;
use super::kernel::KernelTree;
use super::VmError;
use std::collections::{BTreeMap, BTreeSet};

/// Kernel modules the backends need. The guest loads them all at boot rather than rely on the
/// kernel's on-demand loading, so a missing one shows at boot with its name.
/// iptables (both): ip_tables/nf_tables, the nat table, the matches and targets of kube-proxy's
/// layout; nftables (kube-proxy's nftables layouts): numgen, nat, masquerade and reject
/// expressions; IPVS: ip_vs, the rr scheduler, dummy for kube-ipvs0; veth for data-path probes.
pub const MODULES: [&str; 27] = [
    "ip_tables",
    "iptable_nat",
    "iptable_filter",
    "nf_nat",
    "nf_conntrack",
    "xt_comment",
    "xt_mark",
    "xt_statistic",
    "xt_nat",
    "xt_MASQUERADE",
    "xt_addrtype",
    "xt_tcpudp",
    "xt_conntrack",
    "xt_multiport",
    "nf_tables",
    "nft_compat",
    "nft_chain_nat",
    "nft_ct",
    "nft_numgen",
    "nft_nat",
    "nft_masq",
    "nft_reject",
    "nft_reject_ipv4",
    "ip_vs",
    "ip_vs_rr",
    "dummy",
    "veth",
];

pub fn add(m: &mut Manifest, kernel: &KernelTree) -> Result<(), VmError> {
    let read = |name: &str| {
        let p = kernel.modules.join(name);
        std::fs::read_to_string(&p).map_err(|e| VmError::io("reading", &p, e))
    };
    let dep = read("modules.dep")?;
    let builtin = read("modules.builtin").unwrap_or_default();
    let wanted = resolve_modules(&dep, &builtin, &MODULES).map_err(|missing| {
        VmError::Kernel(format!(
            "kernel {} lacks module(s) the backends need: {}",
            kernel.release,
            missing.join(", ")
        ))
    })?;
    let base = format!("/lib/modules/{}", kernel.release);
    let kept: BTreeSet<&str> = wanted.iter().map(String::as_str).collect();
    let filtered: String = dep
        .lines()
        .filter(|l| l.split(':').next().is_some_and(|k| kept.contains(k)))
        .map(|l| format!("{l}\n"))
        .collect();
    for rel in &wanted {
        m.host_file(&format!("{base}/{rel}"), &kernel.modules.join(rel), 0o644);
    }
    m.bytes(&format!("{base}/modules.dep"), filtered, 0o644);
    m.bytes(&format!("{base}/modules.builtin"), builtin, 0o644);
    m.bytes("/svclab/modules", MODULES.join("\n") + "\n", 0o644);
    Ok(())
}

/// The `modules.dep` paths of `wanted` and everything they depend on. Modules built into the
/// kernel (`modules.builtin`) need no file. Err: the names found nowhere.
fn resolve_modules(dep: &str, builtin: &str, wanted: &[&str]) -> Result<Vec<String>, Vec<String>> {
    let name_of = |path: &str| {
        let file = path.rsplit('/').next().unwrap_or(path);
        file.split(".ko").next().unwrap_or(file).replace('-', "_")
    };
    let mut by_name: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for line in dep.lines() {
        if let Some((module, deps)) = line.split_once(':') {
            let deps = deps.split_whitespace().map(str::to_string).collect();
            by_name.insert(name_of(module), (module.to_string(), deps));
        }
    }
    let builtin: BTreeSet<String> = builtin.lines().map(name_of).collect();
    let mut out = BTreeSet::new();
    let mut missing = Vec::new();
    for want in wanted {
        let key = want.replace('-', "_");
        match by_name.get(&key) {
            Some((path, deps)) => {
                out.insert(path.clone());
                // modules.dep lists the full transitive closure already.
                out.extend(deps.iter().cloned());
            }
            None if builtin.contains(&key) => {}
            None => missing.push(want.to_string()),
        }
    }
    if missing.is_empty() {
        Ok(out.into_iter().collect())
    } else {
        Err(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_come_with_their_dependencies_and_builtins_need_no_file() {
        let dep = "kernel/net/netfilter/ipvs/ip_vs.ko: kernel/net/netfilter/nf_conntrack.ko kernel/lib/libcrc32c.ko\n\
                   kernel/net/netfilter/nf_conntrack.ko: kernel/lib/libcrc32c.ko\n\
                   kernel/lib/libcrc32c.ko:\n\
                   kernel/drivers/net/dummy.ko:\n";
        let builtin = "kernel/net/ipv4/tcp_cubic.ko\n";
        let got = resolve_modules(dep, builtin, &["ip_vs", "tcp_cubic"]).expect("all found");
        assert_eq!(
            got,
            [
                "kernel/lib/libcrc32c.ko",
                "kernel/net/netfilter/ipvs/ip_vs.ko",
                "kernel/net/netfilter/nf_conntrack.ko"
            ]
        );
        assert_eq!(
            resolve_modules(dep, builtin, &["ip_vs_wlc", "dummy"]),
            Err(vec!["ip_vs_wlc".to_string()])
        );
    }
}
