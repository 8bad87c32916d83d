//! The two IPVS backends built from this crate.

/// How a backend hands IPVS rules to the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variant {
    /// `ipvs`: svclab's own generic netlink client; batched full syncs, one request + ACK per
    /// incremental change (kube-proxy's way).
    Netlink,
    /// `ipvsadm`: one `ipvsadm` process per rule, `ipvsadm -R` for a full sync (the source
    /// document's way of measuring).
    Ipvsadm,
}

impl Variant {
    pub const ALL: [Variant; 2] = [Variant::Netlink, Variant::Ipvsadm];

    /// The backend's registered name.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Netlink => "ipvs",
            Variant::Ipvsadm => "ipvsadm",
        }
    }

    pub fn from_name(name: &str) -> Option<Variant> {
        Variant::ALL.into_iter().find(|v| v.name() == name)
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
