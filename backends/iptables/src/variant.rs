//! The named iptables backends: one implementation, three ways to talk to the kernel.

/// How a variant writes rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// kube-proxy on the legacy (x_tables) kernel interface: restore / `--noflush` restore.
    Legacy,
    /// kube-proxy on the nf_tables kernel interface through iptables-nft: same input.
    Nft,
    /// The source document's method: one `iptables-legacy -t nat` process per rule.
    Cmd,
}

impl Variant {
    pub const ALL: [Variant; 3] = [Variant::Legacy, Variant::Nft, Variant::Cmd];

    pub fn name(self) -> &'static str {
        match self {
            Variant::Legacy => "iptables-legacy",
            Variant::Nft => "iptables-nft",
            Variant::Cmd => "iptables-cmd",
        }
    }

    pub fn from_name(name: &str) -> Option<Variant> {
        Variant::ALL.into_iter().find(|v| v.name() == name)
    }

    pub fn describe(self) -> &'static str {
        match self {
            Variant::Legacy => {
                "kube-proxy layout, iptables-legacy-restore (full) and --noflush (partial sync)"
            }
            Variant::Nft => "kube-proxy layout, iptables-nft-restore (full) and --noflush (partial sync)",
            Variant::Cmd => {
                "kube-proxy layout, one iptables-legacy process per rule (the source document's method); full sync by restore"
            }
        }
    }

    /// The restore program (full syncs of every variant, partial syncs of restore variants).
    pub fn restore_program(self) -> &'static str {
        match self {
            Variant::Legacy | Variant::Cmd => "iptables-legacy-restore",
            Variant::Nft => "iptables-nft-restore",
        }
    }

    /// The save program used to read the kernel's state back.
    pub fn save_program(self) -> &'static str {
        match self {
            Variant::Legacy | Variant::Cmd => "iptables-legacy-save",
            Variant::Nft => "iptables-nft-save",
        }
    }

    /// The per-rule program (the `iptables-cmd` variant's incremental operations).
    pub fn rule_program(self) -> &'static str {
        match self {
            Variant::Legacy | Variant::Cmd => "iptables-legacy",
            Variant::Nft => "iptables-nft",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for v in Variant::ALL {
            assert_eq!(Variant::from_name(v.name()), Some(v));
        }
        assert_eq!(Variant::from_name("iptables"), None);
    }
}
