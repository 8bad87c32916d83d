//! An IPv4 prefix such as kube-proxy's `--cluster-cidr`: parsed once, checked, printed back.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// `addr/prefix` with the host bits zero (so `10.0.0.0/8`, never `10.1.2.3/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Ipv4Cidr {
    addr: Ipv4Addr,
    prefix: u8,
}

/// Why a text is not an IPv4 CIDR.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not an IPv4 CIDR such as 10.244.0.0/16: {why}")]
pub struct CidrError {
    pub text: String,
    pub why: &'static str,
}

impl Ipv4Cidr {
    /// The lab's default pod network, kube-proxy's `--cluster-cidr` for the synthetic Services.
    pub const DEFAULT_CLUSTER: Ipv4Cidr = Ipv4Cidr {
        addr: Ipv4Addr::new(10, 244, 0, 0),
        prefix: 16,
    };

    pub fn new(addr: Ipv4Addr, prefix: u8) -> Result<Self, CidrError> {
        let text = format!("{addr}/{prefix}");
        if prefix > 32 {
            return Err(CidrError {
                text,
                why: "the prefix length is above 32",
            });
        }
        if u32::from(addr) & !mask(prefix) != 0 {
            return Err(CidrError {
                text,
                why: "host bits are set after the prefix",
            });
        }
        Ok(Self { addr, prefix })
    }

    pub fn addr(self) -> Ipv4Addr {
        self.addr
    }

    pub fn prefix(self) -> u8 {
        self.prefix
    }

    pub fn contains(self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & mask(self.prefix) == u32::from(self.addr)
    }
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    }
}

impl Default for Ipv4Cidr {
    fn default() -> Self {
        Self::DEFAULT_CLUSTER
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl FromStr for Ipv4Cidr {
    type Err = CidrError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fail = |why| CidrError {
            text: text.to_string(),
            why,
        };
        let (addr, prefix) = text.split_once('/').ok_or_else(|| fail("no /prefix"))?;
        let addr: Ipv4Addr = addr.parse().map_err(|_| fail("not an IPv4 address"))?;
        let prefix: u8 = prefix
            .parse()
            .map_err(|_| fail("the prefix length is not a number"))?;
        Ipv4Cidr::new(addr, prefix).map_err(|e| CidrError {
            text: text.to_string(),
            why: e.why,
        })
    }
}

impl TryFrom<String> for Ipv4Cidr {
    type Error = CidrError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<Ipv4Cidr> for String {
    fn from(cidr: Ipv4Cidr) -> String {
        cidr.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prints_and_contains() {
        let cidr: Ipv4Cidr = "10.0.0.0/8".parse().expect("valid");
        assert_eq!(cidr.to_string(), "10.0.0.0/8");
        assert!(cidr.contains(Ipv4Addr::new(10, 180, 0, 4)));
        assert!(!cidr.contains(Ipv4Addr::new(11, 0, 0, 1)));
        assert_eq!(Ipv4Cidr::default().to_string(), "10.244.0.0/16");
        let all: Ipv4Cidr = "0.0.0.0/0".parse().expect("valid");
        assert!(all.contains(Ipv4Addr::new(1, 2, 3, 4)));
    }

    #[test]
    fn rejects_bad_text_with_a_reason() {
        for (text, why) in [
            ("10.0.0.0", "no /prefix"),
            ("10.0.0/8", "not an IPv4 address"),
            ("10.0.0.0/x", "the prefix length is not a number"),
            ("10.0.0.0/33", "the prefix length is above 32"),
            ("10.1.0.0/8", "host bits are set after the prefix"),
        ] {
            let err = text.parse::<Ipv4Cidr>().expect_err(text);
            assert_eq!(err.why, why, "{text}");
        }
    }
}
