//! The two kube-proxy nftables layouts, as two named backends.

/// Which kube-proxy release's nftables layout a backend writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// kube-proxy 1.33-1.35 (GA in 1.33): Service chain + one chain per endpoint, a
    /// `mark-for-masquerade` chain jumped to for masquerading.
    V133,
    /// kube-proxy 1.36-1.37: the Service chain DNATs through `numgen random mod E map` (a plain
    /// DNAT for one endpoint, 1.37), no endpoint chains, the masquerade mark set inline, hairpin
    /// traffic found through a set.
    V136,
}

impl Profile {
    pub const ALL: [Profile; 2] = [Profile::V133, Profile::V136];

    pub fn name(self) -> &'static str {
        match self {
            Profile::V133 => "nftables",
            Profile::V136 => "nftables-1.36",
        }
    }

    pub fn from_name(name: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.name() == name)
    }

    /// What `svclab list` prints: which releases, checked against what, and the layout formula.
    pub fn describe(self) -> &'static str {
        match self {
            Profile::V133 => {
                "kube-proxy 1.33-1.35 nftables layout (ClusterIP part; checked against \
                 TestOverallNFTablesRules in pkg/proxy/nftables/proxier_test.go before #135800, \
                 which changed it in 1.36.0); `nft -f -` full and partial syncs; per Service with \
                 E endpoints: 1+E chains, 2+2E rules, 2 elements (E=0: 0 chains, 0 rules, 2 \
                 elements) over a fixed 12 chains / 16 rules"
            }
            Profile::V136 => {
                "kube-proxy 1.36-1.37 nftables layout (ClusterIP part; #135800 in the 1.36.0 \
                 CHANGELOG and #136499, checked against `nft list table ip kube-proxy` of a v1.36.2 \
                 node; 1.37's map-less DNAT for a single-endpoint Service, #140723 (merged \
                 2026-07-22, a 1.37 release blocker's fix #140960 followed it), in #140723's text, \
                 on IPv4 the same kernel rule as `dnat to A:P`); `nft -f -` full and partial syncs; \
                 per Service with E endpoints: 1 chain, 1 rule, 2+E elements (E=0: 0, 0, 2) over \
                 a fixed 11 chains / 15 rules"
            }
        }
    }

    /// Whether every endpoint gets its own chain (the older layout).
    pub fn endpoint_chains(self) -> bool {
        self == Profile::V133
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Profile::ALL {
            assert_eq!(Profile::from_name(p.name()), Some(p));
        }
        assert_eq!(Profile::from_name("nft"), None);
    }
}
